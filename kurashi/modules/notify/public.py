"""Dissemination for other modules: hand over an alert revision, and it reaches every subscribed
resident on every channel they chose, exactly once per revision.

Notice — the frozen description of one alert revision (notify never imports the sender's models),
with what is in force per municipality as AreaState / KindInForce.
dispatch_notice(notice) — persist it and enqueue the fan-out when the caller's transaction commits;
idempotent on (event_key, revision), so several source documents of one revision send once.

DirectMessage / send_direct_message(message) — one transactional e-mail to one person (a receipt,
a save-and-resume link), sent when the caller's transaction commits, retried on SMTP failures.

The wording of alerts in every language (ja, やさしい日本語, en, zh-Hans, zh-Hant, ko, vi, tl, ne,
id, my, pt), from the same table the messages use, so that pages, API and CAP name a kind exactly
as the messages do: kind_label / kinds_label (a kind with its conditions), level_label (with
「相当」 for a JMA level), place_name (romanised outside Japanese), instruction_text (the action
for a level), area_lines (one municipality's lines), languages(); areas_from_json / areas_as_json
to store AreaStates.

send_web_push(...) — one Web Push to one device another module registered (VAPID, aes128gcm),
outside the alert fan-out; returns a PushResult (sent / retry / failed / gone).
web_push_public_key() — the VAPID public key browsers subscribe with ("" when not configured).
"""

from kurashi.modules.notify.messages import (
    area_level_label,
    area_lines,
    instruction_text,
    kind_label,
    kinds_label,
    languages,
    level_label,
    lifted_text,
    normalise_language,
    place_name,
)
from kurashi.modules.notify.notices import (
    SOURCE_JMA,
    SOURCE_MUNICIPALITY,
    AreaState,
    KindInForce,
    Notice,
    areas_as_json,
    areas_from_json,
)
from kurashi.modules.notify.services.direct import DirectMessage, send_direct_message
from kurashi.modules.notify.services.direct_push import (
    PushResult,
    send_web_push,
    web_push_public_key,
)
from kurashi.modules.notify.services.pipeline import dispatch_notice

__all__ = [
    "SOURCE_JMA",
    "SOURCE_MUNICIPALITY",
    "AreaState",
    "DirectMessage",
    "KindInForce",
    "Notice",
    "PushResult",
    "area_level_label",
    "area_lines",
    "areas_as_json",
    "areas_from_json",
    "dispatch_notice",
    "instruction_text",
    "kind_label",
    "kinds_label",
    "languages",
    "level_label",
    "lifted_text",
    "normalise_language",
    "place_name",
    "send_direct_message",
    "send_web_push",
    "web_push_public_key",
]
