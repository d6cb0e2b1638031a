"""Hearing-impaired support centre live paths under load, on the embedded server (`kurashi run`,
demo data loaded):

1. captions: N viewers (default 300, anonymous, as on phones in a hall) hold Server-Sent-Event
   streams (httpx async) on /access/captions/<slug>/events/; a captioner commits K lines through
   the same POST the captioner page sends. For every (viewer, line) the time from sending the
   line to the line arriving at the viewer is measured. Goal: p99 < 300 ms.
2. text 119: D dispatcher consoles (default 3) of 佐賀広域消防局 listen on /access/119/console/events/;
   a resident places C calls (default 30) one after another. For every (console, call) the time
   from sending the call to the console's "calls" event is measured (the console then fetches the
   list). Goal: p99 < 1000 ms.

    .venv/bin/python bench/bench_access.py [--viewers 300] [--lines 40] [--consoles 3] [--calls 30]
        [--web-workers 1] [--save]

With --web-workers 2 the viewers are spread over two processes: a line posted to one reaches the
other's viewers through the live-event bus (kurashi/core/events.py: PostgreSQL LISTEN/NOTIFY, or
the 100 ms poll of the bus on SQLite); the figures then include the cross-process path.

Progress goes to stderr; stdout gets exactly one JSON line.
"""

import argparse
import asyncio
import json
import resource
import secrets
import string
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import bench_server, emit, environment, percentile, progress

SETUP = """
import json
from importlib import import_module
from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from kurashi.core.models import User
from kurashi.modules.access import services

engine = import_module(settings.SESSION_ENGINE)

def session_for(username):
    user = User.objects.get(username=username)
    store = engine.SessionStore()
    store[SESSION_KEY] = str(user.pk)
    store[BACKEND_SESSION_KEY] = settings.AUTHENTICATION_BACKENDS[0]
    store[HASH_SESSION_KEY] = user.get_session_auth_hash()
    store.create()
    return store.session_key

captioner = User.objects.get(username="access-captioner")
session = services.start_caption_session(actor=captioner, title="bench", venue="bench")
print(json.dumps({
    "slug": session.slug,
    "captioner": session_for("access-captioner"),
    "resident": session_for("resident"),
    "dispatcher": session_for("saga-119-dispatcher"),
}))
"""

CSRF = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))


def client_for(base_url: str, session_key: str | None, connections: int = 10) -> httpx.AsyncClient:
    cookies = {"csrftoken": CSRF}
    if session_key:
        cookies["sessionid"] = session_key
    return httpx.AsyncClient(
        base_url=base_url,
        cookies=cookies,
        headers={"X-CSRFToken": CSRF, "X-Requested-With": "fetch"},
        timeout=httpx.Timeout(60.0, read=None),
        limits=httpx.Limits(max_connections=connections, max_keepalive_connections=connections),
    )


async def _listen(
    client: httpx.AsyncClient,
    path: str,
    ready: asyncio.Event,
    on_data: "callable[[str, str, float], None]",  # type: ignore[valid-type]
    stop: asyncio.Event,
) -> None:
    async with client.stream("GET", path, headers={"Accept": "text/event-stream"}) as response:
        response.raise_for_status()
        event = ""
        async for line in response.aiter_lines():
            now = time.perf_counter()
            if line.startswith(": connected"):
                ready.set()
            elif line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: "):
                on_data(event, line[6:], now)
            if stop.is_set():
                break


async def _wait_ready(
    readies: list[asyncio.Event], tasks: list[asyncio.Task[None]], timeout: float
) -> None:
    """Wait until every stream said ": connected"; a stream that failed ends the run with its error."""
    deadline = time.perf_counter() + timeout
    while not all(ready.is_set() for ready in readies):
        for task in tasks:
            if task.done() and task.exception() is not None:
                raise RuntimeError(f"a stream failed: {task.exception()!r}")
        if time.perf_counter() > deadline:
            raise TimeoutError(
                f"{sum(r.is_set() for r in readies)} of {len(readies)} streams connected"
            )
        await asyncio.sleep(0.05)


async def caption_fan_out(
    base_url: str, setup: dict[str, str], viewers: int, lines: int
) -> dict[str, object]:
    slug = setup["slug"]
    sent: dict[str, float] = {}
    latencies: list[float] = []
    received = [0]

    def on_data(event: str, data: str, now: float) -> None:
        if event != "message":
            return
        body = json.loads(data)["body"]
        if body in sent:
            latencies.append((now - sent[body]) * 1000)
            received[0] += 1

    viewer_client = client_for(base_url, None, connections=viewers + 10)
    readies = [asyncio.Event() for _ in range(viewers)]
    stop = asyncio.Event()
    progress(f"connecting {viewers} caption viewers ...")
    started = time.perf_counter()
    tasks = [
        # One URL for every viewer, as browsers send it (Accept: text/event-stream).
        asyncio.create_task(
            _listen(
                viewer_client,
                f"/access/captions/{slug}/events/?after=0",
                ready,
                on_data,
                stop,
            )
        )
        for index, ready in enumerate(readies)
    ]
    await _wait_ready(readies, tasks, timeout=120)
    connect_s = time.perf_counter() - started
    progress(f"{viewers} viewers connected in {connect_s:.1f} s; committing {lines} lines ...")
    captioner = client_for(base_url, setup["captioner"])
    # One unmeasured line first: the captioner's page is open before the talk starts (its first
    # request warms the session, permission and database caches of the worker).
    (
        await captioner.post(f"/access/captions/{slug}/lines/", data={"body": "warm-up"})
    ).raise_for_status()
    await asyncio.sleep(0.5)
    post_ms: list[float] = []

    for number in range(lines):
        body = f"字幕ベンチ {number:04d} 本日はお越しいただきありがとうございます"
        sent[body] = time.perf_counter()
        response = await captioner.post(f"/access/captions/{slug}/lines/", data={"body": body})
        post_ms.append((time.perf_counter() - sent[body]) * 1000)
        response.raise_for_status()
        await asyncio.sleep(0.25)  # a captioner commits a line every few hundred ms at most
    deadline = time.perf_counter() + 10
    while received[0] < viewers * lines and time.perf_counter() < deadline:
        await asyncio.sleep(0.05)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await viewer_client.aclose()
    await captioner.aclose()
    ordered = sorted(latencies)
    post_sorted = sorted(post_ms)
    return {
        "viewers": viewers,
        "lines": lines,
        "samples": len(ordered),
        "missed": viewers * lines - len(ordered),
        "connect_all_s": round(connect_s, 2),
        "p50_ms": round(percentile(ordered, 0.5) or 0, 1),
        "p90_ms": round(percentile(ordered, 0.9) or 0, 1),
        "p99_ms": round(percentile(ordered, 0.99) or 0, 1),
        "max_ms": round(ordered[-1], 1) if ordered else None,
        "post_max_ms": round(post_sorted[-1], 1) if post_sorted else None,
        "post_p50_ms": round(percentile(post_sorted, 0.5) or 0, 1),
        "post_p99_ms": round(percentile(post_sorted, 0.99) or 0, 1),
    }


async def call_delivery(
    base_url: str, setup: dict[str, str], consoles: int, calls: int
) -> dict[str, object]:
    latencies: list[float] = []
    pending: dict[int, float] = {}
    current = [0.0]

    def make_handler(index: int) -> "callable[[str, str, float], None]":  # type: ignore[valid-type]
        def on_data(event: str, data: str, now: float) -> None:
            if event == "calls" and current[0] and index in pending:
                latencies.append((now - pending.pop(index)) * 1000)

        return on_data

    dispatcher = client_for(base_url, setup["dispatcher"], connections=consoles + 5)
    readies = [asyncio.Event() for _ in range(consoles)]
    stop = asyncio.Event()
    tasks = [
        asyncio.create_task(
            _listen(dispatcher, "/access/119/console/events/", ready, make_handler(i), stop)
        )
        for i, ready in enumerate(readies)
    ]
    await _wait_ready(readies, tasks, timeout=60)
    progress(f"{consoles} consoles connected; placing {calls} text-119 calls ...")
    resident = client_for(base_url, setup["resident"])
    for number in range(calls):
        start = time.perf_counter()
        current[0] = start
        for index in range(consoles):
            pending[index] = start
        response = await resident.post(
            "/access/119/call/",
            data={
                "kind": "ambulance",
                "latitude": "33.2494",
                "longitude": "130.2988",
                "accuracy": "20",
                "gps_municipality": "412015",
                "municipality_code": "412015",
                "client_key": f"bench-{secrets.token_hex(8)}-{number}",
            },
        )
        if response.status_code not in (302, 200):
            raise RuntimeError(f"call failed: HTTP {response.status_code}")
        deadline = time.perf_counter() + 5
        while pending and time.perf_counter() < deadline:
            await asyncio.sleep(0.005)
        pending.clear()
        await asyncio.sleep(0.2)
    stop.set()
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await dispatcher.aclose()
    await resident.aclose()
    ordered = sorted(latencies)
    return {
        "consoles": consoles,
        "calls": calls,
        "samples": len(ordered),
        "missed": consoles * calls - len(ordered),
        "p50_ms": round(percentile(ordered, 0.5) or 0, 1),
        "p99_ms": round(percentile(ordered, 0.99) or 0, 1),
        "max_ms": round(ordered[-1], 1) if ordered else None,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--viewers", type=int, default=300)
    parser.add_argument("--lines", type=int, default=40)
    parser.add_argument("--consoles", type=int, default=3)
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, max(soft, 4096)), hard))
    figures: dict[str, object] = {"bench": "access", **environment()}
    figures["web_workers"] = args.web_workers
    with bench_server(web_workers=args.web_workers) as server:
        progress("creating sessions and a caption session ...")
        setup = json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])
        figures["captions"] = asyncio.run(
            caption_fan_out(server.base_url, setup, args.viewers, args.lines)
        )
        figures["text119"] = asyncio.run(
            call_delivery(server.base_url, setup, args.consoles, args.calls)
        )
    figures["goals"] = {"caption_p99_ms": 300, "text119_delivery_p99_ms": 1000}
    emit(figures, save_as="access" if args.save else None)


if __name__ == "__main__":
    main()
