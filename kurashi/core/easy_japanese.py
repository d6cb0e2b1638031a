"""やさしい日本語 (easy Japanese) as a gettext translation, shared by the modules that offer easy
pages (disaster portal, access written requests).

Django has no easy-Japanese locale, so each module registers a translation object under a
language key of its own ("ja-x-easy", "ja-x-easy-access"): it answers every lookup from the
module's EASY_TEXTS (English msgid -> やさしい日本語) and falls back to the Japanese catalogue. The
templates keep their ordinary {% translate %} tags, and lazy model labels translate too."""

from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest
from django.template import engines
from django.utils import translation
from django.utils.translation import trans_real


class EasyJapaneseTranslation:
    """A gettext translation object: `texts` first, then the Japanese catalogue."""

    def __init__(self, texts: Mapping[str, str], japanese: Any) -> None:
        self._texts = texts
        self._japanese = japanese

    def gettext(self, message: str) -> str:
        return self._texts.get(message) or str(self._japanese.gettext(message))

    def ngettext(self, singular: str, plural: str, number: int) -> str:
        easy = self._texts.get(singular if number == 1 else plural) or self._texts.get(singular)
        return easy or str(self._japanese.ngettext(singular, plural, number))

    def pgettext(self, context: str, message: str) -> str:
        return self._texts.get(message) or str(self._japanese.pgettext(context, message))

    def npgettext(self, context: str, singular: str, plural: str, number: int) -> str:
        return self.ngettext(singular, plural, number)

    def to_language(self) -> str:
        return "ja"

    def language(self) -> str:
        return "ja"


@contextmanager
def activate(language: str, texts: Mapping[str, str]) -> Iterator[None]:
    """Translate in やさしい日本語 from `texts` inside the block, under the key `language`.
    Registered on every use: Django's test signals replace trans_real._translations when
    LANGUAGES or LOCALE_PATHS change."""
    translations: dict[str, Any] = trans_real._translations  # type: ignore[attr-defined]
    if language not in translations:
        translations[language] = EasyJapaneseTranslation(texts, trans_real.translation("ja"))
    with translation.override(language):
        yield


def processed_context(request: HttpRequest, context: dict[str, Any]) -> dict[str, Any]:
    """`context` with the context processors' values, computed now, in the request's own
    language. Render an easy page with render_to_string(template, processed_context(...))
    inside activate(): a processor that switches language itself (the portal's translate_url)
    would otherwise end the easy Japanese half-way through the page, because leaving
    translation.override() restores plain Japanese."""
    engine = engines["django"].engine  # type: ignore[attr-defined]
    values: dict[str, Any] = {}
    for processor in engine.template_context_processors:
        values.update(processor(request))
    values.update(context)
    return values
