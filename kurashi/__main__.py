"""The `kurashi` command line (also `python -m kurashi`).

kurashi run          serve the platform with one task worker, print the URL
kurashi worker       run a task worker (django-tasks-db)
kurashi demo         load the Saga demo data (idempotent, with progress bars)
kurashi createadmin  create an administrator
kurashi <command>    any Django management command (migrate, check, shell, ...)
"""

import os
import sys

ALIASES = {"run": "kurashi_run", "worker": "kurashi_worker"}


def main(argv: list[str] | None = None) -> None:
    argv = list(sys.argv if argv is None else argv)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kurashi.settings")
    if len(argv) < 2 or argv[1] in {"-h", "--help", "help"}:
        print(__doc__)
        return
    argv[1] = ALIASES.get(argv[1], argv[1])
    from django.core.management import execute_from_command_line

    execute_from_command_line(["kurashi", *argv[1:]])


if __name__ == "__main__":
    main()
