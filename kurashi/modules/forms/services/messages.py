"""What the applicant is told, by e-mail through the notify module (kurashi.modules.notify.public):
the receipt with the status link, a request for correction, the decision, a reminder. Texts are
templates with personalisation (title, reference, link), in the applicant's language."""

from django.utils import translation
from django.utils.translation import gettext as _

from kurashi.modules.forms.models import Submission
from kurashi.modules.forms.services.links import status_url
from kurashi.modules.notify.public import DirectMessage, send_direct_message


def send(*, key: str, to: str, subject: str, body: str, language: str) -> None:
    if not to:
        return
    send_direct_message(
        DirectMessage(key=key, to=to, subject=subject, body=body, language=language)
    )


def _title(submission: Submission) -> str:
    from kurashi.modules.forms.services.builder import parse

    _definition, settings = parse(submission.version)
    return str(settings.title)


def receipt(*, submission: Submission, site_url: str) -> None:
    with translation.override(submission.language):
        send(
            key=f"forms:receipt:{submission.reference}",
            to=submission.email,
            subject=_("Application received: %(title)s (%(reference)s)")
            % {"title": _title(submission), "reference": submission.reference},
            body=_(
                "We have received your application “%(title)s”.\n\n"
                "Reference number: %(reference)s\n\n"
                "Follow its progress and download your documents here (keep this link private):\n"
                "%(link)s\n"
            )
            % {
                "title": _title(submission),
                "reference": submission.reference,
                "link": status_url(submission, site_url),
            },
            language=submission.language,
        )


def case_update(
    *, submission: Submission, event_id: int, headline: str, message: str, site_url: str
) -> None:
    with translation.override(submission.language):
        headline = _(headline)  # the applicant's language, not the staff member's
        send(
            key=f"forms:case:{submission.reference}:{event_id}",
            to=submission.email,
            subject=_("%(headline)s: %(title)s (%(reference)s)")
            % {
                "headline": headline,
                "title": _title(submission),
                "reference": submission.reference,
            },
            body=_(
                "%(headline)s — %(title)s, reference number %(reference)s.\n\n%(message)s\n\n"
                "Details: %(link)s\n"
            )
            % {
                "headline": headline,
                "title": _title(submission),
                "reference": submission.reference,
                "message": message,
                "link": status_url(submission, site_url),
            },
            language=submission.language,
        )
