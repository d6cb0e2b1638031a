"""Direct messages (one e-mail to one person) through a real SMTP server on loopback."""

import pytest
from django.test import override_settings

from kurashi.modules.notify.public import DirectMessage, send_direct_message
from kurashi.modules.notify.services.direct import deliver_direct_message
from kurashi.testing.smtp import smtp_server

MESSAGE = DirectMessage(
    key="forms:receipt:412023-2026-000001",
    to="hanako@example.jp",
    subject="申請を受け付けました",
    body="受付番号 412023-2026-000001",
)


@pytest.mark.django_db
def test_is_sent_when_the_transaction_commits(django_capture_on_commit_callbacks):
    with smtp_server() as sink, override_settings(MAILERS=sink.mailers):
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            send_direct_message(MESSAGE)
        assert sink.messages == []
        for callback in callbacks:
            callback()
        mail = sink.wait_for("hanako@example.jp")
    assert mail["Subject"] == "申請を受け付けました"
    assert mail["X-Kurashi-Idempotency-Key"] == MESSAGE.key
    assert "412023-2026-000001" in mail.get_content()


def test_a_refusing_server_raises_when_the_backend_cannot_defer_a_retry():
    with smtp_server() as sink, override_settings(MAILERS=sink.mailers):
        sink.refuse_all = True
        with pytest.raises(Exception, match="451"):
            deliver_direct_message(
                key="k", to="a@example.jp", subject="s", body="b", language="ja", attempt=1
            )
        assert sink.messages == []
