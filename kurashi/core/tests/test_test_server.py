"""The test-server launcher (kurashi/testing/server.py) on a busy machine: its waits grow with
the load average (a fixed 60 s failed the suite when migrate alone took 93 s), and the migrated
database is built once per set of migrations and copied, not migrated for every server."""

import sqlite3
import sys
import time
from pathlib import Path

import pytest

from kurashi.testing import server


@pytest.mark.parametrize(
    ("load", "cpus", "expected"),
    [(0.3, 2, 60.0), (2.0, 2, 60.0), (8.0, 2, 240.0), (19.0, 2, 570.0), (80.0, 2, 600.0)],
)
def test_waits_grow_with_the_load_average(
    monkeypatch: pytest.MonkeyPatch, load: float, cpus: int, expected: float
) -> None:
    monkeypatch.setattr(server.os, "getloadavg", lambda: (load, load, load))
    monkeypatch.setattr(server.os, "cpu_count", lambda: cpus)
    assert server.scaled(60) == pytest.approx(expected)


def test_a_slow_but_live_server_is_waited_for_longer_on_a_busy_machine(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """The server answers after 1.5 s; the idle-machine timeout is 1 s, but the machine is ten
    times busier than it has CPUs, so the wait is 10 s and start-up succeeds."""
    monkeypatch.setattr(server.os, "getloadavg", lambda: (20.0, 20.0, 20.0))
    monkeypatch.setattr(server.os, "cpu_count", lambda: 2)
    port = server.free_port()
    code = (
        "import time, http.server\n"
        "time.sleep(1.5)\n"
        "class H(http.server.BaseHTTPRequestHandler):\n"
        "    def do_GET(self):\n"
        "        self.send_response(200); self.end_headers(); self.wfile.write(b'{}')\n"
        f"http.server.HTTPServer(('127.0.0.1', {port}), H).serve_forever()\n"
    )
    process = server.subprocess.Popen([sys.executable, "-c", code])
    running = server.RunningServer(
        base_url=f"http://127.0.0.1:{port}",
        port=port,
        var_dir=tmp_path,
        log_path=tmp_path / "log",
        web_workers=1,
        database="sqlite",
    )
    try:
        started = time.monotonic()
        server._wait_until_healthy(running, process, timeout=1.0)
        assert time.monotonic() - started >= 1.5
    finally:
        process.kill()
        process.wait()


def test_the_migrated_database_is_built_once_and_reused(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    migrations: list[str] = []

    def migrate(env: dict[str, str], *args: str) -> str:  # what `kurashi migrate` leaves behind
        migrations.append(env["KURASHI_VAR_DIR"])
        database = sqlite3.connect(Path(env["KURASHI_VAR_DIR"]) / "kurashi.sqlite3")
        database.execute("PRAGMA journal_mode = WAL")
        database.execute("CREATE TABLE django_migrations (app TEXT)")
        database.execute("INSERT INTO django_migrations VALUES ('core')")
        database.commit()
        database.close()
        return ""

    monkeypatch.setattr(server, "TEMPLATE_DIR", tmp_path / "templates")
    monkeypatch.setattr(server, "_manage", migrate)
    first = server.sqlite_template({"PATH": "/usr/bin"})
    second = server.sqlite_template({"PATH": "/usr/bin"})
    assert first == second
    assert len(migrations) == 1
    copy = sqlite3.connect(first)
    assert copy.execute("SELECT app FROM django_migrations").fetchall() == [("core",)]
    copy.close()


def test_the_fingerprint_follows_the_migrations(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    migrations = tmp_path / "kurashi" / "core" / "migrations"
    migrations.mkdir(parents=True)
    (tmp_path / "kurashi" / "core" / "migration_operations.py").write_text("")
    (migrations / "0001_initial.py").write_text("operations = []")
    monkeypatch.setattr(server, "REPO_ROOT", tmp_path)
    before = server.migrations_fingerprint()
    assert server.migrations_fingerprint() == before
    (migrations / "0002_more.py").write_text("operations = []")
    assert server.migrations_fingerprint() != before
