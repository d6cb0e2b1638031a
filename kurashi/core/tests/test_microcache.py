"""The ASGI micro-cache in front of Django for the emergency page."""

import asyncio
from collections.abc import MutableMapping
from typing import Any

import pytest

from kurashi.core.microcache import MicroCache, freshness_seconds, from_settings

PREFIXES = ("/disaster/emergency/", "/en/disaster/emergency/")

Message = MutableMapping[str, Any]


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class App:
    """A downstream ASGI app that counts its calls and answers with the given headers."""

    def __init__(
        self, headers: list[tuple[bytes, bytes]], *, status: int = 200, delay: float = 0
    ) -> None:
        self.headers = headers
        self.status = status
        self.delay = delay
        self.calls = 0

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        self.calls += 1
        if self.delay:
            await asyncio.sleep(self.delay)
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": b"page %d" % self.calls})


PUBLIC = [
    (b"content-type", b"text/html"),
    (b"cache-control", b"public, max-age=30"),
    (b"etag", b'"abc"'),
]


def scope(
    path: str = "/disaster/emergency/",
    *,
    method: str = "GET",
    headers: list[tuple[bytes, bytes]] | None = None,
) -> dict[str, Any]:
    return {
        "type": "http",
        "method": method,
        "path": path,
        "query_string": b"",
        "headers": headers or [],
    }


def request(
    cache: MicroCache, request_scope: dict[str, Any]
) -> tuple[int, dict[bytes, bytes], bytes]:
    messages: list[Message] = []

    async def receive() -> Message:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: Message) -> None:
        messages.append(message)

    asyncio.run(cache(request_scope, receive, send))
    start, body = messages[0], messages[1]
    return start["status"], dict(start["headers"]), body.get("body", b"")


def test_serves_a_public_response_from_memory_until_it_expires() -> None:
    app, clock = App(PUBLIC), FakeClock()
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=clock)

    first = request(cache, scope())
    clock.now += 12
    second = request(cache, scope())
    clock.now += 19
    third = request(cache, scope())

    assert first[2] == b"page 1"
    assert second[2] == b"page 1"
    assert second[1][b"age"] == b"12"
    assert third[2] == b"page 2"
    assert app.calls == 2
    assert (cache.hits, cache.misses) == (1, 2)


def test_the_age_of_the_response_shortens_its_stay() -> None:
    app, clock = App([*PUBLIC, (b"age", b"25")]), FakeClock()
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=clock)

    request(cache, scope())
    clock.now += 4
    assert request(cache, scope())[1][b"age"] == b"29"
    clock.now += 2
    request(cache, scope())

    assert app.calls == 2


@pytest.mark.parametrize(
    "headers",
    [
        [(b"cache-control", b"private, max-age=30")],
        [(b"cache-control", b"public, max-age=30, no-store")],
        [(b"cache-control", b"max-age=30")],
        [(b"cache-control", b"public")],
        [(b"cache-control", b"public, max-age=30"), (b"set-cookie", b"csrftoken=x")],
        [(b"cache-control", b"public, max-age=30"), (b"vary", b"*")],
    ],
)
def test_responses_not_marked_shareable_are_not_kept(headers: list[tuple[bytes, bytes]]) -> None:
    app = App(headers)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())

    request(cache, scope())
    request(cache, scope())

    assert freshness_seconds(headers) == 0
    assert app.calls == 2


def test_errors_are_not_kept() -> None:
    app = App(PUBLIC, status=500)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())

    request(cache, scope())
    assert request(cache, scope())[0] == 500

    assert app.calls == 2


@pytest.mark.parametrize(
    "request_scope",
    [
        scope("/disaster/"),
        scope("/disaster/emergency/", method="POST"),
        scope("/disaster/emergency/", headers=[(b"cookie", b"csrftoken=a; sessionid=b")]),
    ],
)
def test_other_paths_methods_and_signed_in_visitors_always_reach_django(
    request_scope: dict[str, Any],
) -> None:
    app = App(PUBLIC)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())

    request(cache, dict(request_scope))
    request(cache, dict(request_scope))

    assert app.calls == 2


def test_paths_and_languages_are_kept_apart() -> None:
    app = App(PUBLIC)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())

    request(cache, scope("/disaster/emergency/"))
    english = request(cache, scope("/en/disaster/emergency/"))
    easy = request(cache, scope("/disaster/easy/emergency/"))

    assert (english[2], easy[2]) == (b"page 2", b"page 3")


def test_a_matching_etag_gets_304_and_head_gets_no_body() -> None:
    app = App(PUBLIC)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())
    request(cache, scope())

    not_modified = request(cache, scope(headers=[(b"if-none-match", b'"abc"')]))
    head = request(cache, scope(method="HEAD"))

    assert not_modified[0] == 304
    assert not_modified[2] == b""
    assert head[0] == 200
    assert head[2] == b""
    assert head[1][b"etag"] == b'"abc"'
    assert app.calls == 1


def test_concurrent_misses_wait_for_one_render() -> None:
    app = App(PUBLIC, delay=0.05)
    cache = MicroCache(app, path_prefixes=PREFIXES)
    bodies: list[bytes] = []

    async def one() -> None:
        async def receive() -> Message:
            return {"type": "http.request"}

        async def send(message: Message) -> None:
            if message["type"] == "http.response.body":
                bodies.append(message["body"])

        await cache(scope(), receive, send)

    async def many() -> None:
        await asyncio.gather(*(one() for _ in range(50)))

    asyncio.run(many())

    assert app.calls == 1
    assert bodies == [b"page 1"] * 50


def test_the_number_of_entries_is_bounded() -> None:
    app = App(PUBLIC)
    cache = MicroCache(app, clock=FakeClock(), max_entries=2, path_prefixes=("/x/",))

    for number in range(3):
        request(cache, scope(f"/x/{number}/"))

    assert list(cache.entries) == [("/x/1/", b""), ("/x/2/", b"")]


def test_lifespan_and_websocket_scopes_pass_through() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["type"])

    cache = MicroCache(app, path_prefixes=PREFIXES)

    async def noop() -> Message:
        return {}

    async def ignore(message: Message) -> None:
        return None

    asyncio.run(cache({"type": "lifespan"}, noop, ignore))

    assert seen == ["lifespan"]


def test_requests_with_a_messages_cookie_reach_django_every_time() -> None:
    app = App(PUBLIC)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())
    with_messages = scope(headers=[(b"cookie", b"messages=abc")])

    request(cache, with_messages)
    request(cache, with_messages)

    assert app.calls == 2


VARY_COOKIE = [*PUBLIC, (b"vary", b"Accept-Language, Cookie")]


def test_cookieless_variant_of_a_vary_cookie_page_is_shared() -> None:
    app = App(VARY_COOKIE)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())

    request(cache, scope())
    status, _headers, body = request(cache, scope(headers=[(b"cookie", b"csrftoken=abc")]))

    assert (status, body, app.calls) == (200, b"page 1", 1)


def test_a_page_rendered_for_a_visitors_cookies_is_never_stored() -> None:
    app = App(VARY_COOKIE)
    cache = MicroCache(app, path_prefixes=PREFIXES, clock=FakeClock())
    with_csrf_cookie = scope(headers=[(b"cookie", b"csrftoken=abc")])

    request(cache, with_csrf_cookie)
    request(cache, scope())

    assert app.calls == 2


def test_event_streams_are_never_coalesced_or_kept() -> None:
    """Live captions: 20 anonymous viewers open the same stream URL at once; each reaches Django
    (a stream never completes, so nobody may wait behind the first one)."""
    app = App(PUBLIC, delay=0.05)
    cache = MicroCache(app, path_prefixes=PREFIXES)
    stream = scope(headers=[(b"accept", b"text/event-stream")])

    async def many() -> None:
        async def receive() -> Message:
            return {"type": "http.request"}

        async def send(message: Message) -> None:
            pass

        await asyncio.gather(*(cache(stream, receive, send) for _ in range(20)))

    asyncio.run(many())
    assert app.calls == 20
    assert cache.hits == 0


def test_a_visitor_with_the_configured_session_cookie_always_reaches_django(
    settings: Any,
) -> None:
    """kurashi/asgi.py builds the cache from settings: a renamed session cookie (e.g. a
    __Host- prefix in production) must still mark a signed-in visitor."""
    settings.SESSION_COOKIE_NAME = "__Host-kurashi"
    settings.MICROCACHE_PATH_PREFIXES = ["/"]
    app = App(PUBLIC)
    cache = from_settings(app)

    request(cache, scope("/"))  # an anonymous visitor: stored
    request(cache, scope("/", headers=[(b"cookie", b"__Host-kurashi=abc")]))

    assert app.calls == 2
