"""E-mail over the configured mailer (SMTP in production), one connection per batch."""

import smtplib
from contextlib import suppress
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives, mailers

from kurashi.modules.notify.channels.base import ChannelAdapter, Outcome, OutgoingMessage, Result


class EmailChannel(ChannelAdapter):
    name = "email"
    max_attempts = 5
    backoff_seconds = 60.0

    def __init__(self) -> None:
        self.rate_per_second = float(getattr(settings, "NOTIFY_EMAIL_RATE", 200))
        self.burst = int(getattr(settings, "NOTIFY_EMAIL_BURST", 200))
        super().__init__()
        self.connection: Any = None

    def open(self) -> None:
        self.connection = mailers[getattr(settings, "NOTIFY_MAILER", "default")]
        self._open_connection()

    def _open_connection(self) -> None:
        # Reported per message by send(): the server may come back for the next batch.
        with suppress(OSError, smtplib.SMTPException):
            self.connection.open()

    def close(self) -> None:
        if self.connection is not None:
            with suppress(OSError, smtplib.SMTPException):
                self.connection.close()
            self.connection = None

    def send(self, message: OutgoingMessage) -> Result:
        rendered = message.message
        email = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[message.address["email"]],
            headers={
                "X-Kurashi-Notice": message.payload["id"],
                "X-Kurashi-Idempotency-Key": message.idempotency_key,
                "Content-Language": rendered.language,
                **(
                    {
                        "List-Unsubscribe": f"<{rendered.unsubscribe_url}>",
                        "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
                    }
                    if rendered.unsubscribe_url
                    else {}
                ),
            },
        )
        try:
            sent = self.connection.send_messages([email])
        except ValueError as error:  # an address Django cannot even encode
            return Result(Outcome.FAILED, f"invalid address: {error}"[:500])
        except smtplib.SMTPRecipientsRefused as error:
            codes = [code for code, _message in error.recipients.values()]
            outcome = Outcome.RETRY if all(400 <= code < 500 for code in codes) else Outcome.FAILED
            return Result(outcome, f"recipient refused: {error.recipients}"[:500])
        except smtplib.SMTPResponseException as error:
            self._reconnect()
            outcome = Outcome.RETRY if 400 <= error.smtp_code < 500 else Outcome.FAILED
            return Result(outcome, f"SMTP {error.smtp_code}: {error.smtp_error!r}"[:500])
        except (OSError, smtplib.SMTPException) as error:
            self._reconnect()
            return Result(Outcome.RETRY, f"{type(error).__name__}: {error}"[:500])
        if not sent:
            return Result(Outcome.RETRY, "the mailer did not send the message")
        return Result(Outcome.SENT)

    def _reconnect(self) -> None:
        with suppress(OSError, smtplib.SMTPException):
            self.connection.close()
        self._open_connection()
