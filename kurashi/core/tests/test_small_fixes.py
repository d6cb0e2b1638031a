"""Issue 15, point 10: the small things a new user found (each fails without its fix)."""

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

from django.contrib.staticfiles import finders
from django.db.models.fields import BLANK_CHOICE_LABEL
from django.test import Client
from django.utils import translation

REPO_ROOT = Path(__file__).resolve().parents[3]


def test_locate_refuses_nan_and_out_of_range_points(db: None, client: Client) -> None:
    for query in ("lat=nan&lon=130.3", "lat=33.2&lon=inf", "lat=91&lon=130.3"):
        response = client.get(f"/api/v1/locate?{query}")
        assert response.status_code == 422, query
        json.loads(response.content)  # valid JSON
    assert client.get("/api/v1/locate?lat=33.2494&lon=130.2988").json()["municipality"]


def test_a_huge_json_body_is_not_called_a_photo(client: Client, settings: Any, db: None) -> None:
    settings.DISASTER_REPORT_PHOTO_MAX_BYTES = 1024 * 1024
    body = json.dumps({"text": "x" * (3 * 1024 * 1024)})
    response = client.post("/api/v1/disaster/reports", body, content_type="application/json")
    assert response.status_code == 413
    detail = response.json()["detail"]
    assert "写真" not in detail
    assert "multipart/form-data" in detail


def test_the_openapi_document_says_the_access_statistics_need_a_session(
    db: None, client: Client
) -> None:
    schema = client.get("/api/openapi.json").json()
    operation = next(
        methods["get"]
        for path, methods in schema["paths"].items()
        if path.startswith("/api/v1/access/statistics/")
    )
    assert operation.get("security"), operation
    assert client.get("/api/v1/access/statistics/2026/4/").status_code == 401


def test_favicon_is_served(db: None, client: Client) -> None:
    response = client.get("/favicon.ico")
    assert response.status_code == 302
    assert response["Location"].endswith("portal/favicon.svg")
    assert finders.find("portal/favicon.svg")


def test_every_page_has_a_permissions_policy(db: None, client: Client) -> None:
    policy = client.get("/")["Permissions-Policy"]
    assert "camera=()" in policy
    assert "geolocation=(self)" in policy
    assert "publickey-credentials-get=(self)" in policy


def test_hsts_preload_is_opt_in_even_with_https(tmp_path: Path) -> None:
    def preload(**extra: str) -> str:
        env = {**os.environ, "KURASHI_VAR_DIR": str(tmp_path), "HTTPS": "1", **extra}
        code = "import kurashi.settings as s; print(s.SECURE_HSTS_PRELOAD, s.SECURE_HSTS_SECONDS)"
        done = subprocess.run(  # noqa: S603
            [sys.executable, "-c", code], env=env, cwd=REPO_ROOT, capture_output=True, text=True
        )
        return done.stdout.strip()

    assert preload() == "False 31536000"
    assert preload(SECURE_HSTS_PRELOAD="1") == "True 31536000"


def test_the_empty_choice_is_japanese_on_japanese_forms() -> None:
    with translation.override("ja"):
        assert str(BLANK_CHOICE_LABEL) == "選択してください"
    with translation.override("en"):
        assert str(BLANK_CHOICE_LABEL) == "- Select an option -"


def test_the_situation_fragment_opened_directly_has_a_language_and_a_title(
    db: None, client: Client
) -> None:
    for path, language in (("/disaster/situation/", "ja"), ("/en/disaster/situation/", "en")):
        html = client.get(path).content.decode()
        assert f'<html lang="{language}">' in html, path
        assert "<title>" in html
