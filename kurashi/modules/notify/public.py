"""Dissemination for other modules: hand over an alert revision, and it reaches every subscribed
resident on every channel they chose, exactly once per revision.

Notice — the frozen description of one alert revision (notify never imports the sender's models).
dispatch_notice(notice) — persist it and enqueue the fan-out when the caller's transaction commits;
idempotent on (event_key, revision), so several source documents of one revision send once.
send_web_push(...) — one Web Push to one device another module registered (VAPID, aes128gcm),
outside the alert fan-out; returns a PushResult (sent / retry / failed / gone).
web_push_public_key() — the VAPID public key browsers subscribe with ("" when not configured).
"""

from kurashi.modules.notify.notices import Notice
from kurashi.modules.notify.services.direct_push import (
    PushResult,
    send_web_push,
    web_push_public_key,
)
from kurashi.modules.notify.services.pipeline import dispatch_notice

__all__ = ["Notice", "PushResult", "dispatch_notice", "send_web_push", "web_push_public_key"]
