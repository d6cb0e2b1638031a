from typing import Any

from django.conf import settings
from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse, translate_url
from django.utils.translation import get_language

from kurashi.core import hooks

LANGUAGE_LABELS = {"ja": ("日本語", "ja"), "en": ("English", "en")}


def portal(request: HttpRequest) -> dict[str, Any]:
    current = (get_language() or "ja")[:2]
    links = []
    for code, _name in settings.LANGUAGES:
        label, lang = LANGUAGE_LABELS.get(code, (code, code))
        links.append(
            {
                "code": code,
                "label": label,
                "lang": lang,
                "url": translate_url(request.get_full_path(), code),
                "is_current": code == current,
            }
        )
    nav = []
    for item in hooks.nav_items.items():
        if not item.visible(request):
            continue
        try:
            url = reverse(item.url_name)
        except NoReverseMatch:
            continue
        nav.append(
            {
                "key": item.key,
                "label": item.label,
                "url": url,
                "is_current": request.path == url
                or (url != "/" and url != f"/{current}/" and request.path.startswith(url)),
            }
        )
    return {"language_links": links, "nav_items": nav, "map_tile_url": settings.MAP_TILE_URL}
