"""Alerts for the output tests, recorded through the real service (services/alerts.record_alert)."""

from collections.abc import Callable
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache

from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.services.alerts import record_alert
from kurashi.modules.disaster.tests.evacuation.conftest import (  # noqa: F401 (shared fixtures)
    approver,
    drafter,
    karatsu_approver,
    karatsu_city,
    make_order,
    saga_city,
    staff_without,
)

JST = ZoneInfo("Asia/Tokyo")
SENT = datetime(2026, 7, 10, 4, 15, 30, 123456, tzinfo=JST)

TEXTS = {
    "ja": {
        "event": "大雨警報",
        "headline": "佐賀市に大雨警報（土砂災害）を発表",
        "description": "土砂災害に警戒してください。",
        "instruction": "危険な場所から避難してください。",
    },
    "en": {"event": "Heavy rain warning", "headline": "Heavy rain warning for Saga City"},
}


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


AlertMaker = Callable[..., Alert]


@pytest.fixture
def make_alert(db: None) -> AlertMaker:
    counter = {"n": 0}

    def make(**overrides: Any) -> Alert:
        counter["n"] += 1
        values: dict[str, Any] = {
            "source": Alert.Source.JMA,
            "event_key": "jma:test:saga",
            "identifier": f"urn:kurashi:410004:jma:test-{counter['n']}",
            "status": Alert.Status.ACTUAL,
            "sent": SENT,
            "hazard": "heavy_rain",
            "area_levels": {"412015": 3},
            "texts": TEXTS,
            "sender_name_ja": "佐賀地方気象台",
        }
        values.update(overrides)
        return record_alert(**values)

    return make
