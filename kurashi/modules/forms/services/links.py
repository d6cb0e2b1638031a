"""The applicant's private status link: an HMAC of the submission's public id and its salt."""

from django.urls import reverse
from django.utils.crypto import constant_time_compare, salted_hmac

from kurashi.modules.forms.models import Submission


def status_token(submission: Submission) -> str:
    return salted_hmac(
        "kurashi.forms.status",
        f"{submission.public_id}:{submission.status_salt}",
        algorithm="sha256",
    ).hexdigest()[:40]


def status_token_matches(submission: Submission, token: str) -> bool:
    return bool(submission.status_salt) and constant_time_compare(status_token(submission), token)


def status_url(submission: Submission, site_url: str = "") -> str:
    return site_url.rstrip("/") + reverse(
        "forms:status", args=[submission.public_id, status_token(submission)]
    )
