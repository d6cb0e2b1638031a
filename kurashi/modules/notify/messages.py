"""Messages per language, rendered from templates per alert kind (new alert, update, 取消/解除).

The alert's own texts (event, headline, description, instruction) come from the sender in each
language; the frame around them — subject, kind line, level line, links — comes from the
templates below (no machine translation). A language missing from the alert falls back to ja.
"""

from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.template import engines

# The frame's phrases per language and kind ("alert", "update", "cancel", "correction").
PHRASES: dict[str, dict[str, str]] = {
    "ja": {
        "alert": "【発表】",
        "update": "【更新】",
        "cancel": "【解除・取消】",
        "correction": "先にお送りした情報の訂正です。",
        "level": "警戒レベル{level}",
        "details": "最新の情報",
        "unsubscribe": "配信停止",
        "exercise": "【訓練】",
    },
    "ja-x-easy": {
        "alert": "【おしらせ】",
        "update": "【あたらしい おしらせ】",
        "cancel": "【おわり・とりけし】",
        "correction": "まえに おくった おしらせが かわりました。",
        "level": "けいかいレベル{level}",
        "details": "いまの じょうほう",
        "unsubscribe": "メールを とめる",
        "exercise": "【くんれん】",
    },
    "en": {
        "alert": "[Alert]",
        "update": "[Update]",
        "cancel": "[Lifted / Cancelled]",
        "correction": "This corrects a message we sent you earlier.",
        "level": "Alert level {level}",
        "details": "Latest information",
        "unsubscribe": "Unsubscribe",
        "exercise": "[Exercise]",
    },
    "zh-Hans": {
        "alert": "【发布】",
        "update": "【更新】",
        "cancel": "【解除・取消】",
        "correction": "这是对之前发送信息的更正。",
        "level": "警戒等级{level}",
        "details": "最新信息",
        "unsubscribe": "退订",
        "exercise": "【演习】",
    },
    "ko": {
        "alert": "[발표]",
        "update": "[갱신]",
        "cancel": "[해제・취소]",
        "correction": "앞서 보내드린 정보의 정정입니다.",
        "level": "경계 레벨 {level}",
        "details": "최신 정보",
        "unsubscribe": "수신 거부",
        "exercise": "[훈련]",
    },
    "vi": {
        "alert": "[Cảnh báo]",
        "update": "[Cập nhật]",
        "cancel": "[Dỡ bỏ / Hủy]",
        "correction": "Đây là thông tin đính chính cho tin nhắn trước.",
        "level": "Cấp độ cảnh báo {level}",
        "details": "Thông tin mới nhất",
        "unsubscribe": "Hủy đăng ký",
        "exercise": "[Diễn tập]",
    },
}

_BODY = """{% autoescape off %}{{ kind }}{% if level_line %} {{ level_line }}{% endif %} {{ event }}
{% if correction %}
{{ correction }}
{% endif %}
{{ headline }}
{% if description %}
{{ description }}
{% endif %}{% if instruction %}
{{ instruction }}
{% endif %}
{{ details }}: {{ web_url }}
{% if unsubscribe_url %}
{{ unsubscribe_label }}: {{ unsubscribe_url }}
{% endif %}{% endautoescape %}"""


@dataclass(frozen=True)
class RenderedMessage:
    language: str
    subject: str
    body: str
    url: str
    unsubscribe_url: str

    def as_payload(self, *, notice_key: str, level: int, hazard: str) -> dict[str, Any]:
        return {
            "id": notice_key,
            "title": self.subject,
            "body": self.body,
            "url": self.url,
            "level": level,
            "hazard": hazard,
            "language": self.language,
            "unsubscribe": self.unsubscribe_url,
        }


def kind_of(msg_type: str) -> str:
    return {"Update": "update", "Cancel": "cancel"}.get(msg_type, "alert")


def absolute_url(path: str) -> str:
    if path.startswith(("http://", "https://")):
        return path
    site = str(getattr(settings, "SITE_URL", "http://127.0.0.1:8000")).rstrip("/")
    return site + (path if path.startswith("/") else "/" + path)


def render_message(
    *,
    language: str,
    msg_type: str,
    level: int,
    texts: dict[str, dict[str, str]],
    web_url: str,
    is_correction: bool = False,
    is_exercise: bool = False,
    unsubscribe_url: str = "",
) -> RenderedMessage:
    phrases = PHRASES.get(language) or PHRASES["ja"]
    own = texts.get(language) or {}
    japanese = texts.get("ja") or {}

    def text(field: str) -> str:
        return str(own.get(field) or japanese.get(field) or "")

    kind = phrases[kind_of(msg_type)]
    if is_exercise:
        kind = phrases["exercise"] + kind
    level_line = phrases["level"].format(level=level) if level else ""
    event = text("event")
    headline = text("headline") or event
    url = absolute_url(web_url)
    subject = " ".join(part for part in (kind, level_line, event or headline) if part)
    body = (
        engines["django"]
        .from_string(_BODY)
        .render(
            {
                "kind": kind,
                "level_line": level_line,
                "event": event,
                "correction": phrases["correction"] if is_correction else "",
                "headline": headline,
                "description": text("description"),
                "instruction": text("instruction"),
                "details": phrases["details"],
                "web_url": url,
                "unsubscribe_label": phrases["unsubscribe"],
                "unsubscribe_url": unsubscribe_url,
            }
        )
    )
    return RenderedMessage(
        language=language if language in PHRASES else "ja",
        subject=subject,
        body=body.strip() + "\n",
        url=url,
        unsubscribe_url=unsubscribe_url,
    )
