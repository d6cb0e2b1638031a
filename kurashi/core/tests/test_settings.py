"""The settings module: production-like environment values pass `check --deploy` cleanly."""

import os
import secrets
import subprocess
import sys

import pytest
from django.core.exceptions import ImproperlyConfigured

from kurashi.core import env


def run_check(extra: dict[str, str]) -> subprocess.CompletedProcess[str]:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"KURASHI_TESTING", "DEBUG", "DATABASE_URL"}
    }
    environment.update(extra)
    return subprocess.run(
        [sys.executable, "-m", "kurashi", "check", "--deploy", "--fail-level", "WARNING"],
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_check_deploy_reports_nothing_with_production_values(tmp_path) -> None:
    done = run_check(
        {
            "DEBUG": "0",
            "HTTPS": "1",
            "SECRET_KEY": secrets.token_urlsafe(60),
            "ALLOWED_HOSTS": "bousai.pref.saga.example",
            "KURASHI_VAR_DIR": str(tmp_path),
        }
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "System check identified no issues" in done.stdout


def test_check_deploy_complains_about_plain_http(tmp_path) -> None:
    done = run_check(
        {"DEBUG": "0", "SECRET_KEY": secrets.token_urlsafe(60), "KURASHI_VAR_DIR": str(tmp_path)}
    )
    assert done.returncode != 0
    assert "security.W004" in done.stderr + done.stdout  # no HSTS without HTTPS


def test_env_bool_rejects_unclear_values(monkeypatch) -> None:
    monkeypatch.setenv("KURASHI_FLAG", "maybe")
    with pytest.raises(ImproperlyConfigured, match="KURASHI_FLAG"):
        env.env_bool("KURASHI_FLAG", False)


def test_env_secret_reads_the_file_named_by_name_file(monkeypatch, tmp_path) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text("s3cret-from-file\n")
    monkeypatch.setenv("KURASHI_TOKEN_FILE", str(secret_file))
    assert env.env_secret("KURASHI_TOKEN", default="") == "s3cret-from-file"


def test_installation_secret_is_created_once_with_private_mode(tmp_path) -> None:
    path = tmp_path / "var" / "secret_key"
    first = env.installation_secret(path)
    assert env.installation_secret(path) == first
    assert len(first) >= 50
    assert path.stat().st_mode & 0o777 == 0o600


def test_database_is_configured_for_its_vendor(db) -> None:
    from django.db import connection

    if connection.vendor == "postgresql":
        # DATABASE_URL: a checked connection pool, no per-thread persistent connections.
        assert connection.settings_dict["CONN_HEALTH_CHECKS"] is True
        assert connection.settings_dict["CONN_MAX_AGE"] == 0
        assert connection.pool is not None
        assert connection.settings_dict["OPTIONS"]["pool"]["max_size"] >= 2
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        assert cursor.fetchone()[0] == "wal"
        cursor.execute("PRAGMA busy_timeout")
        assert cursor.fetchone()[0] == 5000
    assert connection.transaction_mode == "IMMEDIATE"
