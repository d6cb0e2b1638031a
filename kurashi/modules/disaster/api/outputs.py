"""JSON API of the disaster module: the alerts in force (with texts per language and the level
per municipality) and one alert revision by its CAP identifier."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema, Status
from ninja.pagination import LimitOffsetPagination, paginate

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.outputs.cap import cap_url, public_page_url
from kurashi.modules.disaster.selectors import outputs as selectors

router = Router(tags=["disaster"])


class AlertText(Schema):
    event: str = ""
    headline: str = ""
    description: str = ""
    instruction: str = ""


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
        description='Per language: "ja", "ja-x-easy" (やさしい日本語), "en", "zh-Hans", "ko", "vi"'
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
