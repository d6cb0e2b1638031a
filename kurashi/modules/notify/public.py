"""Dissemination for other modules: hand over an alert revision, and it reaches every subscribed
resident on every channel they chose, exactly once per revision.

Notice — the frozen description of one alert revision (notify never imports the sender's models).
dispatch_notice(notice) — persist it and enqueue the fan-out when the caller's transaction commits;
idempotent on (event_key, revision), so several source documents of one revision send once.
DirectMessage / send_direct_message(message) — one transactional e-mail to one person (a receipt,
a save-and-resume link), sent when the caller's transaction commits, retried on SMTP failures.
"""

from kurashi.modules.notify.notices import Notice
from kurashi.modules.notify.services.direct import DirectMessage, send_direct_message
from kurashi.modules.notify.services.pipeline import dispatch_notice

__all__ = ["DirectMessage", "Notice", "dispatch_notice", "send_direct_message"]
