"""Dissemination for other modules: hand over an alert revision, and it reaches every subscribed
resident on every channel they chose, exactly once per revision.

Notice — the frozen description of one alert revision (notify never imports the sender's models).
dispatch_notice(notice) — persist it and enqueue the fan-out when the caller's transaction commits;
idempotent on (event_key, revision), so several source documents of one revision send once.
"""

from kurashi.modules.notify.notices import Notice
from kurashi.modules.notify.services.pipeline import dispatch_notice

__all__ = ["Notice", "dispatch_notice"]
