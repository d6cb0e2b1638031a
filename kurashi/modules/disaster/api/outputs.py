"""JSON API of the disaster module: the alerts in force (with texts per language and the level
per municipality) and one alert revision by its CAP identifier."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from kurashi.modules.disaster.area_states import states_of
from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.outputs.cap import cap_url, public_page_url
from kurashi.modules.disaster.selectors import outputs as selectors
from kurashi.modules.notify import public as notify_public

router = Router(tags=["disaster"])


class AlertText(Schema):
    event: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""


class KindOut(Schema):
    kind: str = Field(description="Language-neutral key, e.g. heavy_rain_warning (see docs)")
    level: int = Field(description="警戒レベル (相当) of the kind, 0 when it has none")
    hazard: str
    name_ja: str = Field(description="The official Japanese name as issued, e.g. 大雨警報")
    conditions: list[str] = Field(description='"landslide" (土砂災害), "inundation" (浸水害)')
    labels: dict[str, str] = Field(
        description="The kind with its conditions in every language: ja, ja-x-easy, en, zh-Hans, "
        "zh-Hant, ko, vi, tl, ne, id, my, pt"
    )


class AreaOut(Schema):
    code: str = Field(description="6-digit 全国地方公共団体コード")
    name_ja: str
    name_en: str
    level: int = Field(description="警戒レベル in this municipality (0 = nothing with a level)")
    level_is_equivalent: bool = Field(
        description="True when the level comes from JMA warnings (警戒レベルN相当), False when "
        "it is the municipality's own evacuation order"
    )
    kinds: list[KindOut] = Field(description="What is in force in this municipality")
    lifted: list[KindOut] = Field(description="What this revision lifted in this municipality")
    instruction: str = Field(description="What to do, as a key (e.g. evacuate_all)")
    instructions: dict[str, str] = Field(description="What to do, in every language")


def _kind_out(kind: Any) -> dict[str, Any]:
    return {
        "kind": kind.kind,
        "level": kind.level,
        "hazard": kind.hazard,
        "name_ja": kind.name_ja,
        "conditions": list(kind.conditions),
        "labels": {
            language: notify_public.kind_label(kind, language)
            for language in notify_public.languages()
        },
    }


def areas_out(alert: Alert) -> list[dict[str, Any]]:
    """What the alert tells each municipality (API and tests)."""
    return [
        {
            "code": area.code,
            "name_ja": area.name_ja,
            "name_en": area.name_en,
            "level": area.level,
            "level_is_equivalent": area.level >= 3 and not area.is_issued_by_municipality,
            "kinds": [_kind_out(kind) for kind in area.kinds],
            "lifted": [_kind_out(kind) for kind in area.lifted],
            "instruction": area.instruction,
            "instructions": {
                language: notify_public.instruction_text(area.instruction, language)
                for language in notify_public.languages()
            },
        }
        for area in states_of(alert)
    ]


class AlertOut(Schema):
    identifier: str = Field(description="CAP identifier of this revision")
    source: str = Field(description="jma | evacuation")
    event_key: str = Field(description="Same for every revision of one event")
    revision: int
    msg_type: str = Field(description="Alert | Update | Cancel")
    references: str | None = Field(description="Identifier of the revision this one replaces")
    status: str = Field(description="Actual (Exercise/Test never appear here)")
    sent: datetime
    effective: datetime | None
    expires: datetime | None
    hazard: str
    level: int = Field(description="Highest 警戒レベル of the areas (0 = none / lifted)")
    area_levels: dict[str, int] = Field(description="警戒レベル per 6-digit municipality code")
    area_description_ja: str
    area_geojson: dict[str, Any] | None
    sender_name_ja: str
    texts: dict[str, AlertText] = Field(
        description='The sender\'s own texts per language: "ja", "ja-x-easy" (やさしい日本語), '
        '"en" … (for the whole revision; `areas` says what each municipality is told)'
    )
    areas: list[AreaOut] = Field(
        description="Per municipality: the kinds in force there (with conditions), the kinds "
        "lifted, the level and what to do, in every language"
    )
    is_current: bool
    cap_url: str
    web_url: str

    @staticmethod
    def resolve_references(alert: Alert) -> str | None:
        return alert.references.identifier if alert.references else None

    @staticmethod
    def resolve_texts(alert: Alert) -> dict[str, Any]:
        return alert.texts or {}

    @staticmethod
    def resolve_area_levels(alert: Alert) -> dict[str, int]:
        return alert.area_levels or {}

    @staticmethod
    def resolve_areas(alert: Alert) -> list[dict[str, Any]]:
        return areas_out(alert)

    @staticmethod
    def resolve_cap_url(alert: Alert) -> str:
        return cap_url(alert)

    @staticmethod
    def resolve_web_url(alert: Alert) -> str:
        return public_page_url(alert)


class ErrorOut(Schema):
    detail: str


@router.get(
    "/alerts",
    response=list[AlertOut],
    summary="Alerts in force (Actual only), highest level first",
)
@paginate(LimitOffsetPagination)
def list_alerts(request: HttpRequest, municipality: str = "") -> QuerySet[Alert]:
    return selectors.list_public_alerts(municipality_code=municipality)


@router.get(
    "/alerts/{identifier}",
    response={200: AlertOut, 404: ErrorOut},
    summary="One alert revision by its CAP identifier (current or not; Actual only)",
)
def get_alert(request: HttpRequest, identifier: str) -> Status[Alert | dict[str, str]]:
    try:
        alert = selectors.get_alert(identifier)
    except Alert.DoesNotExist:
        alert = None
    if alert is None or not alert.is_public:
        return Status(404, {"detail": f"No public alert with identifier {identifier!r}."})
    return Status(200, alert)
