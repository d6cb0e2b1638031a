"""`kurashi jma ingest FILE…` (replay files) and `kurashi jma poll [--once]` (the feed poller)."""

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

from kurashi.modules.disaster.services import jma as jma_services


class Command(BaseCommand):
    help = "JMA 防災情報XML intake: ingest files, or poll the JMA Atom feeds."

    def add_arguments(self, parser: CommandParser) -> None:
        commands = parser.add_subparsers(dest="action", required=True)
        ingest = commands.add_parser(
            "ingest",
            help="Ingest JMA XML files (replay of past events); exits 1 if any is rejected.",
        )
        ingest.add_argument("files", nargs="+", type=Path, metavar="FILE")
        ingest.add_argument("--no-progress", action="store_true", help="No progress bar.")
        poll = commands.add_parser(
            "poll", help="Poll the JMA feeds every JMA_POLL_SECONDS (heartbeat: jma-poller)."
        )
        poll.add_argument("--once", action="store_true", help="Run one cycle, then exit.")

    def handle(self, *args: Any, **options: Any) -> None:
        if options["action"] == "ingest":
            quiet = options["no_progress"] or options["verbosity"] == 0
            self._ingest(options["files"], no_progress=quiet)
        else:
            self._poll(once=options["once"])

    def _ingest(self, files: list[Path], *, no_progress: bool) -> None:
        rejected = 0
        with Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            disable=no_progress,
        ) as progress:
            bar = progress.add_task("JMA XML", total=len(files))
            for path in files:
                try:
                    data = path.read_bytes()
                except OSError as error:
                    raise CommandError(f"{path}: {error.strerror or error}") from None
                result = jma_services.ingest_document(
                    data=data, source="cli", source_name=path.name
                )
                self.stdout.write(self._line(path, result))
                if result.status == "rejected":
                    rejected += 1
                progress.advance(bar)
        if rejected:
            raise CommandError(f"{rejected} of {len(files)} file(s) rejected.", returncode=1)
        self.stdout.write(self.style.SUCCESS(f"{len(files)} file(s) ingested."))

    def _line(self, path: Path, result: jma_services.IngestResult) -> str:
        if result.rejection is not None:
            return self.style.ERROR(f"{path.name}: rejected — {result.reason}")
        bulletin = result.bulletin
        assert bulletin is not None  # noqa: S101 (created/duplicate carry the bulletin)
        levels = bulletin.changes.get("levels") or {}
        raised = ", ".join(f"{code}:L{level}" for code, level in sorted(levels.items()) if level)
        return (
            f"{path.name}: {result.status} {bulletin.type_code} {bulletin.head_title} "
            f"[{bulletin.control_status}/{bulletin.info_type}] → {bulletin.outcome}"
            + (f" ({raised})" if raised else "")
        )

    def _poll(self, *, once: bool) -> None:
        def show(report: jma_services.PollReport) -> None:
            feeds = "; ".join(
                f"{url.rsplit('/', 1)[-1]} {status}" for url, status in report.feeds.items()
            )
            self.stdout.write(
                f"{feeds} | new {report.new_entries}, skipped {report.skipped}, "
                f"fetched {report.fetched}, failed {report.failed} {report.ingested or ''}"
            )

        try:
            jma_services.run_poller(once=once, on_cycle=show)
        except KeyboardInterrupt:
            self.stdout.write("Stopped.")
