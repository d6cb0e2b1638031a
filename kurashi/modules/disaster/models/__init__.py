"""Models of the disaster module, one file per area (see each file's docstring)."""

from kurashi.modules.disaster.models.alerts import Alert, Hazard
from kurashi.modules.disaster.models.evacuation import EvacuationOrder
from kurashi.modules.disaster.models.jma import (
    AreaWarning,
    Bulletin,
    FeedEntry,
    FeedState,
    RejectedBulletin,
)
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.models.shelters import Shelter, ShelterStatusChange

__all__ = [
    "Alert",
    "AreaWarning",
    "Bulletin",
    "EvacuationOrder",
    "FeedEntry",
    "FeedState",
    "FieldReport",
    "Hazard",
    "RejectedBulletin",
    "Shelter",
    "ShelterStatusChange",
]
