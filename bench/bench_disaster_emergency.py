"""The light emergency page (/disaster/emergency/) vs. the full portal page (/disaster/?full=1)
under 200 concurrent keep-alive clients, with a 警戒レベル 4 in force for 佐賀市 and open shelters,
on the embedded server (`kurashi run --web-workers N`, demo data loaded). Goal: >= 2,000 req/s
for the emergency page on 2 cores.

    .venv/bin/python bench/bench_disaster_emergency.py [--web-workers 1,2] [--clients 200]
        [--duration 10] [--warmup 2] [--no-wrk] [--no-microcache] [--save]

For each worker count: the emergency page as shipped (behind the ASGI micro-cache,
kurashi/core/microcache.py), the full portal, and — unless --no-microcache — the emergency page
as Django alone serves it (rendered bytes cached 30 s in the Django cache; a second server on the
same database with MICROCACHE_ENABLED=0). Progress goes to stderr; stdout gets exactly one JSON line.
"""

import argparse
import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    REPO_ROOT,
    WRK,
    bench_server,
    emit,
    environment,
    event_loop_name,
    progress,
    run_load,
    run_wrk,
)

from kurashi.testing.server import RunningServer, free_port

TARGETS = {
    "emergency": "/disaster/emergency/",
    "portal_full": "/disaster/?full=1",
}
SETUP = """
from django.utils import timezone
from kurashi.modules.disaster.models import Shelter
from kurashi.modules.disaster.services.alerts import record_alert
record_alert(
    source="jma", event_key="bench:landslide", identifier="bench:landslide:1", status="Actual",
    sent=timezone.now(), hazard="landslide", area_levels={"412015": 4, "412023": 3, "412031": 2},
    texts={"ja": {"event": "土砂災害警戒情報", "headline": "佐賀市に土砂災害警戒情報を発表しました。"},
           "en": {"event": "Landslide alert", "headline": "A landslide alert was issued."}},
    sender_name_ja="佐賀県・佐賀地方気象台",
)
opened = 0
for shelter in Shelter.objects.filter(municipality_code="412015").order_by("pk")[:20]:
    Shelter.objects.filter(pk=shelter.pk).update(open_state="open", crowding="available")
    opened += 1
if not opened:
    for number in range(10):
        Shelter.objects.create(common_id=f"E41201009{number:05d}", kind="shelter", municipality_code="412015",
            name=f"ベンチ避難所{number}", address="佐賀県佐賀市", latitude=33.25, longitude=130.30 + number / 1000,
            open_state="open", crowding="available")
        opened += 1
print(opened)
"""


def prepare(server: RunningServer) -> int:
    return int(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])


@contextmanager
def django_only_server(server: RunningServer, web_workers: int) -> Iterator[str]:
    """A second `kurashi run` on the bench server's database with the micro-cache switched off."""
    port = free_port()
    command = [sys.executable, "-m", "kurashi", "run", "--no-worker", "--host", "127.0.0.1"]
    command += ["--port", str(port), "--web-workers", str(web_workers)]
    env = {**server.env, "MICROCACHE_ENABLED": "0"}
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=env, start_new_session=True)
    base_url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(base_url + TARGETS["emergency"], timeout=2) as response:  # noqa: S310
                    if response.status == 200:
                        break
            except OSError:
                if time.monotonic() > deadline or process.poll() is not None:
                    raise
                time.sleep(0.2)
        yield base_url
    finally:
        with suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        process.wait(timeout=20)


def measure(base_url: str, path: str, args: argparse.Namespace, label: str) -> dict[str, object]:
    progress(
        f"{label}: GET {path}, {args.clients} clients, {args.warmup:g} s + {args.duration:g} s ..."
    )
    result = run_load(
        base_url,
        path,
        clients=args.clients,
        duration=args.duration,
        warmup=args.warmup,
        headers={"Accept": "text/html"},
    ).figures()
    progress(
        f"  python: {result['rps']} req/s, p50 {result['p50_ms']} ms, p99 {result['p99_ms']} ms, errors {result['errors']}, non-2xx {result['non_2xx']}"
    )
    figures: dict[str, object] = {"python": result}
    if WRK and not args.no_wrk:
        wrk = run_wrk(
            base_url,
            path,
            clients=args.clients,
            duration=args.duration,
            headers={"Accept": "text/html"},
        )
        figures["wrk"] = wrk
        if wrk and "rps" in wrk:
            progress(
                f"  wrk:    {wrk['rps']} req/s, p50 {wrk['p50_ms']} ms, p99 {wrk['p99_ms']} ms, errors {wrk['errors']}"
            )
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--web-workers", default="1,2", help="comma-separated worker counts")
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=10.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--no-wrk", action="store_true")
    parser.add_argument("--no-microcache", action="store_true")
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()

    figures: dict[str, object] = {
        "benchmark": "disaster_emergency",
        "clients": args.clients,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "generator": f"python-{event_loop_name()}",
        "goal_rps": 2000,
        **environment(),
    }
    runs: dict[str, object] = {}
    for workers in [int(value) for value in args.web_workers.split(",")]:
        run: dict[str, object] = {}
        with bench_server(workers) as server:
            figures["database"] = server.database.split(":")[0]
            run["open_shelters"] = prepare(server)
            with urllib.request.urlopen(server.base_url + "/disaster/", timeout=10) as response:  # noqa: S310
                run["portal_switches_to"] = urlsplit(response.url).path
            for name, path in TARGETS.items():
                run[name] = measure(server.base_url, path, args, f"{workers} worker(s), {name}")
            if not args.no_microcache:
                with django_only_server(server, workers) as base_url:
                    run["emergency_django_only"] = measure(
                        base_url,
                        TARGETS["emergency"],
                        args,
                        f"{workers} worker(s), emergency without the micro-cache",
                    )
            progress("stopping the server ...")
        runs[f"web_workers_{workers}"] = run
    figures["runs"] = runs
    figures["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    emit(figures, save_as="disaster_emergency" if args.save else None)


if __name__ == "__main__":
    main()
