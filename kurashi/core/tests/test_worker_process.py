"""A task enqueued in a request runs in the real worker process against the real database.

The real server (uvicorn + `kurashi worker`) runs in subprocesses on a fresh database (SQLite
file, or a throwaway PostgreSQL database when DATABASE_URL is set); a real SMTP server
(aiosmtpd on loopback) receives the e-mail the worker sends.
"""

import http.cookiejar
import re
import time
import urllib.parse
import urllib.request
from email import message_from_bytes
from email.message import Message
from typing import Any

import pytest
from aiosmtpd.controller import Controller

from kurashi.testing.server import free_port, start_server


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Message] = []

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802 (aiosmtpd API)
        self.messages.append(message_from_bytes(envelope.content))
        return "250 OK"


@pytest.fixture
def smtp_inbox() -> Any:
    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    yield inbox, controller.port
    controller.stop()


def test_password_reset_mail_is_sent_by_the_worker_process(smtp_inbox: Any) -> None:
    inbox, smtp_port = smtp_inbox
    env = {
        "EMAIL_HOST": "127.0.0.1",
        "EMAIL_PORT": str(smtp_port),
        "EMAIL_BACKEND": "django.core.mail.backends.smtp.EmailBackend",
        "KURASHI_ADMIN_PASSWORD": "a long enough test password 42",
    }
    with start_server(demo=False, extra_env=env, db_prefix="kurashi_worker") as server:
        server.manage("createadmin", "--username", "chief", "--email", "chief@example.test")
        opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )
        page = (
            opener.open(server.base_url + "/accounts/password-reset/", timeout=10).read().decode()
        )
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
        body = urllib.parse.urlencode(
            {"csrfmiddlewaretoken": token, "email": "CHIEF@example.test"}
        ).encode()
        request = urllib.request.Request(
            server.base_url + "/accounts/password-reset/",
            data=body,
            headers={"Referer": server.base_url + "/"},
        )
        response = opener.open(request, timeout=10)
        assert response.url.endswith("/accounts/password-reset/sent/")

        deadline = time.monotonic() + 30
        while not inbox.messages and time.monotonic() < deadline:
            time.sleep(0.1)

        assert len(inbox.messages) == 1
        mail = inbox.messages[0]
        assert mail["To"] == "chief@example.test"
        text = mail.get_payload(decode=True).decode()
        assert re.search(r"http://127\.0\.0\.1:\d+/accounts/reset/[\w-]+/[\w-]+/", text)
        state = server.manage(
            "shell",
            "-c",
            "from django_tasks_db.models import DBTaskResult as R; print(list(R.objects.values_list('status', 'task_path')))",
        )
        assert "('SUCCESSFUL', 'kurashi.core.tasks.send_email_task')" in state
