"""JSON API of the disaster module: evacuation information in force (published, not exercise)."""

from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.http import HttpRequest
from ninja import Field, Router, Schema
from ninja.pagination import LimitOffsetPagination, paginate

from kurashi.modules.disaster.models import EvacuationOrder
from kurashi.modules.disaster.selectors import evacuation as selectors

router = Router(tags=["disaster"])


class EvacuationOrderOut(Schema):
    id: int
    municipality_code: str = Field(description="6-digit 全国地方公共団体コード")
    level: int = Field(description="3 高齢者等避難, 4 避難指示, 5 緊急安全確保")
    level_name: dict[str, str] = Field(description="Per language: ja, ja-x-easy, en")
    level_colour: str = Field(description="Official 警戒レベル colour")
    hazard: str
    is_whole_municipality: bool
    districts: list[str]
    area_geojson: dict[str, Any] | None
    area_description_ja: str
    households: int | None
    people: int | None
    texts: dict[str, dict[str, str]] = Field(description="What residents are told, per language")
    published_at: datetime | None
    alert_identifier: str

    @staticmethod
    def resolve_level_name(order: EvacuationOrder) -> dict[str, str]:
        return selectors.LEVELS[order.level].name

    @staticmethod
    def resolve_level_colour(order: EvacuationOrder) -> str:
        return selectors.LEVELS[order.level].colour

    @staticmethod
    def resolve_districts(order: EvacuationOrder) -> list[str]:
        return order.district_list

    @staticmethod
    def resolve_area_description_ja(order: EvacuationOrder) -> str:
        return selectors.area_description_ja(order)

    @staticmethod
    def resolve_texts(order: EvacuationOrder) -> dict[str, dict[str, str]]:
        return selectors.public_texts(order)


@router.get(
    "/evacuation-orders",
    response=list[EvacuationOrderOut],
    summary="Evacuation information in force (published by a municipality, approved by a second person)",
)
@paginate(LimitOffsetPagination)
def list_evacuation_orders(
    request: HttpRequest, municipality: str = ""
) -> QuerySet[EvacuationOrder]:
    return selectors.list_orders_in_force(municipality_code=municipality)
