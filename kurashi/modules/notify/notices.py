"""The Notice handed over by other modules (kept free of models so any layer may import it)."""

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

EMERGENCY_HAZARDS = frozenset({"tsunami"})


@dataclass(frozen=True)
class Notice:
    """One alert revision. `texts` maps a language ("ja", "ja-x-easy", "en", "zh-Hans", "ko",
    "vi") to {"event", "headline", "description", "instruction"}; `area_levels` maps 6-digit
    municipality codes to 警戒レベル; `level` 5 is a 特別警報 / 緊急安全確保."""

    key: str
    event_key: str
    revision: int
    msg_type: str  # "Alert", "Update" or "Cancel"
    hazard: str
    level: int
    area_levels: dict[str, int]
    texts: dict[str, dict[str, str]]
    web_url: str
    sent: datetime
    references_key: str = ""
    area_geojson: dict[str, Any] | None = None
    is_exercise: bool = False
    # A bulk notice (an announcement such as a drill notice or a shelter-list update, not a
    # warning) travels in the bulk lane, whose workers never delay the emergency lane.
    bulk: bool = False
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def lane(self) -> str:
        """emergency for 警戒レベル 4+, tsunami and 特別警報 (even when marked bulk); bulk for
        announcements; the rest is normal."""
        if self.level >= 4 or self.hazard in EMERGENCY_HAZARDS:
            return "emergency"
        return "bulk" if self.bulk else "default"
