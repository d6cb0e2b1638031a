from collections.abc import Callable
from datetime import UTC, datetime, time
from typing import Any

import pytest
import time_machine
from django.test import override_settings

from kurashi.modules.notify.models import Delivery, Notice, NullMessage, Subscription
from kurashi.modules.notify.notices import Notice as NoticeData
from kurashi.modules.notify.public import dispatch_notice
from kurashi.modules.notify.services import pipeline
from kurashi.modules.notify.tests.conftest import SmtpSink
from kurashi.modules.notify.tests.factories import make_subscription

pytestmark = pytest.mark.usefixtures("reference_data")


def test_email_reaches_the_sink_in_the_chosen_language(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    english = make_subscription(language="en", email="en@example.test")
    japanese = make_subscription(language="ja", email="ja@example.test")
    dispatch_notice(notice_factory())
    (message_en,) = smtp_sink.to("en@example.test")
    (message_ja,) = smtp_sink.to("ja@example.test")
    assert message_en["Subject"] == "[Alert] Alert level 4 Heavy rain warning"
    body_en = message_en.get_body().get_content()  # type: ignore[union-attr]
    assert "Heavy rain warning for Karatsu" in body_en
    assert "http://testserver/disaster/m/412023/" in body_en or "/disaster/m/412023/" in body_en
    assert "/en/notify/unsubscribe/" in body_en or "/notify/unsubscribe/" in body_en
    assert message_ja["Subject"] == "【発表】 警戒レベル4 大雨警報"
    assert "避難してください" in message_ja.get_body().get_content()  # type: ignore[union-attr]
    assert message_ja["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert set(Delivery.objects.values_list("subscription_id", "status")) == {
        (english.pk, "sent"),
        (japanese.pk, "sent"),
    }


def test_selection_honours_area_hazard_level_and_confirmation(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    match = make_subscription(email="match@example.test")
    make_subscription(codes=("412015",), email="other-city@example.test")
    make_subscription(min_level=5, email="only-l5@example.test")
    make_subscription(hazard_mask=1 << 9, email="quakes-only@example.test")
    make_subscription(is_confirmed=False, email="unconfirmed@example.test")
    make_subscription(is_active=False, email="unsubscribed@example.test")
    dispatch_notice(notice_factory())
    assert [m["To"] for m in smtp_sink.messages] == ["match@example.test"]
    assert list(Delivery.objects.values_list("subscription_id", flat=True)) == [match.pk]


def test_one_message_per_revision_however_often_it_is_dispatched(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    make_subscription(email="once@example.test")
    # VPWW53, VPWW54 and R06 of one revision: same event key and revision, other document keys.
    for key in ("urn:vpww53", "urn:vpww54", "urn:r06"):
        dispatch_notice(notice_factory(key=key))
    assert len(smtp_sink.to("once@example.test")) == 1
    assert Notice.objects.count() == 1


def test_exercise_never_reaches_residents(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    make_subscription()
    dispatch_notice(notice_factory(is_exercise=True))
    assert smtp_sink.messages == []
    assert Delivery.objects.count() == 0
    assert Notice.objects.get().fanned_out_at is not None


def test_cancel_reaches_exactly_the_original_recipients(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    first = make_subscription(email="first@example.test")
    second = make_subscription(email="second@example.test", language="en")
    dispatch_notice(notice_factory())
    # Subscribed after the alert: must not receive the 取消 of something they never got.
    make_subscription(email="late@example.test")
    dispatch_notice(
        notice_factory(
            key="urn:test:2",
            revision=2,
            msg_type="Cancel",
            level=0,
            area_levels={"412023": 0},
            references_key="urn:test:1",
        )
    )
    cancels = [
        m for m in smtp_sink.messages if "取消" in m["Subject"] or "Cancelled" in m["Subject"]
    ]
    assert sorted(m["To"] for m in cancels) == ["first@example.test", "second@example.test"]
    english = next(m for m in cancels if m["To"] == "second@example.test")
    assert "This corrects a message we sent you earlier." in english.get_body().get_content()  # type: ignore[union-attr]
    corrections = Delivery.objects.filter(notice__revision=2)
    assert sorted(corrections.values_list("subscription_id", flat=True)) == sorted(
        [first.pk, second.pk]
    )
    assert set(corrections.values_list("is_correction", flat=True)) == {True}


def test_update_corrects_originals_and_reaches_newly_covered_areas(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    make_subscription(email="karatsu@example.test")
    make_subscription(codes=("412015",), email="saga@example.test")
    dispatch_notice(notice_factory())
    dispatch_notice(
        notice_factory(
            key="urn:test:2",
            revision=2,
            msg_type="Update",
            area_levels={"412023": 4, "412015": 4},
            references_key="urn:test:1",
        )
    )
    assert len(smtp_sink.to("karatsu@example.test")) == 2
    assert len(smtp_sink.to("saga@example.test")) == 1
    flags = dict(
        Delivery.objects.filter(notice__revision=2).values_list(
            "subscription__email", "is_correction"
        )
    )
    assert flags == {"karatsu@example.test": True, "saga@example.test": False}


def test_quiet_hours_delay_below_level_4_only(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    make_subscription(email="sleeper@example.test", quiet_start=time(22), quiet_end=time(7))
    # 02:00 in Japan (17:00 UTC).
    with time_machine.travel(datetime(2026, 7, 24, 17, 0, tzinfo=UTC), tick=False):
        dispatch_notice(notice_factory(level=3, area_levels={"412023": 3}))
        assert smtp_sink.messages == []
        delayed = Delivery.objects.get()
        assert delayed.status == "pending"
        assert delayed.next_attempt_at == datetime(2026, 7, 24, 22, 0, tzinfo=UTC)
        dispatch_notice(notice_factory(key="urn:l4", event_key="other", level=4))
    assert len(smtp_sink.to("sleeper@example.test")) == 1
    with time_machine.travel(datetime(2026, 7, 24, 22, 1, tzinfo=UTC), tick=False):
        pipeline.drain_lane(lane="default")
    assert len(smtp_sink.to("sleeper@example.test")) == 2


def test_point_with_radius_matches_against_the_alert_polygon(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    from kurashi.modules.notify.services.subscriptions import Choices, Point, subscribe

    def choose(lat: float, lon: float) -> Choices:
        return Choices(
            language="ja",
            municipality_codes=(),
            points=(Point(lat=lat, lon=lon, radius_m=500),),
            hazards=("heavy_rain",),
            min_level=3,
            channels=("email",),
        )

    # Both inside 唐津市; only the first is near the drawn district.
    near = subscribe(choices=choose(33.45, 129.97), email="near@example.test", user=None)
    far = subscribe(choices=choose(33.30, 130.05), email="far@example.test", user=None)
    Subscription.objects.filter(pk__in=[near.pk, far.pk]).update(is_confirmed=True)
    polygon = {
        "type": "Polygon",
        "coordinates": [
            [[129.96, 33.44], [129.98, 33.44], [129.98, 33.46], [129.96, 33.46], [129.96, 33.44]]
        ],
    }
    smtp_sink.messages.clear()
    dispatch_notice(notice_factory(area_geojson=polygon))
    assert list(Delivery.objects.values_list("subscription__email", "status", "last_error")) == [
        ("near@example.test", "sent", "")
    ]
    assert [m["To"] for m in smtp_sink.messages] == ["near@example.test"]


def test_refused_and_invalid_addresses_are_recorded_and_the_rest_continues(
    smtp_sink: SmtpSink, notice_factory: Callable[..., NoticeData]
) -> None:
    smtp_sink.refuse.add("refused@example.test")
    make_subscription(email="refused@example.test")
    make_subscription(email="bad\nheader@example.test")
    make_subscription(email="fine@example.test")
    dispatch_notice(notice_factory())
    assert [m["To"] for m in smtp_sink.messages] == ["fine@example.test"]
    failed = dict(
        Delivery.objects.filter(status="failed").values_list("subscription__email", "last_error")
    )
    assert failed["refused@example.test"].startswith("recipient refused")
    assert "invalid address" in failed["bad\nheader@example.test"]


def test_smtp_server_down_is_retried_with_backoff(
    notice_factory: Callable[..., NoticeData],
) -> None:
    from kurashi.modules.notify.channels import reset_adapters
    from kurashi.testing.server import free_port

    dead = {
        "default": {
            "BACKEND": "django.core.mail.backends.smtp.EmailBackend",
            "OPTIONS": {"host": "127.0.0.1", "port": free_port(), "timeout": 2},
        }
    }
    make_subscription(email="later@example.test")
    reset_adapters()
    with override_settings(MAILERS=dead):
        dispatch_notice(notice_factory())
    reset_adapters()
    row = Delivery.objects.get()
    assert (row.status, row.attempts) == ("pending", 1)
    assert "ConnectionRefusedError" in row.last_error or "Errno" in row.last_error
    assert row.next_attempt_at > Notice.objects.get().created_at


def test_null_channel_writes_one_hand_off_per_row(
    notice_factory: Callable[..., NoticeData],
) -> None:
    subscriptions = [make_subscription(channels=("null",)) for _ in range(30)]
    with override_settings(NOTIFY_BATCH_SIZE=7):
        dispatch_notice(notice_factory())
    assert NullMessage.objects.count() == 30
    assert set(Delivery.objects.values_list("status", flat=True)) == {"sent"}
    assert sorted(Delivery.objects.values_list("subscription_id", flat=True)) == sorted(
        s.pk for s in subscriptions
    )


def test_two_claims_never_share_a_row(notice_factory: Callable[..., NoticeData]) -> None:
    for _ in range(10):
        make_subscription(channels=("null",))
    with override_settings(NOTIFY_DRAINERS_PER_LANE=0):
        notice: dict[str, Any] = {}
        Notice.objects.all()
        from kurashi.modules.notify.models import Notice as NoticeRow

        dispatch_notice(notice_factory(level=3, area_levels={"412023": 3}))
        notice["row"] = NoticeRow.objects.get()
    Delivery.objects.update(status="pending", claim="")
    first = pipeline.claim_batch(lane="default", size=6)
    second = pipeline.claim_batch(lane="default", size=6)
    third = pipeline.claim_batch(lane="default", size=6)
    assert first
    assert second
    assert third is None
    assert Delivery.objects.filter(claim=first).count() == 6
    assert Delivery.objects.filter(claim=second).count() == 4


DUMMY_TASKS = {
    "default": {
        "BACKEND": "django.tasks.backends.dummy.DummyBackend",
        "QUEUES": ["default", "emergency", "bulk"],
    }
}


@override_settings(TASKS=DUMMY_TASKS, NOTIFY_FIRST_BATCH_SIZE=2)
def test_fan_out_hands_the_first_chunk_over_itself_while_no_drainer_is_free(
    notice_factory: Callable[..., NoticeData],
) -> None:
    for _ in range(5):
        make_subscription(channels=("null",))
    dispatch_notice(notice_factory())  # queued only: no worker runs
    notice = Notice.objects.get()
    assert not Delivery.objects.exists()
    assert pipeline.fan_out_notice(notice_id=notice.pk) == 5
    assert Delivery.objects.filter(status="sent").count() == 2
    assert Delivery.objects.filter(status="pending").count() == 3
    assert NullMessage.objects.count() == 2
    assert pipeline.drain_lane(lane="emergency") == 3
    assert NullMessage.objects.count() == 5


@override_settings(TASKS=DUMMY_TASKS)
@pytest.mark.parametrize(
    ("level", "hazard", "bulk", "lane"),
    [
        (3, "other", True, "bulk"),
        (3, "other", False, "default"),
        (4, "heavy_rain", True, "emergency"),  # a warning is never slowed down by a bulk flag
        (3, "tsunami", True, "emergency"),
    ],
)
def test_lanes_of_notices(
    notice_factory: Callable[..., NoticeData], level: int, hazard: str, bulk: bool, lane: str
) -> None:
    make_subscription(channels=("null",))
    dispatch_notice(
        notice_factory(level=level, hazard=hazard, bulk=bulk, area_levels={"412023": level})
    )
    notice = Notice.objects.get()
    assert notice.lane == lane
    pipeline.fan_out_notice(notice_id=notice.pk)
    assert set(Delivery.objects.values_list("lane", flat=True)) == {lane}


def test_selection_pages_through_every_municipality_once(
    monkeypatch: pytest.MonkeyPatch, notice_factory: Callable[..., NoticeData]
) -> None:
    from kurashi.modules.notify import selectors

    monkeypatch.setattr(selectors, "PAGE", 2)
    karatsu = {make_subscription(channels=("null",)).pk for _ in range(5)}
    both = make_subscription(codes=("412023", "412015"), channels=("null",)).pk
    saga = {make_subscription(codes=("412015",), channels=("null",)).pk for _ in range(3)}
    make_subscription(codes=("412066",), channels=("null",))  # not in the alert
    row = Notice.objects.create(
        key="paging",
        event_key="paging",
        revision=1,
        hazard="heavy_rain",
        level=4,
        area_levels={"412023": 4, "412015": 3},
        sent=datetime(2026, 7, 25, tzinfo=UTC),
    )
    selected = [recipient.subscription_id for recipient in selectors.select_recipients(row)]
    assert sorted(selected) == sorted(karatsu | saga | {both})
