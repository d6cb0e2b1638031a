import os
from pathlib import Path
from typing import Any

import uvicorn
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from kurashi.core import hooks
from kurashi.core.supervisor import STATE_ENV, ChildSpec, Supervisor


class Command(BaseCommand):
    help = (
        "Serve Kurashi (ASGI, uvicorn) with one task worker and the modules' background processes "
        "beside it (each restarted if it dies), and print the URL."
    )

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("KURASHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KURASHI_PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
        )
        parser.add_argument(
            "--no-worker",
            action="store_true",
            help="Start neither a task worker nor background processes.",
        )
        parser.add_argument(
            "--no-collectstatic",
            action="store_true",
            help="STATIC_ROOT is already collected for this code (test servers share one).",
        )

    def handle(
        self,
        *args: Any,
        host: str,
        port: int,
        web_workers: int,
        no_worker: bool,
        no_collectstatic: bool,
        **options: Any,
    ) -> None:
        if not no_collectstatic:
            call_command("collectstatic", interactive=False, verbosity=0)
        supervisor = None
        if not no_worker:
            specs = [
                ChildSpec(key="worker", argv=("worker",)),
                *(
                    ChildSpec(key=p.key, argv=p.argv)
                    for p in hooks.background_processes.items()
                    if p.enabled()
                ),
            ]
            state_path = Path(settings.VAR_DIR) / "run" / f"supervisor-{os.getpid()}.json"
            # The web workers inherit it and report the children in /healthz.
            os.environ[STATE_ENV] = str(state_path)
            supervisor = Supervisor(specs, state_path=state_path)
            supervisor.start()
            for spec in specs:
                self.stdout.write(f"started: kurashi {' '.join(spec.argv)} (restarted if it dies)")
        shown_host = "127.0.0.1" if host in {"0.0.0.0", "::"} else host  # noqa: S104
        self.stdout.write(
            self.style.SUCCESS(
                f"Kurashi is serving at http://{shown_host}:{port}/  (Ctrl-C to stop)"
            )
        )
        try:
            uvicorn.run(
                "kurashi.asgi:application",
                host=host,
                port=port,
                workers=web_workers if web_workers > 1 else None,
                log_level="warning",
                access_log=False,
                lifespan="off",
            )
        finally:
            if supervisor is not None:
                supervisor.stop()
