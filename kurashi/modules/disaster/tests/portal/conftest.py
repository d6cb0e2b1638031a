"""Builders for the portal tests: alerts through the shared record_alert service, shelters,
warnings and reports as plain rows (the other areas' services are not needed to read them)."""

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.core.cache import cache
from django.utils import timezone
from django.utils.crypto import get_random_string

from kurashi.modules.disaster.models import Alert, Shelter
from kurashi.modules.disaster.services.alerts import record_alert

SAGA = "412015"  # 佐賀市
KARATSU = "412023"  # 唐津市
TOSU = "412031"  # 鳥栖市
# 佐賀市役所 (33.2494, 130.2988)
SAGA_CITY_HALL = (33.2494, 130.2988)


@pytest.fixture(autouse=True)
def _empty_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def make_alert(
    area_levels: dict[str, int],
    *,
    event_key: str | None = None,
    status: str = Alert.Status.ACTUAL,
    hazard: str = "heavy_rain",
    cancel: bool = False,
    sent: datetime | None = None,
    texts: dict[str, dict[str, str]] | None = None,
    source: str = Alert.Source.JMA,
    sender_name_ja: str = "佐賀地方気象台",
    **extra: Any,
) -> Alert:
    return record_alert(
        source=source,
        event_key=event_key or f"test:{get_random_string(8)}",
        identifier=f"urn:test:{get_random_string(16)}",
        status=status,
        sent=sent or timezone.now() - timedelta(minutes=5),
        hazard=hazard,
        area_levels=area_levels,
        texts=texts
        or {
            "ja": {"event": "大雨警報", "headline": "大雨警報を発表しました。"},
            "ja-x-easy": {
                "event": "おおあめ けいほう",
                "headline": "おおあめ けいほうが でました。",
            },
            "en": {"event": "Heavy rain warning", "headline": "A heavy rain warning was issued."},
        },
        sender_name_ja=sender_name_ja,
        cancel=cancel,
        **extra,
    )


def make_shelter(
    municipality_code: str = SAGA,
    *,
    name: str | None = None,
    open_state: str = Shelter.OpenState.OPEN,
    latitude: float = SAGA_CITY_HALL[0],
    longitude: float = SAGA_CITY_HALL[1],
    **fields: Any,
) -> Shelter:
    serial = get_random_string(9, allowed_chars="0123456789")
    return Shelter.objects.create(
        common_id=f"E{municipality_code[:5]}{serial}"[:14],
        kind=fields.pop("kind", Shelter.Kind.SHELTER),
        municipality_code=municipality_code,
        name=name or f"避難所{serial}",
        address=fields.pop("address", "佐賀県佐賀市栄町1-1"),
        latitude=latitude,
        longitude=longitude,
        open_state=open_state,
        **fields,
    )


@pytest.fixture
def alert_factory(db: None) -> Callable[..., Alert]:
    return make_alert


@pytest.fixture
def shelter_factory(db: None) -> Callable[..., Shelter]:
    return make_shelter
