"""Duplicate suggestions (distance, time, text similarity) and merging / unmerging."""

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kurashi.core.models import AuditEvent, User
from kurashi.core.permissions import grant_for
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.selectors.reports import (
    distance_m,
    list_report_photos,
    normalise_text,
    suggest_duplicates,
    text_similarity,
)
from kurashi.modules.disaster.services.reports import MODERATE, merge_report, unmerge_report
from kurashi.modules.disaster.tests.reports.conftest import (
    KARATSU_CASTLE,
    SAGA_STATION,
    SAGA_STATION_NEAR,
    jpeg_bytes,
    make_report,
    snapshot,
)

pytestmark = pytest.mark.django_db


def test_normalises_width_case_spaces_and_punctuation() -> None:
    assert normalise_text("佐賀駅前、道路が冠水！ ＡＢＣ　ｶﾝｽｲ") == "佐賀駅前道路が冠水abcカンスイ"


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        ("佐賀駅前の道路が冠水", "佐賀駅前の道路が冠水", 1.0),
        ("佐賀駅前の道路が冠水", "佐賀駅前、道路が冠水！", 0.7),
        ("佐賀駅前の道路が冠水", "唐津城で倒木", 0.0),
        ("", "冠水", 0.0),
    ],
)
def test_text_similarity_is_the_bigram_jaccard_index(
    first: str, second: str, expected: float
) -> None:
    assert text_similarity(first, second) == pytest.approx(expected, abs=0.01)


def test_distance_is_great_circle_metres() -> None:
    assert distance_m(*SAGA_STATION, *SAGA_STATION_NEAR) == pytest.approx(66.9, abs=0.2)
    assert distance_m(*SAGA_STATION, *KARATSU_CASTLE) == pytest.approx(40_000, rel=0.1)


def test_suggests_near_recent_similar_reports_best_first(moderator: User) -> None:
    now = timezone.now()
    report = make_report(text="佐賀駅北口のロータリーが冠水しています", created_at=now)
    twin = make_report(
        position=SAGA_STATION_NEAR,
        text="佐賀駅北口 ロータリーが冠水、車が通れません",
        created_at=now - timedelta(minutes=30),
    )
    nearby_other = make_report(
        position=SAGA_STATION_NEAR,
        category="fire",
        text="近くの倉庫から煙が出ています",
        created_at=now,
    )
    make_report(
        position=(33.2700, 130.3000), text="佐賀駅北口のロータリーが冠水しています"
    )  # ~780 m
    make_report(text="佐賀駅北口のロータリーが冠水しています", created_at=now - timedelta(hours=4))
    make_report(text="佐賀駅北口のロータリーが冠水しています", state="rejected")
    make_report(
        position=KARATSU_CASTLE,
        municipality_code="412023",
        text="佐賀駅北口のロータリーが冠水しています",
    )

    suggestions = suggest_duplicates(report, grant=grant_for(moderator, MODERATE))

    assert [s.report.pk for s in suggestions] == [twin.pk, nearby_other.pk]
    best = suggestions[0]
    assert best.distance_m == pytest.approx(66.9, abs=0.2)
    assert best.minutes_apart == 30
    assert best.same_category is True
    assert 0.4 < best.text_similarity < 1
    assert best.score == pytest.approx(
        0.4 * best.text_similarity + 0.3 * (1 - best.distance_m / 300) + 0.2 * (1 - 30 / 180) + 0.1,
        abs=0.002,
    )
    assert suggestions[1].score < best.score


def test_approximate_reports_match_within_the_municipality(moderator: User) -> None:
    report = make_report(text="本庄町で道路が冠水しています")
    approximate = make_report(
        position=(33.3113, 130.2855),
        location_source=FieldReport.LocationSource.MUNICIPALITY,
        place_description="本庄町",
        text="本庄町の道路が冠水",
    )

    suggestions = suggest_duplicates(report, grant=grant_for(moderator, MODERATE))

    assert [s.report.pk for s in suggestions] == [approximate.pk]
    assert suggestions[0].distance_m is None


def test_moderation_page_lists_suggestions_with_scores(moderator: User) -> None:
    report = make_report()
    twin = make_report(position=SAGA_STATION_NEAR)
    client = Client()
    client.force_login(moderator)

    response = client.get(reverse("disaster:report-moderate", args=[report.pk]))

    assert [s.report.pk for s in response.context["suggestions"]] == [twin.pk]
    assert f'name="into" value="{twin.pk}"' in response.content.decode()


def test_merge_keeps_photos_on_the_original_and_takes_the_larger_figures(moderator: User) -> None:
    original = make_report(state="published", people_affected=3, houses_damaged=None)
    duplicate = make_report(position=SAGA_STATION_NEAR, people_affected=5, houses_damaged=2)
    duplicate.photo.save("x.jpg", ContentFile(jpeg_bytes()))

    merge_report(actor=moderator, report_id=duplicate.pk, into_id=original.pk, note="同じ場所")

    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.state == FieldReport.State.MERGED
    assert duplicate.merged_into == original
    assert duplicate.state_before_merge == "received"
    assert (duplicate.people_affected, duplicate.houses_damaged) == (5, 2)  # as reported
    assert (original.people_affected, original.houses_damaged) == (3, None)
    assert (original.combined_people_affected, original.combined_houses_damaged) == (5, 2)
    assert list_report_photos(original) == [duplicate]
    assert list(
        AuditEvent.objects.filter(action__startswith="disaster.report.merge")
        .order_by("id")
        .values_list("action", "object_id")
    ) == [
        ("disaster.report.merge", str(duplicate.pk)),
        ("disaster.report.merge_received", str(original.pk)),
    ]


def test_merging_a_report_moves_its_own_duplicates_along(moderator: User) -> None:
    first = make_report()
    second = make_report(position=SAGA_STATION_NEAR, people_affected=9)
    third = make_report(position=SAGA_STATION_NEAR)
    merge_report(actor=moderator, report_id=second.pk, into_id=third.pk)

    merge_report(actor=moderator, report_id=third.pk, into_id=first.pk)

    second.refresh_from_db()
    first.refresh_from_db()
    assert second.merged_into == first
    assert first.combined_people_affected == 9


def test_unmerge_restores_the_state_and_the_figures(moderator: User) -> None:
    original = make_report(people_affected=1)
    duplicate = make_report(position=SAGA_STATION_NEAR, state="published", people_affected=7)
    merge_report(actor=moderator, report_id=duplicate.pk, into_id=original.pk)

    unmerge_report(actor=moderator, report_id=duplicate.pk)

    original.refresh_from_db()
    duplicate.refresh_from_db()
    assert duplicate.merged_into is None
    assert duplicate.state == FieldReport.State.VERIFIED  # published again only on purpose
    assert original.combined_people_affected == 1
    assert AuditEvent.objects.filter(
        action="disaster.report.unmerge", object_id=str(duplicate.pk)
    ).exists()


@pytest.mark.parametrize("target_state", ["rejected", "merged"])
def test_cannot_merge_into_a_closed_report(moderator: User, target_state: str) -> None:
    extra = {"merged_into": make_report()} if target_state == "merged" else {}
    target = make_report(state=target_state, **extra)
    duplicate = make_report()
    before = snapshot(duplicate)

    with pytest.raises(ValidationError):
        merge_report(actor=moderator, report_id=duplicate.pk, into_id=target.pk)

    assert snapshot(duplicate) == before


def test_cannot_merge_into_itself(moderator: User) -> None:
    report = make_report()

    with pytest.raises(ValidationError):
        merge_report(actor=moderator, report_id=report.pk, into_id=report.pk)


def test_cannot_merge_across_municipalities_without_both_permissions(moderator: User) -> None:
    saga = make_report()
    karatsu = make_report(position=KARATSU_CASTLE, municipality_code="412023")
    before, karatsu_before = snapshot(saga), snapshot(karatsu)

    with pytest.raises(PermissionDenied):
        merge_report(actor=moderator, report_id=saga.pk, into_id=karatsu.pk)

    assert snapshot(saga) == before
    assert snapshot(karatsu) == karatsu_before


def test_merge_and_unmerge_through_the_page(moderator: User) -> None:
    original = make_report()
    duplicate = make_report(position=SAGA_STATION_NEAR)
    client = Client()
    client.force_login(moderator)
    url = reverse("disaster:report-moderate", args=[duplicate.pk])

    merged = client.post(url, {"action": "merge", "into": original.pk})
    duplicate.refresh_from_db()
    state_after_merge = duplicate.state
    bad = client.post(
        reverse("disaster:report-moderate", args=[original.pk]), {"action": "merge", "into": "abc"}
    )
    unmerged = client.post(url, {"action": "unmerge"})

    duplicate.refresh_from_db()
    assert merged.status_code == 302
    assert state_after_merge == "merged"
    assert bad.status_code == 400
    assert "Give the number of the report to merge into." in bad.content.decode()
    assert unmerged.status_code == 302
    assert duplicate.state == "received"
