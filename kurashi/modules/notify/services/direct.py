"""Direct messages: one transactional e-mail to one person (an applicant's receipt, a save-and-resume
link, a reminder), as opposed to an alert fanned out to subscribers.

Sent by a task once the caller's transaction commits; a transient SMTP failure is retried with
backoff (1, 2, 4, 8 minutes) where the task backend can defer. The message carries its idempotency
key in a header so that a receiver can drop the duplicate a retry after a lost reply may cause.
"""

import smtplib
from dataclasses import asdict, dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers
from django.db import transaction
from django.utils import timezone
from django.utils.module_loading import import_string

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class DirectMessage:
    """`key` identifies the message for the receiver (e.g. "forms:receipt:412023-2026-000001")."""

    key: str
    to: str
    subject: str
    body: str
    language: str = "ja"


def _task() -> Any:
    # By name, as the pipeline does: tasks imports services, so services must not import tasks.
    return import_string("kurashi.modules.notify.tasks.send_direct_message_task")


def send_direct_message(message: DirectMessage) -> None:
    """Send `message` after the current transaction commits (at once outside one)."""
    payload = asdict(message)
    transaction.on_commit(lambda: _task().enqueue(**payload, attempt=1))


def deliver_direct_message(
    *, key: str, to: str, subject: str, body: str, language: str, attempt: int
) -> bool:
    """Send now; on a transient failure enqueue the next attempt. True when sent."""
    email = EmailMultiAlternatives(
        subject=subject,
        body=body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[to],
        headers={"X-Kurashi-Idempotency-Key": key, "Content-Language": language},
    )
    try:
        mailers[getattr(settings, "NOTIFY_MAILER", "default")].send_messages([email])
    except (OSError, smtplib.SMTPException):
        task = _task()
        if attempt >= MAX_ATTEMPTS or not task.get_backend().supports_defer:
            raise
        delay = timedelta(minutes=2 ** (attempt - 1))
        task.using(run_after=timezone.now() + delay).enqueue(
            key=key, to=to, subject=subject, body=body, language=language, attempt=attempt + 1
        )
        return False
    return True
