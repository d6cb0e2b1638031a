"""Template filters of the public disaster pages: times, levels, names and alert texts in the
page's language (日本語, English or やさしい日本語)."""

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.translation import gettext

from kurashi.modules.disaster.models import Alert, Hazard
from kurashi.modules.disaster.selectors import portal as portal_selectors
from kurashi.modules.disaster.views.portal_i18n import (
    EASY_LANGUAGE,
    current_language,
    distance_text,
)
from kurashi.modules.notify import public as notify_public

register = template.Library()

_MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@register.filter
def when(value: datetime | None) -> str:
    """A time in Japan time, written for the page's language."""
    if value is None:
        return ""
    local = timezone.localtime(value)
    language = current_language()
    if language == EASY_LANGUAGE:
        return f"{local.month}がつ{local.day}にち {local.hour}じ{local.minute}ふん"
    if language == "en":
        return f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year} {local:%H:%M}"
    return f"{local.year}年{local.month}月{local.day}日 {local:%H:%M}"


@register.filter
def level_label(level: int) -> str:
    """The level in words: 警戒レベル4 / Alert level 4 / けいかい レベル 4; "none" for 0."""
    if not level:
        return gettext("No level")
    return gettext("Alert level %(level)s") % {"level": level}


@register.filter
def alert_text(alert: Alert, field: str) -> str:
    return alert.text(current_language(), field)


@register.filter
def level_text(item: Any) -> str:
    """The level of a municipality (or a group of them) as its badge says it: 「警戒レベル5相当」
    when it comes from JMA warnings (levels 3–5), 「警戒レベル4」 for the municipality's own order
    and for levels 1–2; `item` has .level and .is_order."""
    return portal_selectors.level_text(int(item.level), is_order=bool(item.is_order))


@register.filter
def level_name(item: Any) -> str:
    """The level's own name where it has one (the order, or 警戒レベル1–2's action)."""
    return portal_selectors.level_name(int(item.level), is_order=bool(item.is_order))


@register.filter
def kind_labels(kinds: Any) -> str:
    """The kinds in force (KindInForce) named in the page's language, with their conditions:
    「大雨警報（浸水害）、洪水注意報」 / "Heavy Rain Warning (Inundation), Flood Advisory"."""
    return notify_public.kinds_label(tuple(kinds or ()), current_language())


@register.filter
def instruction_text(code: str) -> str:
    """What to do (notify's instruction key, e.g. "evacuate_all") in the page's language."""
    return notify_public.instruction_text(code or "stay_informed", current_language())


@register.filter
def hazard_label(value: str) -> str:
    try:
        return str(Hazard(value).label)
    except ValueError:
        return value


@register.filter
def place_name(municipality: Any) -> SafeString:
    """The municipality's name: English on English pages; with its reading (ruby) in
    やさしい日本語."""
    language = current_language()
    if language == "en" and municipality.name_en:
        return format_html('<span lang="en">{}</span>', municipality.name_en)
    if language == EASY_LANGUAGE and municipality.name_kana:
        return format_html(
            "<ruby>{}<rp>（</rp><rt>{}</rt><rp>）</rp></ruby>",
            municipality.name_ja,
            municipality.name_kana,
        )
    return format_html('<span lang="ja">{}</span>', municipality.name_ja)


@register.filter
def plain_place_name(municipality: Any) -> str:
    """The municipality's name as plain text (title, tooltip)."""
    if current_language() == "en" and municipality.name_en:
        return str(municipality.name_en)
    return str(municipality.name_ja)


@register.filter
def distance(metres: float) -> str:
    return distance_text(metres)


@register.filter
def order_message(order: Any) -> str:
    """An evacuation order's message in the page's language (Japanese when not written)."""
    language = current_language()
    if language == EASY_LANGUAGE and order.message_easy_ja:
        return str(order.message_easy_ja)
    if language == "en" and order.message_en:
        return str(order.message_en)
    return str(order.message_ja)


@register.filter
def gsi_map_url(shelter: Any) -> str:
    return f"https://maps.gsi.go.jp/#16/{shelter.latitude:.6f}/{shelter.longitude:.6f}/"
