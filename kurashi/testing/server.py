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

Migrating a fresh database took up to 93 s on a busy machine, once per server. The migrated
database is therefore kept as a template, keyed by a fingerprint of every migration (and of the
installed packages that ship migrations): var/test-templates/migrated-<fp>.sqlite3 is copied, and
on PostgreSQL the throwaway database is created `TEMPLATE kurashi_tpl_<fp>`. A template is built
once, by whichever run needs it first (a file lock / an advisory lock keeps parallel runs from
building it twice). The demo data is loaded fresh every time: it is relative to the current time.
Waits (start-up, commands) scale with the machine's load instead of being fixed.
"""

import fcntl
import hashlib
import http.client
import json
import os
import secrets
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from importlib import metadata
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
TEMPLATE_DIR = REPO_ROOT / "var" / "test-templates"
# Installed packages whose migrations are part of the schema.
_MIGRATING_PACKAGES = ("django", "django-otp", "django-tasks-db")


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
    template: bool = True,
) -> Iterator[RunningServer]:
    """Migrate (from the template database unless template=False), load the demo data (unless
    demo=False) and serve on a free loopback port until the block ends. `startup_timeout` is for
    an idle machine; it grows with the load average. extra_env must not change what migrating
    writes (it is applied after the template is made)."""
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
        started = time.monotonic()
        if database_url:
            template_name = postgres_template(env, database_url) if template else None
            env["DATABASE_URL"] = stack.enter_context(
                throwaway_postgres(database_url, db_prefix, template=template_name)
            )
            database = "postgresql:" + urlsplit(env["DATABASE_URL"]).path.lstrip("/")
        elif template:
            shutil.copyfile(sqlite_template(env), var_dir / "kurashi.sqlite3")
        if not template:
            _manage(env, "migrate", "--no-input", "-v", "0")
        if template:
            env["STATIC_ROOT"] = str(collected_static(env))
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
        server.timings["migrate"] = time.monotonic() - started
        if demo:
            started = time.monotonic()
            _manage(env, "demo", "--no-progress")
            server.timings["demo"] = time.monotonic() - started

        started = time.monotonic()
        command = [sys.executable, "-m", "kurashi", "run", "--host", "127.0.0.1"]
        command += ["--port", str(port), "--web-workers", str(web_workers)]
        if template:
            command.append("--no-collectstatic")
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
        timeout=scaled(300),
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
    started = time.monotonic()
    last = "no answer yet"
    while time.monotonic() - started < scaled(timeout):
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
        f"{server.base_url}/healthz did not return 200 within {scaled(timeout):.0f} s "
        f"({timeout:g} s scaled by the load average; last: {last}).\n"
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
def throwaway_postgres(
    database_url: str, prefix: str, *, template: str | None = None
) -> Iterator[str]:
    """CREATE DATABASE <prefix>_<random> [TEMPLATE <template>] on the server of `database_url`;
    yield its URL; DROP it."""
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

    create = sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name))
    if template:
        create += sql.SQL(" TEMPLATE {}").format(sql.Identifier(template))
    with admin_connection() as connection:
        for attempt in range(60):
            try:
                connection.execute(create)
                break
            except psycopg.errors.ObjectInUse:
                # Another run is copying the same template this very moment.
                if attempt == 59:
                    raise
                time.sleep(0.5)
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


def load_factor() -> float:
    """How much slower than an idle machine this one is now (1 to 10): the 1-minute load average
    per CPU."""
    try:
        per_cpu = os.getloadavg()[0] / (os.cpu_count() or 1)
    except OSError:
        return 1.0
    return min(10.0, max(1.0, per_cpu))


def scaled(seconds: float) -> float:
    """A timeout for an idle machine, stretched for the current load."""
    return seconds * load_factor()


def migrations_fingerprint() -> str:
    """Changes whenever a migration (ours or an installed package's) changes."""
    digest = hashlib.sha256(sys.version.encode())
    for package in _MIGRATING_PACKAGES:
        with suppress(metadata.PackageNotFoundError):
            digest.update(f"{package}=={metadata.version(package)}".encode())
    paths = [
        *REPO_ROOT.glob("kurashi/**/migrations/*.py"),
        REPO_ROOT / "kurashi" / "core" / "migration_operations.py",
    ]
    for path in sorted(paths):
        digest.update(str(path.relative_to(REPO_ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@contextmanager
def _file_lock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sqlite_template(env: dict[str, str]) -> Path:
    """The migrated SQLite database of the current migrations, built on first use."""
    target = TEMPLATE_DIR / f"migrated-{migrations_fingerprint()}.sqlite3"
    if target.exists():
        return target
    with _file_lock(TEMPLATE_DIR / "build.lock"):
        if target.exists():
            return target  # another run built it while we waited
        build_dir = Path(tempfile.mkdtemp(prefix="kurashi-template-"))
        try:
            _manage({**env, "KURASHI_VAR_DIR": str(build_dir)}, "migrate", "--no-input", "-v", "0")
            built = sqlite3.connect(build_dir / "kurashi.sqlite3")
            try:  # everything into the main file: the copy takes no -wal file along
                built.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            finally:
                built.close()
            partial = target.with_suffix(".partial")
            shutil.copyfile(build_dir / "kurashi.sqlite3", partial)
            partial.replace(target)
        finally:
            shutil.rmtree(build_dir, ignore_errors=True)
        for stale in TEMPLATE_DIR.glob("migrated-*.sqlite3"):
            if stale != target:
                stale.unlink(missing_ok=True)
    return target


def collected_static(env: dict[str, str]) -> Path:
    """STATIC_ROOT collected (hashed, compressed: a few seconds of CPU, and tens of seconds of
    Django start-up on a busy machine) once for the current static files, shared by the servers."""
    digest = hashlib.sha256(sys.version.encode())
    for package in ("django", "whitenoise", "django-ninja"):
        with suppress(metadata.PackageNotFoundError):
            digest.update(f"{package}=={metadata.version(package)}".encode())
    for path in sorted(REPO_ROOT.glob("kurashi/**/static/**/*")):
        if path.is_file():
            digest.update(str(path.relative_to(REPO_ROOT)).encode())
            digest.update(path.read_bytes())
    target = TEMPLATE_DIR / f"static-{digest.hexdigest()[:16]}"
    if (target / "staticfiles.json").exists():
        return target
    with _file_lock(TEMPLATE_DIR / "build.lock"):
        if not (target / "staticfiles.json").exists():
            shutil.rmtree(target, ignore_errors=True)
            _manage({**env, "STATIC_ROOT": str(target)}, "collectstatic", "--no-input", "-v", "0")
            for stale in TEMPLATE_DIR.glob("static-*"):
                if stale != target:
                    shutil.rmtree(stale, ignore_errors=True)
    return target


def postgres_template(env: dict[str, str], database_url: str) -> str:
    """The name of a migrated PostgreSQL template database of the current migrations on the
    server of `database_url`, built on first use (under an advisory lock)."""
    import psycopg
    from psycopg import sql

    fingerprint = migrations_fingerprint()
    name = f"kurashi_tpl_{fingerprint}"
    parts = urlsplit(database_url)._replace(scheme="postgresql")
    try:
        admin = psycopg.connect(urlunsplit(parts), autocommit=True, connect_timeout=10)
    except psycopg.OperationalError:
        admin = psycopg.connect(
            urlunsplit(parts._replace(path="/postgres")), autocommit=True, connect_timeout=10
        )
    with admin:
        exists = "SELECT 1 FROM pg_database WHERE datname = %s"
        if admin.execute(exists, [name]).fetchone():
            return name
        lock = int(fingerprint[:15], 16)
        admin.execute("SELECT pg_advisory_lock(%s)", [lock])
        try:
            if admin.execute(exists, [name]).fetchone():
                return name
            with throwaway_postgres(database_url, "kurashi_tpl_build") as building:
                build_dir = Path(tempfile.mkdtemp(prefix="kurashi-template-"))
                try:
                    _manage(
                        {**env, "DATABASE_URL": building, "KURASHI_VAR_DIR": str(build_dir)},
                        "migrate",
                        "--no-input",
                        "-v",
                        "0",
                    )
                finally:
                    shutil.rmtree(build_dir, ignore_errors=True)
                built = urlsplit(building).path.lstrip("/")
                admin.execute(
                    sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(built), sql.Identifier(name)
                    )
                )
        finally:
            admin.execute("SELECT pg_advisory_unlock(%s)", [lock])
    return name
