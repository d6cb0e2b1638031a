"""Start the real Kurashi (uvicorn + one task worker) in subprocesses, on a fresh database.

The one server launcher of the repository's out-of-process checks: the e2e suite
(e2e/conftest.py), the benchmarks (bench/_harness.py) and the worker integration test import it.
It imports nothing from Kurashi or Django and drives the `python -m kurashi` command line exactly
as an operator does (migrate, demo, run), so what is tested and measured is the shipped command,
not a test double.

    with start_server(web_workers=2) as server:
        print(server.base_url, server.var_dir / "demo-credentials.txt")

Database: SQLite at <tmp>/kurashi.sqlite3 (KURASHI_VAR_DIR=<tmp>). When DATABASE_URL is set in
the environment (PostgreSQL CI pass), a throwaway database <db_prefix>_<random> is created on
that PostgreSQL server and dropped afterwards, so runs never touch a real or shared database.

The server runs like production, not like the unit tests: KURASHI_TESTING (set by the root
conftest.py) is removed, DEBUG=0, so the database task backend, real password hashing, the
manifest static storage and the Content-Security-Policy are all in play.
"""

import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

REPO_ROOT = Path(__file__).resolve().parents[2]

# Environment variables that would switch the server into unit-test mode, point it at state
# other than its fresh temp dir (database, cache, files), or configure it for a deployment
# (hosts, HTTPS, tiles) instead of a plain-HTTP loopback server with the shipped defaults.
_SCRUBBED_ENV = (
    "KURASHI_TESTING",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "SQLITE_PATH",
    "STATIC_ROOT",
    "MEDIA_ROOT",
    "CACHE_URL",
    "TASK_BACKEND",
    "KURASHI_HOST",
    "KURASHI_PORT",
    "WEB_CONCURRENCY",
    "ALLOWED_HOSTS",
    "CSRF_TRUSTED_ORIGINS",
    "SITE_URL",
    "HTTPS",
    "SECURE_SSL_REDIRECT",
    "SECURE_HSTS_SECONDS",
    "TRUST_X_FORWARDED_PROTO",
    "MAP_TILE_URL",
)
# URL schemes dj-database-url maps to the PostgreSQL backend.
_POSTGRES_SCHEMES = {"postgres", "postgresql", "pgsql", "postgis"}
_LOG_TAIL_CHARS = 6000


class ServerError(RuntimeError):
    """The server could not be prepared or did not come up; the message has its output."""


@dataclass
class RunningServer:
    base_url: str  # "http://127.0.0.1:<port>", no trailing slash
    port: int
    var_dir: Path
    log_path: Path
    web_workers: int
    database: str  # "sqlite" or "postgresql:<throwaway name>"
    pid: int = 0  # of `python -m kurashi run`, leader of the server's process group
    env: dict[str, str] = field(default_factory=dict, repr=False)  # the server's environment
    timings: dict[str, float] = field(default_factory=dict)  # seconds per setup step

    def demo_credentials(self) -> tuple[list[str], str]:
        """(usernames, password) from <var_dir>/demo-credentials.txt, written by `kurashi demo`."""
        text = (self.var_dir / "demo-credentials.txt").read_text(encoding="utf-8")
        usernames = text.split("usernames:", 1)[1].splitlines()[0]
        password = text.split("password:", 1)[1].split()[0]
        return [name.strip() for name in usernames.split(",")], password

    def log_tail(self) -> str:
        return _tail(self.log_path)

    def manage(self, *args: str) -> str:
        """Run `python -m kurashi ARGS` against this server's database; return its stdout."""
        return _manage(self.env, *args)

    def health(self) -> tuple[int, dict[str, Any]]:
        """(HTTP status, body) of /healthz with the details (the server's HEALTHZ_TOKEN)."""
        connection = http.client.HTTPConnection("127.0.0.1", self.port, timeout=10)
        try:
            token = self.env.get("HEALTHZ_TOKEN", "")
            connection.request("GET", "/healthz", headers={"Authorization": f"Bearer {token}"})
            response = connection.getresponse()
            return response.status, json.loads(response.read())
        finally:
            connection.close()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@contextmanager
def start_server(
    *,
    web_workers: int = 1,
    db_prefix: str = "kurashi_e2e",
    startup_timeout: float = 60.0,
    extra_env: dict[str, str] | None = None,
    demo: bool = True,
) -> Iterator[RunningServer]:
    """Migrate, load the demo data (unless demo=False) and serve on a free loopback port until the
    block ends."""
    with ExitStack() as stack:
        var_dir = Path(tempfile.mkdtemp(prefix="kurashi-server-"))
        stack.callback(shutil.rmtree, var_dir, ignore_errors=True)
        port = free_port()
        base_url = f"http://127.0.0.1:{port}"
        env = {key: value for key, value in os.environ.items() if key not in _SCRUBBED_ENV}
        env.update(
            {
                "KURASHI_VAR_DIR": str(var_dir),
                "SITE_URL": base_url,
                "DEBUG": "0",
                "PYTHONUNBUFFERED": "1",
                "HEALTHZ_TOKEN": secrets.token_urlsafe(24),  # server.health() shows the details
            }
        )
        database = "sqlite"
        database_url = os.environ.get("DATABASE_URL", "")
        if database_url:
            env["DATABASE_URL"] = stack.enter_context(throwaway_postgres(database_url, db_prefix))
            database = "postgresql:" + urlsplit(env["DATABASE_URL"]).path.lstrip("/")
        env.update(extra_env or {})

        log_path = var_dir / "server.log"
        server = RunningServer(
            base_url=base_url,
            port=port,
            var_dir=var_dir,
            log_path=log_path,
            web_workers=web_workers,
            database=database,
            env=env,
        )
        started = time.monotonic()
        _manage(env, "migrate", "--no-input", "-v", "0")
        server.timings["migrate"] = time.monotonic() - started
        if demo:
            started = time.monotonic()
            _manage(env, "demo", "--no-progress")
            server.timings["demo"] = time.monotonic() - started

        started = time.monotonic()
        command = [sys.executable, "-m", "kurashi", "run", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--web-workers", str(web_workers)]
        with log_path.open("wb") as log:
            process = subprocess.Popen(
                command,
                cwd=REPO_ROOT,
                env=env,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,  # its own process group: uvicorn workers + task worker
            )
        stack.callback(_terminate_group, process)
        server.pid = process.pid
        _wait_until_healthy(server, process, startup_timeout)
        server.timings["startup"] = time.monotonic() - started
        yield server


def _manage(env: dict[str, str], *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "-m", "kurashi", *args],
        cwd=REPO_ROOT,
        env=env,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    if done.returncode != 0:
        raise ServerError(
            f"`python -m kurashi {' '.join(args)}` failed with exit code {done.returncode}:\n"
            f"{done.stdout[-_LOG_TAIL_CHARS:]}\n{done.stderr[-_LOG_TAIL_CHARS:]}"
        )
    return done.stdout


def _wait_until_healthy(
    server: RunningServer, process: subprocess.Popen[bytes], timeout: float
) -> None:
    """/healthz answers 200 once the web server is up and the task worker has reported in."""
    deadline = time.monotonic() + timeout
    last = "no answer yet"
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise ServerError(
                f"`python -m kurashi run` exited with code {process.returncode} before it became "
                f"healthy. Its output:\n{server.log_tail()}"
            )
        connection = http.client.HTTPConnection("127.0.0.1", server.port, timeout=2)
        try:
            connection.request("GET", "/healthz")
            response = connection.getresponse()
            body = response.read()
            if response.status == 200:
                return
            last = f"HTTP {response.status}: {body[:500].decode(errors='replace')}"
        except OSError as error:
            last = f"{type(error).__name__}: {error}"
        finally:
            connection.close()
        time.sleep(0.1)
    raise ServerError(
        f"{server.base_url}/healthz did not return 200 within {timeout:g} s (last: {last}).\n"
        f"Output of `python -m kurashi run`:\n{server.log_tail()}"
    )


def _terminate_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM the whole process group (uvicorn, its workers, the task worker), then SIGKILL
    whatever is left after a grace period."""
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        process.wait(timeout=20)
    with suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait()


@contextmanager
def throwaway_postgres(database_url: str, prefix: str) -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random> on the server of `database_url`; yield its URL; DROP it."""
    import psycopg
    from psycopg import sql

    parts = urlsplit(database_url)
    if parts.scheme not in _POSTGRES_SCHEMES:
        raise ServerError(
            f"DATABASE_URL has the scheme {parts.scheme!r}; the e2e server and the benchmarks "
            f"support SQLite (leave DATABASE_URL unset) or PostgreSQL ({', '.join(sorted(_POSTGRES_SCHEMES))})."
        )
    name = f"{prefix}_{secrets.token_hex(5)}"
    libpq_parts = parts._replace(scheme="postgresql")  # libpq knows only postgres(ql)://

    def admin_connection() -> "psycopg.Connection[tuple[object, ...]]":
        # The database named in DATABASE_URL if it exists (CI creates it), else `postgres`.
        try:
            return psycopg.connect(urlunsplit(libpq_parts), autocommit=True, connect_timeout=10)
        except psycopg.OperationalError:
            fallback = urlunsplit(libpq_parts._replace(path="/postgres"))
            return psycopg.connect(fallback, autocommit=True, connect_timeout=10)

    with admin_connection() as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield urlunsplit(parts._replace(path=f"/{name}"))
    finally:
        with admin_connection() as connection:
            drop = sql.SQL("DROP DATABASE IF EXISTS {}").format(sql.Identifier(name))
            try:
                connection.execute(drop + sql.SQL(" WITH (FORCE)"))  # PostgreSQL 13+
            except psycopg.errors.SyntaxError:
                connection.execute(drop)


def _tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as error:
        return f"(no output: {error})"
    if len(text) > _LOG_TAIL_CHARS:
        return "…" + text[-_LOG_TAIL_CHARS:]
    return text or "(no output)"
