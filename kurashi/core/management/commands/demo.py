from typing import Any

from django.core.management.base import BaseCommand
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kurashi.core import hooks


class Command(BaseCommand):
    help = "Load the Saga demo data of every module (idempotent: running it again updates, never duplicates)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument(
            "--only", nargs="*", default=None, help="Load only these loaders (keys)."
        )
        parser.add_argument(
            "--no-progress", action="store_true", help="Print one line per loader instead of bars."
        )

    def handle(self, *args: Any, only: list[str] | None, no_progress: bool, **options: Any) -> None:
        loaders = [
            loader for loader in hooks.demo_loaders.items() if not only or loader.key in only
        ]
        unknown = set(only or ()) - {loader.key for loader in hooks.demo_loaders.items()}
        if unknown:
            self.stderr.write(
                f"Unknown demo loaders: {', '.join(sorted(unknown))}. Known: "
                + ", ".join(loader.key for loader in hooks.demo_loaders.items())
            )
            raise SystemExit(2)
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=no_progress or options["verbosity"] == 0,
        ) as progress:
            for loader in loaders:
                bar = progress.add_task(str(loader.label), total=None)

                def report(done: int, total: int, bar: Any = bar) -> None:
                    progress.update(bar, completed=done, total=total)

                count = loader.load(report)
                progress.update(bar, completed=count, total=max(count, 1))
                if no_progress and options["verbosity"] > 0:
                    self.stdout.write(f"{loader.label}: {count}")
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
