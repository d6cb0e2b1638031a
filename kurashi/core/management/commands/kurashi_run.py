import os
import signal
import subprocess
import sys
from typing import Any

import uvicorn
from django.core.management import call_command
from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Serve Kurashi (ASGI, uvicorn) with one task worker beside it, and print the URL."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("--host", default=os.environ.get("KURASHI_HOST", "127.0.0.1"))
        parser.add_argument("--port", type=int, default=int(os.environ.get("KURASHI_PORT", "8000")))
        parser.add_argument(
            "--web-workers", type=int, default=int(os.environ.get("WEB_CONCURRENCY", "1"))
        )
        parser.add_argument("--no-worker", action="store_true", help="Do not start a task worker.")

    def handle(
        self, *args: Any, host: str, port: int, web_workers: int, no_worker: bool, **options: Any
    ) -> None:
        call_command("collectstatic", interactive=False, verbosity=0)
        worker = None
        if not no_worker:
            worker = subprocess.Popen([sys.executable, "-m", "kurashi", "worker"])
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
            if worker is not None:
                worker.send_signal(signal.SIGTERM)
                try:
                    worker.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    worker.kill()
