import json
import uuid
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kurashi.core.models import AuditEvent, User
from kurashi.modules.ems.models import AcceptanceStatus, Case, Inquiry
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_inquiry, make_status

SCRIPT = {"HTTP_X_EMS_CLIENT": "1"}


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def actor(world: World, name: str) -> User | None:
    return None if name == "anonymous" else getattr(world, name)


def snapshot(case: Case) -> tuple[object, ...]:
    case.refresh_from_db()
    return (
        case.state,
        case.on_scene_at,
        case.destination_id,
        Inquiry.objects.filter(case=case).count(),
        list(Inquiry.objects.filter(case=case).values_list("result", flat=True)),
    )


# --- permission matrix: case reads --------------------------------------------------------------

READ_EXPECTED = {
    "anonymous": 302,
    "resident": 404,
    "plain_staff": 404,
    "other_crew": 404,
    "crew": 200,
    "near_staff": 404,  # the hospital sees the case on its own screen, not the crew's page
    "coordinator": 200,
}


@pytest.mark.parametrize(("name", "status"), READ_EXPECTED.items())
def test_case_page_read_matrix(world: World, name: str, status: int) -> None:
    case = make_case(world.hq, summary="右片麻痺")
    make_inquiry(case, world.near)
    response = client_for(actor(world, name)).get(reverse("ems:case", args=[case.public_id]))
    assert response.status_code == status
    reads = AuditEvent.objects.filter(action="ems.case.read", object_id=str(case.pk)).count()
    assert reads == (1 if status == 200 else 0)
    if status != 200:
        assert "右片麻痺" not in response.content.decode()
    else:
        # Patient details must not be kept by the browser or a cache after handover.
        assert "no-store" in response["Cache-Control"]
        assert "private" in response["Cache-Control"]


@pytest.mark.parametrize(
    ("name", "sees"),
    [("near_staff", True), ("far_staff", False), ("crew", False), ("anonymous", False)],
)
def test_hospital_screen_shows_only_requests_sent_to_it(
    world: World, name: str, sees: bool
) -> None:
    case = make_case(world.hq, summary="胸痛30分")
    make_inquiry(case, world.near)
    response = client_for(actor(world, name)).get(reverse("ems:hospital", args=["near"]))
    if sees:
        assert response.status_code == 200
        assert "胸痛30分" in response.content.decode()
        assert (
            AuditEvent.objects.filter(action="ems.case.read", object_id=str(case.pk)).count() == 1
        )
    else:
        assert response.status_code in {302, 403}
        assert AuditEvent.objects.filter(action="ems.case.read").count() == 0


# --- permission matrix: case writes -------------------------------------------------------------

WRITE_EXPECTED = {
    "anonymous": 302,
    "resident": 404,
    "plain_staff": 404,
    "other_crew": 404,
    "near_staff": 403,  # sees the case it was asked about, but does not run it
    "coordinator": 403,  # sees every case, but does not run it
    "crew": 200,
}


@pytest.mark.parametrize(("name", "status"), WRITE_EXPECTED.items())
def test_case_write_matrix(world: World, name: str, status: int) -> None:
    case = make_case(world.hq)
    make_inquiry(case, world.near)
    before = snapshot(case)
    client = client_for(actor(world, name))
    responses = [
        client.post(
            reverse("ems:case-timeline", args=[case.public_id]), {"event": "on_scene"}, **SCRIPT
        ),
        client.post(
            reverse("ems:case-inquiry", args=[case.public_id]),
            {
                "client_key": uuid.uuid4().hex,
                "hospital": world.far.pk,
                "result": "refused",
                "refusal_reason": "busy",
                "channel": "phone",
            },
            **SCRIPT,
        ),
        client.post(
            reverse("ems:case-request", args=[case.public_id]),
            {"client_key": uuid.uuid4().hex, "targets": [f"{world.tertiary.pk}:14"]},
            **SCRIPT,
        ),
    ]
    assert [r.status_code for r in responses] == [status] * 3
    if status == 200:
        assert snapshot(case) != before
    else:
        assert snapshot(case) == before


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("anonymous", 302),
        ("resident", 403),
        ("crew", 403),
        ("far_staff", 403),
        ("coordinator", 403),
        ("near_staff", 200),
    ],
)
def test_hospital_status_write_matrix(world: World, name: str, status: int) -> None:
    response = client_for(actor(world, name)).post(
        reverse("ems:hospital-status", args=["near"]),
        {"key": "14", "status": "unavailable", "reason": "beds_full"},
        **SCRIPT,
    )
    assert response.status_code == status
    assert AcceptanceStatus.objects.filter(hospital=world.near).exists() is (status == 200)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("anonymous", 302),
        ("crew", 403),
        ("far_staff", 404),
        ("coordinator", 403),
        ("near_staff", 200),
    ],
)
def test_answer_request_matrix(world: World, name: str, status: int) -> None:
    case = make_case(world.hq)
    inquiry = make_inquiry(case, world.near)
    slug = "far" if name == "far_staff" else "near"
    response = client_for(actor(world, name)).post(
        reverse("ems:hospital-answer", args=[slug]),
        {"inquiry": inquiry.pk, "decision": "accept"},
        **SCRIPT,
    )
    assert response.status_code == status
    inquiry.refresh_from_db()
    assert inquiry.result == ("accepted" if status == 200 else "pending")


# --- tablet flows --------------------------------------------------------------------------------


def test_tablet_opens_a_case_without_javascript_and_redirects_to_it(world: World) -> None:
    client = client_for(world.crew)
    page = client.get(reverse("ems:tablet"))
    assert page.status_code == 200
    response = client.post(
        reverse("ems:tablet"),
        {
            "client_key": "abcdefgh1234",
            "category": "stroke",
            "urgency": "red",
            "age_group": "elderly",
            "sex": "female",
            "jcs": "10",
            "gcs_eye": "3",
            "gcs_verbal": "4",
            "gcs_motor": "6",
            "spo2": "94",
        },
    )
    case = Case.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("ems:case", args=[case.public_id])
    assert (case.fire_hq_id, case.category, case.jcs, case.gcs_total, case.spo2) == (
        world.hq.pk,
        "stroke",
        "10",
        13,
        94,
    )
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert "病院着" in page.content.decode()


def test_tablet_rejects_bad_input_with_messages_and_stores_nothing(world: World) -> None:
    response = client_for(world.crew).post(
        reverse("ems:tablet"),
        {"client_key": "abcdefgh1234", "category": "nonsense", "urgency": "red", "spo2": "300"},
    )
    assert response.status_code == 400
    assert not Case.objects.exists()


def test_offline_queue_replay_of_every_write_creates_nothing_twice(world: World) -> None:
    """The tablet's queue sends the same bodies again after a lost answer: nothing doubles."""
    client = client_for(world.crew)
    new_case = {
        "client_key": "queued-case-1",
        "category": "trauma",
        "urgency": "yellow",
        "age_group": "adult",
        "sex": "male",
        "called_at": timezone.now().isoformat(),
    }
    first = client.post(reverse("ems:tablet"), new_case, **SCRIPT).json()
    second = client.post(reverse("ems:tablet"), new_case, **SCRIPT).json()
    assert first["ok"]
    assert second["ok"]
    assert first["redirect"] == second["redirect"]
    case = Case.objects.get()
    tap = (timezone.now() - timedelta(minutes=3)).isoformat()
    inquiry = {
        "client_key": "queued-inq-1",
        "hospital": world.near.pk,
        "result": "refused",
        "refusal_reason": "busy",
        "channel": "phone",
    }
    request = {
        "client_key": "queued-req-1",
        "targets": [f"{world.far.pk}:10", f"{world.tertiary.pk}:"],
    }
    for _replay in range(3):
        assert client.post(
            reverse("ems:case-timeline", args=[case.public_id]),
            {"event": "on_scene", "at": tap},
            **SCRIPT,
        ).json()["ok"]
        assert client.post(
            reverse("ems:case-inquiry", args=[case.public_id]), inquiry, **SCRIPT
        ).json()["ok"]
        assert client.post(
            reverse("ems:case-request", args=[case.public_id]), request, **SCRIPT
        ).json()["ok"]
    case.refresh_from_db()
    assert Case.objects.count() == 1
    assert Inquiry.objects.filter(case=case, channel="phone").count() == 1
    assert Inquiry.objects.filter(case=case, channel="app").count() == 2
    assert case.on_scene_at is not None
    assert abs((case.on_scene_at - timezone.now()).total_seconds() - (-180)) < 5


def test_implausible_tap_time_is_rejected(world: World) -> None:
    case = make_case(world.hq)
    future = (timezone.now() + timedelta(hours=1)).isoformat()
    response = client_for(world.crew).post(
        reverse("ems:case-timeline", args=[case.public_id]),
        {"event": "loaded", "at": future},
        **SCRIPT,
    )
    assert response.status_code == 400
    assert response.json()["ok"] is False
    case.refresh_from_db()
    assert case.loaded_at is None


def test_ranking_partial_lists_hospitals_with_reasons(world: World) -> None:
    make_status(world.near, "14")
    case = make_case(world.hq)
    response = client_for(world.crew).get(
        reverse("ems:case", args=[case.public_id]) + "?partial=ranking"
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert body.lstrip().startswith('<section id="ranking"')
    assert "近い病院" in body
    assert "○" in body


# --- hospital screen, board, KPIs, PWA -----------------------------------------------------------


def test_hospital_reconfirms_in_one_tap(world: World) -> None:
    make_status(world.near, "14", updated_at=timezone.now() - timedelta(hours=11))
    response = client_for(world.near_staff).post(
        reverse("ems:hospital-status", args=["near"]), {"reconfirm": "1"}
    )
    assert response.status_code == 302
    row = AcceptanceStatus.objects.get(hospital=world.near)
    assert row.valid_until > timezone.now() + timedelta(hours=11, minutes=59)


def test_hospital_enters_the_outcome_afterwards(world: World) -> None:
    case = make_case(world.hq, destination=world.near, state="arrived")
    response = client_for(world.near_staff).post(
        reverse("ems:hospital-outcome", args=["near"]),
        {"case": str(case.public_id), "severity": "severe", "diagnosis": "脳梗塞"},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.severity, case.diagnosis) == ("severe", "脳梗塞")


@pytest.mark.parametrize(
    ("name", "status"),
    [("anonymous", 302), ("crew", 403), ("near_staff", 403), ("coordinator", 200)],
)
def test_board_is_for_the_coordinator(world: World, name: str, status: int) -> None:
    make_case(world.hq, is_difficult=True)
    response = client_for(actor(world, name)).get(reverse("ems:board"))
    assert response.status_code == status
    if status == 200:
        assert "搬送困難事案" in response.content.decode()


def test_board_escalates_a_case_waiting_thirty_minutes_on_scene(world: World) -> None:
    case = make_case(world.hq, on_scene_at=timezone.now() - timedelta(minutes=31))
    client_for(world.coordinator).get(reverse("ems:board"))
    case.refresh_from_db()
    assert case.is_difficult is True


def test_kpi_csv_download(world: World) -> None:
    response = client_for(world.coordinator).get(
        reverse("ems:kpis-csv") + "?start=2026-10-01&end=2026-11-01&group_by=tier"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    assert response.content.decode("utf-8").lstrip("\ufeff").startswith("医療機関区分,件数,照会1回")


def test_kpi_page_rejects_a_backwards_period(world: World) -> None:
    response = client_for(world.coordinator).get(
        reverse("ems:kpis") + "?start=2026-11-01&end=2026-10-01"
    )
    assert response.status_code == 400


@pytest.mark.parametrize(
    ("name", "status"), [("anonymous", 302), ("resident", 403), ("near_staff", 403), ("crew", 200)]
)
def test_kpis_need_crew_or_coordinator(world: World, name: str, status: int) -> None:
    assert client_for(actor(world, name)).get(reverse("ems:kpis")).status_code == status


def test_pwa_manifest_and_service_worker(world: World) -> None:
    client = Client()
    manifest = json.loads(client.get(reverse("ems:manifest")).content)
    assert manifest["start_url"] == reverse("ems:tablet")
    worker = client.get(reverse("ems:service-worker"))
    assert worker["Content-Type"].startswith("text/javascript")
    assert "__SHELL__" not in worker.content.decode()


def test_index_works_for_everyone(world: World) -> None:
    assert Client().get(reverse("ems:index")).status_code == 200
    assert client_for(world.crew).get(reverse("ems:index")).status_code == 200
