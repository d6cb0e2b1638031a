"""Moderation: the four actors (plus a moderator of another municipality) on the queue, the
detail page and every action; transitions; audit. A refused request changes nothing."""

from typing import Any

import pytest
from django.test import Client
from django.urls import reverse

from kurashi.core.models import AuditEvent, User
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.services.reports import moderate_report
from kurashi.modules.disaster.tests.reports.conftest import (
    KARATSU_CASTLE,
    make_report,
    snapshot,
)

pytestmark = pytest.mark.django_db


def queue_url() -> str:
    return reverse("disaster:report-moderation")


def detail_url(report: FieldReport) -> str:
    return reverse("disaster:report-moderate", args=[report.pk])


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


# --- who may -----------------------------------------------------------------------------------


def test_anonymous_is_sent_to_the_login_page() -> None:
    report = make_report()
    before = snapshot(report)

    for response in (
        Client().get(queue_url()),
        Client().get(detail_url(report)),
        Client().post(detail_url(report), {"action": "verify"}),
    ):
        assert response.status_code == 302
        assert response["Location"].startswith(reverse("core:login"))
    assert snapshot(report) == before
    assert not AuditEvent.objects.filter(action__startswith="disaster.report").exists()


@pytest.mark.parametrize("actor", ["resident", "staff_without", "karatsu_moderator"])
def test_others_are_refused_and_nothing_changes(actor: str, request: pytest.FixtureRequest) -> None:
    user = request.getfixturevalue(actor)
    report = make_report()
    other = make_report(position=(33.2636, 130.3005))
    before, other_before = snapshot(report), snapshot(other)
    client = client_for(user)

    detail = client.get(detail_url(report))
    actions = [
        client.post(detail_url(report), {"action": action, "note": "x"})
        for action in ("verify", "reject", "publish", "merge", "unmerge")
    ]
    merge = client.post(detail_url(report), {"action": "merge", "into": other.pk})

    assert detail.status_code == 403
    assert [r.status_code for r in actions] == [403] * 5
    assert merge.status_code == 403
    assert snapshot(report) == before
    assert snapshot(other) == other_before
    assert not AuditEvent.objects.filter(action__startswith="disaster.report").exists()


@pytest.mark.parametrize("actor", ["resident", "staff_without"])
def test_queue_is_refused_without_the_permission(
    actor: str, request: pytest.FixtureRequest
) -> None:
    response = client_for(request.getfixturevalue(actor)).get(queue_url())

    assert response.status_code == 403


def test_moderator_of_another_municipality_sees_only_their_reports(karatsu_moderator: User) -> None:
    make_report(text="佐賀市の報告です。冠水しています。")
    karatsu = make_report(
        position=KARATSU_CASTLE,
        municipality_code="412023",
        text="唐津市の報告です。倒木があります。",
    )

    response = client_for(karatsu_moderator).get(queue_url())

    assert response.status_code == 200
    assert [r.pk for r in response.context["page"].object_list] == [karatsu.pk]
    assert "佐賀市の報告" not in response.content.decode()


def test_moderator_verifies_and_publishes_with_audit(moderator: User) -> None:
    report = make_report()
    client = client_for(moderator)

    verified = client.post(detail_url(report), {"action": "verify", "note": "電話で確認"})
    published = client.post(detail_url(report), {"action": "publish"})

    assert verified.status_code == 302
    assert published.status_code == 302
    report.refresh_from_db()
    assert report.state == FieldReport.State.PUBLISHED
    assert report.published_at is not None
    assert report.moderated_by == moderator
    assert report.moderation_note == "電話で確認"
    events = list(
        AuditEvent.objects.filter(object_id=str(report.pk))
        .order_by("id")
        .values_list("action", "actor_id", "municipality_code", "detail")
    )
    assert events == [
        (
            "disaster.report.verify",
            moderator.pk,
            "412015",
            {"from": "received", "to": "verified", "note": "電話で確認"},
        ),
        (
            "disaster.report.publish",
            moderator.pk,
            "412015",
            {"from": "verified", "to": "published", "note": ""},
        ),
    ]


def test_prefecture_wide_moderator_may_moderate_everywhere(db: None) -> None:
    from kurashi.core.models import Organisation
    from kurashi.testing import make_member, make_organisation

    prefecture = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        covers_whole_prefecture=True,
    )
    user = make_member(prefecture, "disaster.moderate_report")
    report = make_report(position=KARATSU_CASTLE, municipality_code="412023")

    response = client_for(user).post(detail_url(report), {"action": "verify"})

    assert response.status_code == 302
    report.refresh_from_db()
    assert report.state == FieldReport.State.VERIFIED


# --- transitions -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("_case", "state", "action", "expected"),
    [
        ("verify", "received", "verify", "verified"),
        ("reject received", "received", "reject", "rejected"),
        ("reject verified", "verified", "reject", "rejected"),
        ("publish", "verified", "publish", "published"),
        ("unpublish", "published", "unpublish", "verified"),
        ("reopen", "rejected", "reopen", "received"),
    ],
)
def test_allowed_transitions(
    moderator: User, _case: str, state: str, action: str, expected: str
) -> None:
    report = make_report(state=state)

    moderate_report(actor=moderator, report_id=report.pk, action=action)

    report.refresh_from_db()
    assert report.state == expected
    assert (report.published_at is not None) is (expected == "published")


@pytest.mark.parametrize(
    ("state", "action"),
    [
        ("received", "publish"),
        ("published", "verify"),
        ("rejected", "publish"),
        ("merged", "verify"),
        ("received", "delete"),
    ],
)
def test_refused_transitions_change_nothing(moderator: User, state: str, action: str) -> None:
    extra: dict[str, Any] = {}
    if state == "merged":
        extra["merged_into"] = make_report(position=(33.2636, 130.3005))
    report = make_report(state=state, **extra)
    before = snapshot(report)

    response = client_for(moderator).post(detail_url(report), {"action": action})

    assert response.status_code == 400
    assert snapshot(report) == before
    assert not AuditEvent.objects.filter(object_id=str(report.pk)).exists()


def test_detail_page_shows_actions_for_the_state(moderator: User) -> None:
    report = make_report(state="verified", reporter_contact="090-1111-2222")

    response = client_for(moderator).get(detail_url(report))

    html = response.content.decode()
    assert response.status_code == 200
    assert response["Cache-Control"] == "private, no-store"
    assert 'value="publish"' in html
    assert 'value="reject"' in html
    assert 'value="verify"' not in html
    assert "090-1111-2222" in html  # staff see the contact


def test_missing_report_is_404(moderator: User) -> None:
    response = client_for(moderator).get(reverse("disaster:report-moderate", args=[99999]))

    assert response.status_code == 404


# --- the queue ---------------------------------------------------------------------------------


def test_queue_counts_states_filters_and_paginates(moderator: User) -> None:
    for index in range(30):
        make_report(text=f"冠水の報告 番号{index:02d} です。")
    make_report(state="published", text="公開済みの報告です。道路が冠水。")
    make_report(category="fire", text="火災の報告です。煙が見えます。")
    make_report(position=KARATSU_CASTLE, municipality_code="412023")  # outside the grant
    client = client_for(moderator)

    first = client.get(queue_url())
    second = client.get(queue_url(), {"page": 2})
    fires = client.get(queue_url(), {"category": "fire"})
    search = client.get(queue_url(), {"q": "番号07"})
    published = client.get(queue_url(), {"state": "published"})
    everything = client.get(queue_url(), {"state": "all"})

    counts = {value: count for value, _label, count in first.context["states"]}
    assert counts == {"received": 31, "verified": 0, "rejected": 0, "published": 1, "merged": 0}
    assert first.context["page"].paginator.count == 31
    assert len(first.context["page"].object_list) == 25
    assert len(second.context["page"].object_list) == 6
    assert [r.category for r in fires.context["page"].object_list] == ["fire"]
    assert [r.text for r in search.context["page"].object_list] == ["冠水の報告 番号07 です。"]
    assert published.context["page"].paginator.count == 1
    assert everything.context["page"].paginator.count == 32
    assert 'aria-current="page"' in first.content.decode()


def test_queue_lists_in_constant_queries(
    moderator: User, django_assert_max_num_queries: Any
) -> None:
    for _ in range(10):
        make_report()
    client = client_for(moderator)
    client.get(queue_url())  # warm the session and the grant

    with django_assert_max_num_queries(14):
        response = client.get(queue_url())

    assert response.status_code == 200


def test_empty_queue_says_so(moderator: User) -> None:
    response = client_for(moderator).get(queue_url())

    assert "No report matches" in response.content.decode()
