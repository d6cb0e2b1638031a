"""A tiny in-process ASGI micro-cache in front of Django (kurashi/asgi.py).

While an evacuation order is in force every resident opens the same light emergency page at once.
Django with its full middleware stack answers a cached page in about a millisecond of CPU; this
cache answers a repeat in a few microseconds, in front of Django, for responses Django itself
marked shareable:

- only GET (and HEAD) on the path prefixes in settings.MICROCACHE_PATH_PREFIXES, and only
  requests without a session or messages cookie (a signed-in visitor always reaches Django);
- only 200 responses with `Cache-Control: public, max-age=N` (N > 0), no `private`/`no-store`/
  `no-cache`, no `Set-Cookie`, no `Vary: *`; kept for N minus the response's `Age`;
- only responses to requests that carried no cookie at all: such a response is the anonymous,
  cookieless variant, so `Vary: Cookie` (added whenever a template looks at the user) does not
  stop it being shared with other visitors who have no session — while a page rendered for a
  visitor's own cookies (a CSRF token in a form) is never stored;
- keyed by path + query string: Kurashi's language is in the path (/en/…, /disaster/easy/…), so
  `Vary: Accept-Language` added by LocaleMiddleware does not split the key;
- concurrent misses of one key wait for the first one (no stampede at expiry);
- `If-None-Match` matching the stored ETag gets a 304.

Each web process keeps its own copy (at most max_entries responses of at most max_body_bytes).
"""

import asyncio
import re
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[..., Awaitable[None]]  # Django's ASGIHandler types its arguments more narrowly

_MAX_AGE = re.compile(r"(?:^|,)\s*max-age\s*=\s*(\d+)", re.IGNORECASE)


@dataclass
class _Entry:
    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    stored_at: float
    expires_at: float
    age_at_store: int
    etag: bytes | None


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> bytes | None:
    for key, value in headers:
        if key.lower() == name:
            return value
    return None


def freshness_seconds(headers: list[tuple[bytes, bytes]]) -> int:
    """How long a response may be shared, from its own headers; 0 = not at all."""
    control = (_header(headers, b"cache-control") or b"").decode("latin-1").lower()
    directives = {part.strip().split("=")[0] for part in control.split(",")}
    if "public" not in directives or directives & {"private", "no-store", "no-cache"}:
        return 0
    if _header(headers, b"set-cookie") is not None:
        return 0
    vary = (_header(headers, b"vary") or b"").decode("latin-1").lower()
    if "*" in vary:
        return 0
    match = _MAX_AGE.search(control)
    if not match:
        return 0
    age = int((_header(headers, b"age") or b"0").decode("latin-1") or 0)
    return max(0, int(match.group(1)) - age)


class MicroCache:
    def __init__(
        self,
        app: ASGIApp,
        *,
        path_prefixes: tuple[str, ...],
        max_entries: int = 64,
        max_body_bytes: int = 512 * 1024,
        bypass_cookies: tuple[bytes, ...] = (b"sessionid", b"messages"),
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.app = app
        self.path_prefixes = path_prefixes
        self.max_entries = max_entries
        self.max_body_bytes = max_body_bytes
        self.bypass_cookies = tuple(name + b"=" for name in bypass_cookies)
        self.clock = clock
        self.entries: dict[tuple[str, bytes], _Entry] = {}
        self._pending: dict[tuple[str, bytes], asyncio.Future[None]] = {}
        self.hits = 0
        self.misses = 0

    def _eligible(self, scope: Scope) -> bool:
        if scope["type"] != "http" or scope.get("method") not in {"GET", "HEAD"}:
            return False
        if not scope.get("path", "").startswith(self.path_prefixes):
            return False
        headers = list(scope.get("headers", []))
        if b"text/event-stream" in (_header(headers, b"accept") or b""):
            # A Server-Sent Events stream never completes: coalescing would queue every other
            # viewer behind the first one for as long as it stays connected.
            return False
        cookie = _header(headers, b"cookie") or b""
        return not any(name in cookie for name in self.bypass_cookies)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._eligible(scope):
            await self.app(scope, receive, send)
            return
        key = (scope["path"], scope.get("query_string", b""))
        entry = self._fresh(key)
        waited = False
        if entry is None and key in self._pending:
            await asyncio.shield(self._pending[key])
            entry, waited = self._fresh(key), True
        if entry is not None:
            self.hits += 1
            await self._serve(entry, scope, send)
            return
        self.misses += 1
        if waited or scope["method"] != "GET":
            # Not storable (or a HEAD): no queueing behind one another.
            await self.app(scope, receive, send)
            return
        done: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._pending[key] = done
        try:
            await self._fetch_and_store(key, scope, receive, send)
        finally:
            del self._pending[key]
            done.set_result(None)

    def _fresh(self, key: tuple[str, bytes]) -> _Entry | None:
        entry = self.entries.get(key)
        if entry is None:
            return None
        if entry.expires_at <= self.clock():
            del self.entries[key]
            return None
        return entry

    async def _fetch_and_store(
        self, key: tuple[str, bytes], scope: Scope, receive: Receive, send: Send
    ) -> None:
        start: Message | None = None
        chunks: list[bytes] = []
        size = 0

        async def capture(message: Message) -> None:
            nonlocal start, size
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body" and size <= self.max_body_bytes:
                body = bytes(message.get("body", b""))
                chunks.append(body)
                size += len(body)
            await send(message)

        await self.app(scope, receive, capture)
        if start is None or start["status"] != 200 or size > self.max_body_bytes:
            return
        if _header(list(scope.get("headers", [])), b"cookie") is not None:
            return  # rendered for this visitor's cookies: not the shareable anonymous variant
        headers = [(bytes(name), bytes(value)) for name, value in start.get("headers", [])]
        seconds = freshness_seconds(headers)
        if seconds <= 0:
            return
        now = self.clock()
        age = int((_header(headers, b"age") or b"0").decode("latin-1") or 0)
        if len(self.entries) >= self.max_entries:
            self.entries.pop(next(iter(self.entries)))
        self.entries[key] = _Entry(
            status=200,
            headers=[(name, value) for name, value in headers if name.lower() != b"age"],
            body=b"".join(chunks),
            stored_at=now,
            expires_at=now + seconds,
            age_at_store=age,
            etag=_header(headers, b"etag"),
        )

    async def _serve(self, entry: _Entry, scope: Scope, send: Send) -> None:
        age = str(entry.age_at_store + int(self.clock() - entry.stored_at)).encode()
        headers = [*entry.headers, (b"age", age)]
        request_headers = list(scope.get("headers", []))
        if entry.etag is not None and _header(request_headers, b"if-none-match") == entry.etag:
            kept = [
                (n, v) for n, v in headers if n.lower() not in {b"content-length", b"content-type"}
            ]
            await send({"type": "http.response.start", "status": 304, "headers": kept})
            await send({"type": "http.response.body", "body": b""})
            return
        await send({"type": "http.response.start", "status": entry.status, "headers": headers})
        body = b"" if scope["method"] == "HEAD" else entry.body
        await send({"type": "http.response.body", "body": body})


def from_settings(app: ASGIApp) -> MicroCache:
    """The micro-cache as kurashi/asgi.py puts it in front of Django: the configured path prefixes,
    and the configured session cookie name (a visitor who carries it always reaches Django)."""
    from django.conf import settings

    return MicroCache(
        app,
        path_prefixes=tuple(settings.MICROCACHE_PATH_PREFIXES),
        bypass_cookies=(settings.SESSION_COOKIE_NAME.encode(), b"messages"),
    )
