"""やさしい日本語 for the written request pages, the same way the disaster module offers it
(kurashi/core/easy_japanese.py): while an easy page renders, a translation object
answers gettext from EASY_TEXTS and falls back to the Japanese catalogue. The easy pages have URLs
of their own (/access/easy/…) and <html lang="ja">."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django.http import HttpRequest, HttpResponse
from django.template.loader import render_to_string

from kurashi.core import easy_japanese as easy

EASY_LANGUAGE = "ja-x-easy-access"

# English msgid -> やさしい日本語 (short sentences, 分かち書き, few kanji).
EASY_TEXTS: dict[str, str] = {
    "Request communication support": "てつだいを たのむ",
    "Request an interpreter or captioner": "しゅわ つうやくや ようやく ひっきを たのむ",
    "You can ask in writing: no telephone is needed. The centre answers by e-mail and on this site.": "でんわは いりません。かいて たのめます。センターは メールと この サイトで こたえます。",
    "Start": "はじまる じかん",
    "End": "おわる じかん",
    "Kind of support": "てつだいの しゅるい",
    "Online": "オンライン（インターネット）",
    "Place": "ばしょ",
    "Municipality": "しちょう（すんで いる まち）",
    "Purpose (e.g. hospital visit, school meeting)": "なにの ため（れい：びょういん、がっこうの あつまり）",
    "Number of users": "つかう ひとの かず",
    "Interpreters needed": "ひつような つうやくしゃの かず",
    "Organisation (if on behalf of someone)": "だんたい（ほかの ひとの かわりに たのむ とき）",
    "Notes": "そのほか",
    "Send the request": "たのむ",
    "Sign language (手話)": "しゅわ",
    "Summary writing by hand (要約筆記・手書き)": "ようやく ひっき（てがき）",
    "Summary writing by PC (要約筆記・PC)": "ようやく ひっき（パソコン）",
    "Tactile sign language (触手話)": "しょくしゅわ（さわる しゅわ）",
    "Finger braille (指点字)": "ゆびてんじ",
    "My requests": "わたしが たのんだ こと",
    "Submitted": "うけつけ しました",
    "Confirmed": "きまりました",
    "Cancelled": "とりけし ました",
    "Write the place, or choose online.": "ばしょを かいて ください。または オンラインを えらんで ください。",
    "The end must be after the start.": "おわる じかんは はじまる じかんより あとに して ください。",
    "The start is in the past.": "はじまる じかんが もう すぎて います。",
    "Choose a municipality of Saga Prefecture.": "さがけんの まちを えらんで ください。",
    "This field is required.": "かいて ください。",
    "Plain Japanese": "ふつうの にほんご",
    "Easy Japanese": "やさしい にほんご",
    "Hearing-impaired support centre": "きこえない ひとの ための センター",
    "Skip to main content": "ほんぶんへ すすむ",
    "Language": "ことば",
}


@contextmanager
def easy_japanese() -> Iterator[None]:
    with easy.activate(EASY_LANGUAGE, EASY_TEXTS):
        yield


def render_easy(request: HttpRequest, template_name: str, context: dict[str, Any]) -> HttpResponse:
    """django.shortcuts.render in やさしい日本語 (context processors run first, in Japanese)."""
    values = easy.processed_context(request, context)
    values["is_easy"] = True
    values["LANGUAGE_CODE"] = "ja"
    with easy_japanese():
        return HttpResponse(render_to_string(template_name, values))
