"""record_alert hands every Actual alert revision to notify (once it commits), never an exercise."""

from datetime import UTC, datetime

import pytest
from django.apps import apps

from kurashi.modules.disaster.services.alerts import record_alert

pytestmark = pytest.mark.django_db

# notify's stored notices, looked up by label: modules import each other only via public.py.
Notice = apps.get_model("notify", "Notice")


def _record(identifier: str, status: str, *, cancel: bool = False) -> None:
    record_alert(
        source="jma",
        event_key="jma:大雨警報:佐賀地方気象台",
        identifier=identifier,
        status=status,
        sent=datetime(2024, 7, 25, 4, 14, tzinfo=UTC),
        hazard="heavy_rain",
        area_levels={"412023": 4, "412015": 3},
        texts={"ja": {"event": "大雨警報", "headline": "大雨警報を発表"}},
        sender_name_ja="佐賀地方気象台",
        cancel=cancel,
    )


def test_actual_alerts_and_their_cancel_reach_notify(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _record("urn:1", "Actual")
    with django_capture_on_commit_callbacks(execute=True):
        _record("urn:2", "Actual", cancel=True)
    first, cancel = Notice.objects.order_by("revision")
    assert (first.key, first.msg_type, first.level, first.lane) == (
        "urn:1",
        "Alert",
        4,
        "emergency",
    )
    assert first.area_levels == {"412015": 3, "412023": 4}
    assert first.web_url == "/disaster/"
    assert (cancel.msg_type, cancel.references_key, cancel.level) == ("Cancel", "urn:1", 0)
    assert cancel.lane == "emergency"


def test_exercises_are_not_handed_over(django_capture_on_commit_callbacks) -> None:  # type: ignore[no-untyped-def]
    with django_capture_on_commit_callbacks(execute=True):
        _record("urn:x", "Exercise")
    assert Notice.objects.count() == 0
