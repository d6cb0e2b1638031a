"""Reporting progress on a measure: the four actors, the department's scope, the audit trail."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from kurashi.core.models import AuditEvent, Organisation, User
from kurashi.modules.plan import services
from kurashi.modules.plan.models import MeasureProgress
from kurashi.testing import make_member, make_organisation, make_user

REPORT = "plan.report_progress"
PROGRESS_URL = "/plan/measures/1.1/progress/"
CLIENT_ADDRESS = "203.0.113.20"
REPORT_DATA = {
    "status": "in_progress",
    "note_ja": " 防災メールの配信基盤を更新中。 ",
    "note_en": "Replacing the disaster e-mail platform.",
}


def client_for(user: User | None) -> Client:
    client = Client(REMOTE_ADDR=CLIENT_ADDRESS)
    if user is not None:
        client.force_login(user)
    return client


def assert_nothing_reported() -> None:
    assert MeasureProgress.objects.exists() is False
    assert AuditEvent.objects.filter(action="plan.progress.report").exists() is False


# --- the four actors --------------------------------------------------------------------------


def test_sends_anonymous_visitor_to_login(fire_and_disaster_prevention: Organisation) -> None:
    client = client_for(None)

    page = client.get(PROGRESS_URL)
    post = client.post(PROGRESS_URL, REPORT_DATA)

    assert (page.status_code, post.status_code) == (302, 302)
    assert page["Location"] == "/accounts/login/?next=/plan/measures/1.1/progress/"
    assert post["Location"] == "/accounts/login/?next=/plan/measures/1.1/progress/"
    assert_nothing_reported()


@pytest.mark.parametrize("kind", ["resident", "staff_without_permission"])
def test_denies_resident_and_staff_without_permission(
    fire_and_disaster_prevention: Organisation, resident: User, kind: str
) -> None:
    user = resident if kind == "resident" else make_member(fire_and_disaster_prevention)
    client = client_for(user)

    page = client.get(PROGRESS_URL)
    post = client.post(PROGRESS_URL, REPORT_DATA)

    assert (page.status_code, post.status_code) == (403, 403)
    assert_nothing_reported()


def test_shows_the_form_to_department_staff_with_permission(
    fire_and_disaster_prevention: Organisation, plan_hooks: None
) -> None:
    reporter = make_member(fire_and_disaster_prevention, REPORT)

    response = client_for(reporter).get(PROGRESS_URL)

    assert response.status_code == 200
    assert response.context["state"].measure.id == "1.1"
    assert response.context["form"].initial == {"status": "planned", "note_ja": "", "note_en": ""}


def test_department_staff_with_permission_report_progress(
    fire_and_disaster_prevention: Organisation,
) -> None:
    reporter = make_member(fire_and_disaster_prevention, REPORT, user=make_user("bousai"))

    response = client_for(reporter).post(PROGRESS_URL, REPORT_DATA)

    assert response.status_code == 302
    assert response["Location"] == "/plan/measures/1.1/"
    progress = MeasureProgress.objects.get()
    assert (
        progress.measure_id,
        progress.status,
        progress.note_ja,
        progress.note_en,
        progress.updated_by,
    ) == (
        "1.1",
        "in_progress",
        "防災メールの配信基盤を更新中。",
        "Replacing the disaster e-mail platform.",
        reporter,
    )
    event = AuditEvent.objects.get(action="plan.progress.report")
    assert (
        event.actor_id,
        event.actor_label,
        event.object_type,
        event.object_id,
        event.organisation_id,
        event.ip_address,
    ) == (
        reporter.pk,
        "bousai",
        "plan.measureprogress",
        str(progress.pk),
        fire_and_disaster_prevention.pk,
        CLIENT_ADDRESS,
    )
    assert event.detail == {
        "before": {},
        "after": {
            "status": "in_progress",
            "note_ja": "防災メールの配信基盤を更新中。",
            "note_en": "Replacing the disaster e-mail platform.",
        },
    }


def test_a_second_report_updates_the_row_and_audits_the_change(
    fire_and_disaster_prevention: Organisation,
) -> None:
    client = client_for(make_member(fire_and_disaster_prevention, REPORT))
    client.post(PROGRESS_URL, REPORT_DATA)

    client.post(PROGRESS_URL, {"status": "in_service", "note_ja": "運用開始", "note_en": ""})

    assert list(MeasureProgress.objects.values_list("measure_id", "status", "note_ja")) == [
        ("1.1", "in_service", "運用開始")
    ]
    latest = AuditEvent.objects.filter(action="plan.progress.report").first()
    assert latest is not None
    assert latest.detail["before"] == {
        "status": "in_progress",
        "note_ja": "防災メールの配信基盤を更新中。",
        "note_en": "Replacing the disaster e-mail platform.",
    }
    assert AuditEvent.objects.filter(action="plan.progress.report").count() == 2


def test_rejects_unknown_status_and_changes_nothing(
    fire_and_disaster_prevention: Organisation,
) -> None:
    client = client_for(make_member(fire_and_disaster_prevention, REPORT))

    response = client.post(PROGRESS_URL, {**REPORT_DATA, "status": "finished"})

    assert response.status_code == 400
    assert list(response.context["form"].errors) == ["status"]
    assert_nothing_reported()


def test_unknown_measure_is_not_found(fire_and_disaster_prevention: Organisation) -> None:
    client = client_for(make_user("root", is_superuser=True))

    assert client.get("/plan/measures/9.9/progress/").status_code == 404
    assert client.post("/plan/measures/9.9/progress/", REPORT_DATA).status_code == 404
    assert_nothing_reported()


# --- scope ------------------------------------------------------------------------------------


def test_another_department_cannot_report_on_this_departments_measure(
    fire_and_disaster_prevention: Organisation, information_division: Organisation
) -> None:
    client = client_for(make_member(information_division, REPORT))

    denied = client.post(PROGRESS_URL, REPORT_DATA)
    own = client.post("/plan/measures/4.1/progress/", REPORT_DATA)

    assert (denied.status_code, own.status_code) == (403, 302)
    assert list(MeasureProgress.objects.values_list("measure_id", flat=True)) == ["4.1"]


def test_municipal_staff_with_the_permission_cannot_report(
    fire_and_disaster_prevention: Organisation, karatsu: Organisation
) -> None:
    client = client_for(make_member(karatsu, REPORT))

    assert client.post(PROGRESS_URL, REPORT_DATA).status_code == 403
    assert_nothing_reported()


def test_staff_of_a_unit_under_the_department_may_report(
    fire_and_disaster_prevention: Organisation,
) -> None:
    unit = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        name_ja="消防防災課 防災企画担当",
        parent=fire_and_disaster_prevention,
    )
    client = client_for(make_member(unit, REPORT))

    assert client.get("/plan/measures/1.1/").context["can_report"] is True
    assert client.post(PROGRESS_URL, REPORT_DATA).status_code == 302
    assert MeasureProgress.objects.get().status == "in_progress"


def test_staff_of_a_unit_without_the_permission_may_not_report(
    fire_and_disaster_prevention: Organisation,
) -> None:
    unit = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        name_ja="消防防災課 防災企画担当",
        parent=fire_and_disaster_prevention,
    )
    client = client_for(make_member(unit))

    assert client.get("/plan/measures/1.1/").context["can_report"] is False
    assert client.post(PROGRESS_URL, REPORT_DATA).status_code == 403
    assert_nothing_reported()


def test_nobody_but_a_superuser_reports_when_the_department_has_no_organisation(
    db: None, information_division: Organisation
) -> None:
    # 消防防災課 has no organisation here, and measure 4.6 names no department at all.
    staff = client_for(make_member(information_division, REPORT))
    root = client_for(make_user("root", is_superuser=True))

    assert staff.post(PROGRESS_URL, REPORT_DATA).status_code == 403
    assert staff.post("/plan/measures/4.6/progress/", REPORT_DATA).status_code == 403
    assert_nothing_reported()
    assert root.post("/plan/measures/4.6/progress/", REPORT_DATA).status_code == 302
    assert list(MeasureProgress.objects.values_list("measure_id", flat=True)) == ["4.6"]


def test_inactive_department_grants_nothing(fire_and_disaster_prevention: Organisation) -> None:
    reporter = make_member(fire_and_disaster_prevention, REPORT)
    fire_and_disaster_prevention.is_active = False
    fire_and_disaster_prevention.save()

    assert client_for(reporter).post(PROGRESS_URL, REPORT_DATA).status_code == 403
    assert_nothing_reported()


# --- the service ------------------------------------------------------------------------------


def test_service_refuses_a_resident(
    fire_and_disaster_prevention: Organisation, resident: User
) -> None:
    with pytest.raises(PermissionDenied):
        services.report_progress(
            actor=resident, measure_id="1.1", status="in_progress", note_ja="", note_en=""
        )

    assert_nothing_reported()


def test_service_rejects_a_measure_outside_the_plan(db: None) -> None:
    root = make_user("root", is_superuser=True)

    with pytest.raises(ValidationError):
        services.report_progress(
            actor=root, measure_id="9.9", status="in_progress", note_ja="", note_en=""
        )

    assert_nothing_reported()


def test_service_rejects_an_invalid_status(fire_and_disaster_prevention: Organisation) -> None:
    reporter = make_member(fire_and_disaster_prevention, REPORT)

    with pytest.raises(ValidationError) as error:
        services.report_progress(
            actor=reporter, measure_id="1.1", status="finished", note_ja="", note_en=""
        )

    assert list(error.value.message_dict) == ["status"]
    assert_nothing_reported()


def test_reported_progress_shows_on_the_measure_page(
    fire_and_disaster_prevention: Organisation, plan_hooks: None
) -> None:
    reporter = make_member(fire_and_disaster_prevention, REPORT)
    client = client_for(reporter)
    client.post(PROGRESS_URL, REPORT_DATA)

    page = client_for(None).get("/en/plan/measures/1.1/")

    assert page.status_code == 200
    assert page.context["state"].status == "in_progress"
    assert "Replacing the disaster e-mail platform." in page.content.decode()
