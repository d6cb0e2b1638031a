"""External IIIF holders (the prefectural library's sagalibdb, Saga University …): which origins
a collection trusts, and whether a URL comes from one of them. Pure functions, no Django models.

Trust is explicit, per collection (Collection.iiif_origins): an item page opens an external
manifest in the viewer only from a trusted origin, and its Content-Security-Policy then allows
exactly those origins for images and fetches; thumbnails are fetched by this site (never by the
reader's browser) only from them."""

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

_ORIGIN = re.compile(r"^https?://[a-z0-9.-]+(:\d{1,5})?$")


def origin_of(url: str) -> str:
    """scheme://host[:port] of an http(s) URL, lower case; "" for anything else."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return ""
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        return ""
    port = f":{parts.port}" if parts.port else ""
    origin = f"{parts.scheme}://{parts.hostname.lower()}{port}"
    return origin if _ORIGIN.match(origin) else ""


def clean_origins(values: Iterable[str]) -> list[str]:
    """The valid origins of `values` (each reduced to its origin), without repeats; ValueError
    names the first value that is not an http(s) origin."""
    origins: list[str] = []
    for value in values:
        origin = origin_of(value)
        if not origin:
            raise ValueError(f"not an http(s) origin: {value!r}")
        if origin not in origins:
            origins.append(origin)
    return origins


def is_trusted(url: str, origins: Iterable[str]) -> bool:
    origin = origin_of(url)
    return bool(origin) and origin in set(origins)
