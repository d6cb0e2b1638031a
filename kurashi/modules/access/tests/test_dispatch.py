"""Dispatch: matching rules (mode, region, availability, no double-booking, workload), changes
and cancellations tracked, notifications, statistics, and who sees which request."""

import threading
from datetime import timedelta

import pytest
from django.core import mail
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, connections
from django.test import Client
from django.urls import reverse

from kurashi.modules.access import selectors, services
from kurashi.modules.access.models import Assignment, Notification, RequestChange, SupportRequest
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import make_interpreter, make_request, next_day


def test_candidates_respect_mode_region_availability_and_rank_by_workload(world: World) -> None:
    busy = make_interpreter("忙しい 人")
    idle = make_interpreter("空いている 人")
    make_interpreter("筆記 だけ", modes=("summary_pc",))
    far = make_interpreter("唐津 の人", region=("412023",))
    late = make_interpreter("夜 だけ", available_from=next_day(hour=20), available_hours=3)
    earlier = make_request(world.other_resident, starts_at=next_day(hour=8), hours=1)
    services.assign_interpreter(actor=world.coordinator, support_request=earlier, interpreter=busy)

    request = make_request(world.resident)  # 10:00–12:00, 佐賀市, sign
    candidates = {c.interpreter.name: c for c in selectors.match_candidates(request)}
    assert set(candidates) == {"忙しい 人", "空いている 人", "唐津 の人", "夜 だけ"}
    assert candidates["空いている 人"].is_eligible
    assert candidates["忙しい 人"].is_eligible
    assert candidates["唐津 の人"].reasons == ("活動地域外",)
    assert candidates["夜 だけ"].reasons == ("この時間は都合がつかない",)
    ranked = [c.interpreter.name for c in selectors.match_candidates(request)]
    assert ranked[:2] == ["空いている 人", "忙しい 人"]  # least loaded first
    assert far.pk
    assert late.pk
    assert idle.pk


def test_online_support_ignores_the_region(world: World) -> None:
    far = make_interpreter(region=("412023",))
    request = make_request(world.resident, is_online=True)
    services.assign_interpreter(actor=world.coordinator, support_request=request, interpreter=far)
    request.refresh_from_db()
    assert request.state == "confirmed"


def test_no_double_booking_of_overlapping_times(world: World) -> None:
    interpreter = make_interpreter()
    first = make_request(world.resident, starts_at=next_day(hour=10), hours=2)
    overlapping = make_request(world.other_resident, starts_at=next_day(hour=11), hours=2)
    adjacent = make_request(world.other_resident, starts_at=next_day(hour=12), hours=1)
    services.assign_interpreter(
        actor=world.coordinator, support_request=first, interpreter=interpreter
    )
    with pytest.raises(ValidationError, match="別の派遣が決まっている"):
        services.assign_interpreter(
            actor=world.coordinator, support_request=overlapping, interpreter=interpreter
        )
    services.assign_interpreter(
        actor=world.coordinator, support_request=adjacent, interpreter=interpreter
    )
    assert Assignment.objects.filter(interpreter=interpreter, state="confirmed").count() == 2
    overlapping.refresh_from_db()
    assert overlapping.state == "submitted"


def test_wrong_mode_and_monthly_maximum_are_refused(world: World) -> None:
    writer = make_interpreter(modes=("summary_hand",))
    request = make_request(world.resident)
    with pytest.raises(ValidationError, match="この方法に対応していない"):
        services.assign_interpreter(
            actor=world.coordinator, support_request=request, interpreter=writer
        )
    capped = make_interpreter(max_per_month=1)
    services.assign_interpreter(
        actor=world.coordinator,
        support_request=make_request(world.other_resident, starts_at=next_day(hour=8), hours=1),
        interpreter=capped,
    )
    with pytest.raises(ValidationError, match="上限件数"):
        services.assign_interpreter(
            actor=world.coordinator, support_request=request, interpreter=capped
        )
    assert not request.assignments.exists()


def test_a_request_needing_two_is_confirmed_with_the_second(world: World) -> None:
    request = make_request(world.resident, interpreters_needed=2)
    first, second = make_interpreter(), make_interpreter()
    services.assign_interpreter(actor=world.coordinator, support_request=request, interpreter=first)
    request.refresh_from_db()
    assert request.state == "submitted"
    with pytest.raises(ValidationError, match="派遣済み"):
        services.assign_interpreter(
            actor=world.coordinator, support_request=request, interpreter=first
        )
    services.assign_interpreter(
        actor=world.coordinator, support_request=request, interpreter=second
    )
    request.refresh_from_db()
    assert request.state == "confirmed"


def test_only_coordinators_assign(world: World) -> None:
    interpreter = make_interpreter()
    request = make_request(world.resident)
    for actor in (world.resident, world.dispatcher, world.captioner):
        with pytest.raises(PermissionDenied):
            services.assign_interpreter(
                actor=actor, support_request=request, interpreter=interpreter
            )
    assert not Assignment.objects.exists()


def test_everyone_is_notified_by_e_mail_and_in_the_app(
    world: World, django_capture_on_commit_callbacks
) -> None:  # type: ignore[no-untyped-def]
    interpreter = make_interpreter()
    with django_capture_on_commit_callbacks(execute=True):
        request = make_request(world.resident)
        services.assign_interpreter(
            actor=world.coordinator, support_request=request, interpreter=interpreter
        )
    subjects = sorted(m.subject for m in mail.outbox)
    assert subjects == sorted(
        [
            "意思疎通支援の新しい派遣依頼",
            "意思疎通支援の派遣依頼を受け付けました",
            "意思疎通支援の派遣が決まりました",
            "新しい派遣の依頼",
        ]
    )
    assert {tuple(m.to) for m in mail.outbox} == {
        ("a@example.test",),
        (interpreter.email,),
        (world.coordinator.email,),
    }
    assert Notification.objects.filter(user=world.resident).count() == 2
    assert list(
        Notification.objects.filter(user=world.coordinator).values_list("subject", flat=True)
    ) == ["意思疎通支援の新しい派遣依頼"]


def test_changing_the_time_releases_the_interpreter_and_is_tracked(world: World) -> None:
    interpreter = make_interpreter()
    request = make_request(world.resident)
    services.assign_interpreter(
        actor=world.coordinator, support_request=request, interpreter=interpreter
    )
    new_start = next_day(hour=14)
    services.change_support_request(
        actor=world.resident,
        support_request=request,
        data=services.RequestInput(
            starts_at=new_start,
            ends_at=new_start + timedelta(hours=1),
            municipality_code="412015",
            purpose="病院の受診",
            mode="sign",
            place="佐賀県医療センター好生館",
        ),
    )
    request.refresh_from_db()
    assert request.state == "submitted"
    assert not request.assignments.filter(state="confirmed").exists()
    assert list(request.changes.values_list("action", flat=True)) == [
        "created",
        "assigned",
        "changed",
    ]
    change = request.changes.get(action="changed")
    assert set(change.detail) == {"starts_at", "ends_at"}


def test_cancellation_is_tracked_and_frees_the_interpreter(world: World) -> None:
    interpreter = make_interpreter()
    request = make_request(world.resident)
    services.assign_interpreter(
        actor=world.coordinator, support_request=request, interpreter=interpreter
    )
    services.cancel_support_request(
        actor=world.resident, support_request=request, reason="体調不良"
    )
    request.refresh_from_db()
    assert request.state == "cancelled"
    assert RequestChange.objects.filter(
        request=request, action="cancelled", detail={"reason": "体調不良"}
    ).exists()
    other = make_request(world.other_resident)
    services.assign_interpreter(
        actor=world.coordinator, support_request=other, interpreter=interpreter
    )
    with pytest.raises(PermissionDenied):
        services.cancel_support_request(actor=world.other_resident, support_request=request)


def test_invalid_request_is_refused_with_a_clear_error_and_nothing_stored(world: World) -> None:
    start = next_day()
    with pytest.raises(ValidationError) as error:
        services.submit_support_request(
            requester=world.resident,
            data=services.RequestInput(
                starts_at=start,
                ends_at=start - timedelta(hours=1),
                municipality_code="412015",
                purpose="x",
                mode="sign",
                place="佐賀市",
            ),
        )
    assert set(error.value.message_dict) == {"ends_at"}
    assert "開始" in error.value.message_dict["ends_at"][0]
    assert not SupportRequest.objects.exists()


def test_residents_see_only_their_own_requests(world: World) -> None:
    own = make_request(world.resident)
    other = make_request(world.other_resident)
    client = Client()
    client.force_login(world.resident)
    listing = client.get(reverse("access:requests")).content.decode()
    assert str(own.public_id) in listing
    assert str(other.public_id) not in listing
    assert (
        client.get(reverse("access:request", kwargs={"public_id": other.public_id})).status_code
        == 404
    )
    assert (
        client.post(
            reverse("access:request-cancel", kwargs={"public_id": other.public_id})
        ).status_code
        == 404
    )
    other.refresh_from_db()
    assert other.state == "submitted"
    assert client.get(reverse("access:coordinate")).status_code == 403
    assert client.get(reverse("access:statistics")).status_code == 403


def test_written_request_in_easy_japanese(world: World) -> None:
    client = Client()
    client.force_login(world.resident)
    page = client.get(reverse("access:request-new-easy")).content.decode()
    assert "しゅわ つうやくや ようやく ひっきを たのむ" in page
    assert 'lang="ja"' in page
    start = next_day()
    response = client.post(
        reverse("access:request-new-easy"),
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "summary_hand",
            "municipality_code": "412015",
            "purpose": "がっこう",
            "people": 1,
            "interpreters_needed": 1,
        },
    )
    assert "ばしょを かいて ください" in response.content.decode()
    assert not SupportRequest.objects.exists()
    response = client.post(
        reverse("access:request-new-easy"),
        {
            "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
            "mode": "summary_hand",
            "municipality_code": "412015",
            "purpose": "がっこう",
            "place": "佐賀市役所",
            "people": 1,
            "interpreters_needed": 1,
        },
    )
    assert response.status_code == 302
    assert SupportRequest.objects.get().written_in_easy_japanese


def test_coordinator_assigns_from_the_candidates_page(world: World) -> None:
    interpreter = make_interpreter("候補 一郎")
    request = make_request(world.resident)
    client = Client()
    client.force_login(world.coordinator)
    page = client.get(
        reverse("access:request", kwargs={"public_id": request.public_id})
    ).content.decode()
    assert "候補 一郎" in page
    client.post(
        reverse("access:request-assign", kwargs={"public_id": request.public_id}),
        {"interpreter": interpreter.pk},
    )
    request.refresh_from_db()
    assert request.state == "confirmed"


def test_monthly_statistics_by_municipality_and_mode(world: World) -> None:
    start = next_day(days=2)
    interpreter = make_interpreter(
        region=("412015", "412023"), available_from=next_day(hour=8, days=2)
    )
    confirmed = make_request(world.resident, starts_at=start, hours=2)
    services.assign_interpreter(
        actor=world.coordinator, support_request=confirmed, interpreter=interpreter
    )
    cancelled = make_request(world.resident, starts_at=start, hours=1, mode="summary_pc")
    services.cancel_support_request(actor=world.resident, support_request=cancelled)
    make_request(world.other_resident, starts_at=start, municipality_code="412023")
    rows = selectors.monthly_statistics(start.year, start.month)
    assert [
        (r.municipality_code, r.mode, r.requests, r.confirmed, r.cancelled, r.hours) for r in rows
    ] == [
        ("412015", "sign", 1, 1, 0, 2.0),
        ("412015", "summary_pc", 1, 0, 1, 0.0),
        ("412023", "sign", 1, 0, 0, 0.0),
    ]
    client = Client()
    client.force_login(world.coordinator)
    csv_text = client.get(
        reverse("access:statistics"), {"month": f"{start:%Y-%m}", "format": "csv"}
    ).content.decode()
    assert "412015,佐賀市,sign,1,1,0,2.0" in csv_text


@pytest.mark.django_db(transaction=True)
def test_two_coordinators_racing_cannot_double_book(reference_data: None) -> None:
    """Real concurrent transactions (PostgreSQL: row lock; SQLite: IMMEDIATE write lock)."""
    from kurashi.core.models import Organisation
    from kurashi.testing.builders import make_member, make_organisation, make_user

    centre = make_organisation(kind=Organisation.Kind.CSO, covers_whole_prefecture=True)
    coordinators = [make_member(centre, "access.coordinate_dispatch") for _ in range(2)]
    interpreter = make_interpreter()
    requests = [make_request(make_user()) for _ in range(2)]  # same time slot
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def book(index: int) -> None:
        try:
            barrier.wait()
            services.assign_interpreter(
                actor=coordinators[index], support_request=requests[index], interpreter=interpreter
            )
            outcomes.append("ok")
        except ValidationError:
            outcomes.append("refused")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=book, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sorted(outcomes) == ["ok", "refused"], connection.vendor
    assert Assignment.objects.filter(interpreter=interpreter, state="confirmed").count() == 1


def test_statistics_api_is_for_coordinators(world: World) -> None:
    start = next_day(days=2)
    make_request(world.resident, starts_at=start)
    client = Client()
    client.force_login(world.coordinator)
    rows = client.get(f"/api/v1/access/statistics/{start.year}/{start.month}/").json()
    assert [(r["municipality_code"], r["mode"], r["requests"]) for r in rows] == [
        ("412015", "sign", 1)
    ]
    resident = Client()
    resident.force_login(world.resident)
    assert resident.get(f"/api/v1/access/statistics/{start.year}/{start.month}/").status_code == 403


def test_interpreter_sees_their_assignments(world: World) -> None:
    from kurashi.testing.builders import make_user

    account = make_user("interpreter-account")
    interpreter = make_interpreter("手話 太郎", user=account)
    request = make_request(world.resident)
    services.assign_interpreter(
        actor=world.coordinator, support_request=request, interpreter=interpreter
    )
    client = Client()
    client.force_login(account)
    page = client.get(reverse("access:requests")).content.decode()
    assert "病院の受診" in page
    assert "佐賀県医療センター好生館" in page
    assert Notification.objects.filter(user=account, subject="新しい派遣の依頼").count() == 1
