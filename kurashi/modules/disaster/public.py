"""Disaster information for other modules and the portal.

current_alerts() — alerts in force (Actual only unless include_exercise);
municipality_levels() — the highest 警戒レベル in force per municipality code.
"""

from kurashi.modules.disaster.selectors.alerts import current_alerts, municipality_levels

__all__ = ["current_alerts", "municipality_levels"]
