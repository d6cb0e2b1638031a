"""やさしい日本語 (easy Japanese) for the public disaster pages, and their language links.

Django has no "ja-x-easy" locale and settings.LANGUAGES has only ja and en, so the easy variant is
a URL family of its own (/disaster/easy/…, see urls/portal.py). While such a page renders,
`easy_japanese()` activates a translation object for "ja-x-easy" that answers every gettext
lookup from EASY_TEXTS (English msgid -> やさしい日本語) and falls back to the Japanese catalogue
for anything not in it. So the templates use the ordinary {% translate %} tags and lazy model
labels (Hazard, Shelter.Crowding …) translate too. get_language() stays "ja" (the URL resolver
would otherwise put a /ja-x-easy/ prefix on every reversed URL, and <html lang="ja"> is right for
easy Japanese); current_language() returns "ja-x-easy", the code Alert.text() expects.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext

from kurashi.core import easy_japanese as easy
from kurashi.modules.disaster.views.portal_easy_texts import EASY_TEXTS

EASY_LANGUAGE = "ja-x-easy"
EASY_VARIANT = "easy"

_easy_active: ContextVar[bool] = ContextVar("disaster_easy_japanese", default=False)


@contextmanager
def easy_japanese() -> Iterator[None]:
    """Render in やさしい日本語 inside the block. Nothing inside may call translation.override():
    leaving it re-activates plain Japanese (see render_page)."""
    token = _easy_active.set(True)
    try:
        with easy.activate(EASY_LANGUAGE, EASY_TEXTS):
            yield
    finally:
        _easy_active.reset(token)


@contextmanager
def page_language(variant: str) -> Iterator[None]:
    if variant == EASY_VARIANT:
        with easy_japanese():
            yield
    else:
        yield


def render_page(
    request: HttpRequest, template_name: str, context: dict[str, Any], *, variant: str
) -> HttpResponse:
    """django.shortcuts.render, in やさしい日本語 for the easy variant.

    The context processors run first, in the request's own language: a processor that switches
    language itself (the portal's translate_url) would otherwise end the easy Japanese half-way
    through the page, because translation.override() restores get_language() == "ja"."""
    if variant != EASY_VARIANT:
        return HttpResponse(render_to_string(template_name, context, request))
    values = easy.processed_context(request, context)
    with easy_japanese():
        return HttpResponse(render_to_string(template_name, values))


def current_language() -> str:
    """ "ja", "en" or "ja-x-easy"."""
    if _easy_active.get():
        return EASY_LANGUAGE
    language = translation.get_language() or "ja"
    return "en" if language.startswith("en") else "ja"


# (code, label, lang attribute of the label)
LANGUAGE_CHOICES = (
    ("ja", "日本語", "ja"),
    ("en", "English", "en"),
    (EASY_LANGUAGE, "やさしい にほんご", "ja"),
)


def language_links(
    request: HttpRequest, url_name: str, *, kwargs: dict[str, str] | None = None
) -> list[dict[str, Any]]:
    """The base template's language switch for a disaster page: 日本語, English and
    やさしい にほんご, each pointing at the same page (and query) in that language.

    `url_name` is the plain name ("disaster:portal"); the easy page is `<url_name>-easy`."""
    current = current_language()
    query = request.META.get("QUERY_STRING", "")
    links = []
    for code, label, lang in LANGUAGE_CHOICES:
        name = f"{url_name}-easy" if code == EASY_LANGUAGE else url_name
        with translation.override("ja" if code == EASY_LANGUAGE else code):
            try:
                url = reverse(name, kwargs=kwargs)
            except NoReverseMatch:
                continue
        links.append(
            {
                "code": code,
                "label": label,
                "lang": lang,
                "url": f"{url}?{query}" if query else url,
                "is_current": code == current,
            }
        )
    return links


def distance_text(metres: float) -> str:
    if metres < 1000:
        return gettext("%(metres)s m") % {"metres": int(round(metres, -1))}
    return gettext("%(km)s km") % {"km": f"{metres / 1000:.1f}"}
