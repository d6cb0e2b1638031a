"""Start the real Kurashi (web server + task worker) in subprocesses, on its own fresh database.

Used by the worker integration test, the e2e suite and the benchmarks:

    with running_server(demo=True) as server:
        urllib.request.urlopen(server.url + "healthz")

SQLite: a new file in a temporary directory. PostgreSQL (DATABASE_URL set): a throwaway database
kurashi_test_<random> on the same server, dropped afterwards.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlparse, urlunparse

from django.utils.crypto import get_random_string


@dataclass(frozen=True)
class Server:
    url: str  # ends with "/"
    var_dir: Path
    env: dict[str, str]

    def demo_password(self) -> str:
        text = (self.var_dir / "demo-credentials.txt").read_text(encoding="utf-8")
        return text.split("password: ", 1)[1].split()[0]

    def manage(self, *args: str, input_text: str | None = None) -> str:
        """Run `python -m kurashi ARGS` against this server's database; returns stdout."""
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-m", "kurashi", *args],
            env=self.env,
            input=input_text,
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"kurashi {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}")
        return done.stdout


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def _throwaway_postgres(database_url: str) -> Iterator[str]:
    import psycopg

    parsed = urlparse(database_url)
    name = f"kurashi_test_{get_random_string(10).lower()}"
    admin_url = urlunparse(parsed._replace(path="/postgres"))
    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield urlunparse(parsed._replace(path=f"/{name}"))
    finally:
        with psycopg.connect(admin_url, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def running_server(
    *,
    demo: bool = True,
    web_workers: int = 1,
    worker: bool = True,
    extra_env: dict[str, str] | None = None,
    startup_timeout: float = 90.0,
) -> Iterator[Server]:
    var_dir = Path(tempfile.mkdtemp(prefix="kurashi-server-"))
    base_env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"KURASHI_TESTING", "DJANGO_SETTINGS_MODULE"}
    }
    base_env.update(
        {
            "KURASHI_VAR_DIR": str(var_dir),
            "DEBUG": "0",
            "PYTHONUNBUFFERED": "1",
            **(extra_env or {}),
        }
    )
    database_url = base_env.get("DATABASE_URL", "")
    database = _throwaway_postgres(database_url) if database_url else None
    try:
        if database is not None:
            base_env["DATABASE_URL"] = database.__enter__()
        port = free_port()
        server = Server(url=f"http://127.0.0.1:{port}/", var_dir=var_dir, env=base_env)
        server.manage("migrate", "--no-input", "-v", "0")
        if demo:
            server.manage("demo", "--no-progress", "-v", "0")
        command = [
            sys.executable,
            "-m",
            "kurashi",
            "run",
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--web-workers",
            str(web_workers),
        ]
        if not worker:
            command.append("--no-worker")
        log_path = var_dir / "server.log"
        with log_path.open("w") as log:
            process = subprocess.Popen(  # noqa: S603 (our own interpreter and arguments)
                command, env=base_env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
            )
        try:
            _wait_until_up(
                server.url + "healthz", process, log_path, startup_timeout, require_healthy=worker
            )
            yield server
        finally:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
    finally:
        if database is not None:
            database.__exit__(None, None, None)
        shutil.rmtree(var_dir, ignore_errors=True)


def _wait_until_up(
    url: str,
    process: subprocess.Popen[bytes],
    log_path: Path,
    timeout: float,
    *,
    require_healthy: bool,
) -> None:
    deadline = time.monotonic() + timeout
    last_error = ""
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(
                f"kurashi run exited with {process.returncode}:\n{log_path.read_text()}"
            )
        try:
            with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback only)
                if response.status == 200:
                    return
        except urllib.error.HTTPError as error:
            last_error = f"HTTP {error.code}"
            if error.code == 503 and not require_healthy:
                return
        except OSError as error:
            last_error = str(error)
        time.sleep(0.2)
    raise RuntimeError(
        f"kurashi run did not become healthy in {timeout:.0f} s ({last_error}):\n{log_path.read_text()}"
    )
