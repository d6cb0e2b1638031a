"""Reads of field reports: the public list and GeoJSON, the moderation queue, duplicate suggestions."""

import math
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone

from kurashi.core.geo import distance_m
from kurashi.core.models import AuditEvent, Municipality
from kurashi.core.permissions import Grant
from kurashi.modules.disaster.models.reports import FieldReport

DUPLICATE_DISTANCE_M = 300.0
DUPLICATE_WINDOW = timedelta(hours=3)
DUPLICATE_LIMIT = 10
PUBLIC_COORDINATE_DECIMALS = 5  # about 1 m: enough for the map, no false precision

# Weights of the duplicate score (sum 1.0): wording counts most, then place, then time.
TEXT_WEIGHT = 0.4
DISTANCE_WEIGHT = 0.3
TIME_WEIGHT = 0.2
CATEGORY_WEIGHT = 0.1


# States a report can be merged from or into.
OPEN_FOR_MERGE: tuple[str, ...] = (
    FieldReport.State.RECEIVED,
    FieldReport.State.VERIFIED,
    FieldReport.State.PUBLISHED,
)


# --- public ------------------------------------------------------------------------------------


def list_published_reports(
    *, municipality_code: str = "", category: str = ""
) -> QuerySet[FieldReport]:
    reports = FieldReport.objects.published().order_by("-published_at", "-id")
    if municipality_code:
        reports = reports.filter(municipality_code=municipality_code)
    if category:
        reports = reports.filter(category=category)
    return reports


def get_published_report(report_id: int) -> FieldReport:
    """The published report, or FieldReport.DoesNotExist (also for every unpublished state)."""
    return FieldReport.objects.published().get(pk=report_id)


def list_report_photos(report: FieldReport) -> list[FieldReport]:
    """The report and the reports merged into it that carry a photo (the photos stay with the
    report they were sent with; the original shows them all)."""
    merged = report.merged_reports.exclude(photo="").order_by("created_at", "id")
    return ([report] if report.photo else []) + list(merged)


def municipality_names() -> dict[str, Municipality]:
    return {m.code: m for m in Municipality.objects.order_by("code")}


def photo_visible_to_public(report: FieldReport) -> bool:
    if report.is_exercise:
        return False
    if report.state == FieldReport.State.PUBLISHED:
        return True
    target = report.merged_into
    return (
        report.state == FieldReport.State.MERGED
        and target is not None
        and target.state == FieldReport.State.PUBLISHED
        and not target.is_exercise
    )


def _public_time(value: Any) -> str | None:
    if value is None:
        return None
    return str(timezone.localtime(value).replace(microsecond=0).isoformat())


def public_report_record(
    report: FieldReport,
    *,
    names: dict[str, Municipality],
    absolute_url: Callable[[str], str] = lambda path: path,
) -> dict[str, Any]:
    """What the public may know about a published report: no reporter identity, contact,
    moderation note or internal state."""
    photos = [
        absolute_url(reverse("disaster:report-photo", args=[photo_report.pk]))
        for photo_report in list_report_photos(report)
    ]
    municipality = names.get(report.municipality_code)
    return {
        "id": report.pk,
        "category": report.category,
        "category_label": str(report.get_category_display()),
        "text": report.text,
        "municipality_code": report.municipality_code,
        "municipality_name_ja": municipality.name_ja if municipality else "",
        "municipality_name_en": municipality.name_en if municipality else "",
        "place_description": report.place_description,
        "latitude": round(report.latitude, PUBLIC_COORDINATE_DECIMALS),
        "longitude": round(report.longitude, PUBLIC_COORDINATE_DECIMALS),
        "location_approximate": report.is_location_approximate,
        "people_affected": report.combined_people_affected,
        "houses_damaged": report.combined_houses_damaged,
        "published_at": _public_time(report.published_at),
        "photo_url": photos[0] if photos else None,
        "photo_urls": photos,
        "url": absolute_url(reverse("disaster:report-detail", args=[report.pk])),
    }


def published_reports_geojson(
    *, absolute_url: Callable[[str], str] = lambda path: path
) -> dict[str, Any]:
    """Published reports as a GeoJSON FeatureCollection of public_report_record properties
    (plus "label", the category, for map tooltips: never the free text)."""
    names = municipality_names()
    features = []
    for report in list_published_reports().prefetch_related("merged_reports"):
        properties = public_report_record(report, names=names, absolute_url=absolute_url)
        longitude, latitude = properties.pop("longitude"), properties.pop("latitude")
        properties["label"] = properties["category_label"]
        features.append(
            {
                "type": "Feature",
                "id": report.pk,
                "geometry": {"type": "Point", "coordinates": [longitude, latitude]},
                "properties": properties,
            }
        )
    return {"type": "FeatureCollection", "features": features}


def get_report_by_receipt(token_hash: str) -> FieldReport | None:
    return FieldReport.objects.filter(receipt_token_hash=token_hash).first()


def count_recent_submissions(*, fingerprint: str, since: Any) -> int:
    return FieldReport.objects.filter(
        submitter_fingerprint=fingerprint, created_at__gte=since
    ).count()


# --- moderation --------------------------------------------------------------------------------


def moderated_reports(grant: Grant) -> QuerySet[FieldReport]:
    """Every report inside the moderator's municipalities."""
    return FieldReport.objects.filter(grant.as_q(municipality_field="municipality_code"))


def list_reports_for_moderation(
    *,
    grant: Grant,
    state: str = "",
    municipality_code: str = "",
    category: str = "",
    query: str = "",
) -> QuerySet[FieldReport]:
    reports = moderated_reports(grant).select_related("merged_into").order_by("-created_at", "-id")
    if state:
        reports = reports.filter(state=state)
    if municipality_code:
        reports = reports.filter(municipality_code=municipality_code)
    if category:
        reports = reports.filter(category=category)
    if query:
        reports = reports.filter(Q(text__icontains=query) | Q(place_description__icontains=query))
    return reports


def count_reports_by_state(*, grant: Grant) -> dict[str, int]:
    counts = dict.fromkeys(FieldReport.State.values, 0)
    for row in moderated_reports(grant).order_by().values("state").annotate(total=Count("id")):
        counts[row["state"]] = row["total"]
    return counts


def get_report(report_id: int) -> FieldReport:
    return FieldReport.objects.select_related("merged_into").get(pk=report_id)


def list_report_history(report: FieldReport) -> QuerySet[AuditEvent]:
    return AuditEvent.objects.filter(
        object_type=FieldReport._meta.label_lower, object_id=str(report.pk)
    ).order_by("-id")


# --- duplicates --------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """NFKC (full-width → half-width, half-width kana → full-width), case-folded, without
    spaces, punctuation or symbols: 「佐賀駅前、道路が冠水！」 and 「佐賀駅前 道路が冠水」 compare equal."""
    folded = unicodedata.normalize("NFKC", text).casefold()
    return "".join(ch for ch in folded if unicodedata.category(ch)[0] not in {"Z", "P", "S", "C"})


def _bigrams(text: str) -> set[str]:
    if len(text) < 2:
        return {text} if text else set()
    return {text[i : i + 2] for i in range(len(text) - 1)}


def text_similarity(first: str, second: str) -> float:
    """Jaccard index of the character bigrams of the normalised texts (0.0–1.0). Bigrams work on
    Japanese without a word segmenter."""
    a, b = _bigrams(normalise_text(first)), _bigrams(normalise_text(second))
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass(frozen=True)
class DuplicateSuggestion:
    report: FieldReport
    score: float  # 0.0–1.0
    distance_m: float | None  # None when either position is only the municipality
    minutes_apart: int
    text_similarity: float
    same_category: bool


def _lat_lon_margin(latitude: float) -> tuple[float, float]:
    lat_margin = DUPLICATE_DISTANCE_M / 111_320.0
    lon_margin = DUPLICATE_DISTANCE_M / (111_320.0 * max(0.01, math.cos(math.radians(latitude))))
    return lat_margin, lon_margin


def suggest_duplicates(report: FieldReport, *, grant: Grant) -> list[DuplicateSuggestion]:
    """Reports that may describe the same incident: within DUPLICATE_DISTANCE_M (or, for a
    position given only as a municipality, in the same municipality) and DUPLICATE_WINDOW, open
    for merging, inside the moderator's municipalities; best score first."""
    lat_margin, lon_margin = _lat_lon_margin(report.latitude)
    near = Q(
        latitude__range=(report.latitude - lat_margin, report.latitude + lat_margin),
        longitude__range=(report.longitude - lon_margin, report.longitude + lon_margin),
    )
    approximate = FieldReport.LocationSource.MUNICIPALITY
    same_area = Q(municipality_code=report.municipality_code)
    if not report.is_location_approximate:
        same_area &= Q(location_source=approximate)
    candidates = (
        moderated_reports(grant)
        .filter(
            near | same_area,
            state__in=OPEN_FOR_MERGE,
            is_exercise=report.is_exercise,
            created_at__range=(
                report.created_at - DUPLICATE_WINDOW,
                report.created_at + DUPLICATE_WINDOW,
            ),
        )
        .exclude(pk=report.pk)
    )
    window_minutes = DUPLICATE_WINDOW.total_seconds() / 60
    suggestions = []
    for candidate in candidates:
        if report.is_location_approximate or candidate.is_location_approximate:
            distance: float | None = None
            distance_score = 0.5  # same municipality, place unknown
        else:
            distance = distance_m(
                report.latitude, report.longitude, candidate.latitude, candidate.longitude
            )
            if distance > DUPLICATE_DISTANCE_M:
                continue
            distance_score = 1.0 - distance / DUPLICATE_DISTANCE_M
        minutes = abs((candidate.created_at - report.created_at).total_seconds()) / 60
        similarity = text_similarity(report.text, candidate.text)
        same_category = candidate.category == report.category
        score = (
            TEXT_WEIGHT * similarity
            + DISTANCE_WEIGHT * distance_score
            + TIME_WEIGHT * (1.0 - minutes / window_minutes)
            + CATEGORY_WEIGHT * same_category
        )
        suggestions.append(
            DuplicateSuggestion(
                report=candidate,
                score=round(score, 3),
                distance_m=None if distance is None else round(distance, 1),
                minutes_apart=round(minutes),
                text_similarity=round(similarity, 3),
                same_category=same_category,
            )
        )
    suggestions.sort(key=lambda s: (-s.score, s.report.pk))
    return suggestions[:DUPLICATE_LIMIT]
