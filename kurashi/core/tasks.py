"""Background tasks of the shared kernel. Tasks take plain values, are idempotent where they can
be, and are enqueued by services inside transaction.on_commit."""

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.tasks import task


@task(queue_name="default")
def send_email_task(*, subject: str, body: str, to: list[str], html_body: str = "") -> int:
    """Send one e-mail through the configured backend (SMTP in production); returns 1 when sent.

    A failure raises, so the task result records the error for operators.
    """
    message = EmailMultiAlternatives(
        subject=subject, body=body, from_email=settings.DEFAULT_FROM_EMAIL, to=to
    )
    if html_body:
        message.attach_alternative(html_body, "text/html")
    return message.send(fail_silently=False)
