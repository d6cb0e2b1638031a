"""GET / (the home page: 28 measures, indicators, actors) and GET /api/v1/plan/measures (JSON) on
the embedded server (`kurashi run`, SQLite unless DATABASE_URL is set), N keep-alive clients.

    .venv/bin/python bench/bench_home.py [--duration 10] [--warmup 2] [--clients 50]
                                         [--web-workers 1] [--no-wrk] [--save]

Progress goes to stderr; stdout gets exactly one JSON line. "home" and "plan_api" come from the
Python load generator (it shares the machine's CPUs with the server, see generator_cpu_pct);
"wrk" has wrk's figures for the same load when wrk is installed.
"""

import argparse
import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import (
    WRK,
    bench_server,
    emit,
    environment,
    event_loop_name,
    progress,
    run_load,
    run_wrk,
    wrk_version,
)

TARGETS = {
    "home": ("/", {"Accept": "text/html"}),
    "plan_api": ("/api/v1/plan/measures", {"Accept": "application/json"}),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=float, default=10.0, help="seconds measured per URL")
    parser.add_argument("--warmup", type=float, default=2.0, help="seconds before measuring")
    parser.add_argument("--clients", type=int, default=50, help="concurrent connections")
    parser.add_argument("--web-workers", type=int, default=1, help="uvicorn worker processes")
    parser.add_argument("--no-wrk", action="store_true", help="skip the wrk comparison")
    parser.add_argument("--save", action="store_true", help="append to bench/results/home.jsonl")
    args = parser.parse_args()

    figures: dict[str, object] = {
        "benchmark": "home",
        "clients": args.clients,
        "duration_s": args.duration,
        "warmup_s": args.warmup,
        "web_workers": args.web_workers,
        "generator": f"python-{event_loop_name()}",
        **environment(),
    }
    with bench_server(args.web_workers) as server:
        figures["database"] = server.database.split(":")[0]
        for name, (path, headers) in TARGETS.items():
            progress(
                f"{name}: GET {path}, {args.clients} clients, {args.warmup:g} s warm-up + "
                f"{args.duration:g} s (python) ..."
            )
            result = run_load(
                server.base_url,
                path,
                clients=args.clients,
                duration=args.duration,
                warmup=args.warmup,
                headers=headers,
            )
            figures[name] = result.figures()
            progress(
                f"  {result.rps} req/s, p50 {result.p50_ms} ms, p99 {result.p99_ms} ms, "
                f"errors {result.errors}, non-2xx {result.non_2xx}, "
                f"generator CPU {result.generator_cpu_pct} %"
            )
        if WRK and not args.no_wrk:
            wrk_figures: dict[str, object] = {"generator": wrk_version()}
            for name, (path, headers) in TARGETS.items():
                progress(
                    f"{name}: GET {path}, {args.clients} clients, {args.duration:g} s (wrk) ..."
                )
                result_wrk = run_wrk(
                    server.base_url,
                    path,
                    clients=args.clients,
                    duration=args.duration,
                    headers=headers,
                )
                wrk_figures[name] = result_wrk
                if result_wrk and "rps" in result_wrk:
                    progress(
                        f"  {result_wrk['rps']} req/s, p50 {result_wrk['p50_ms']} ms, "
                        f"p99 {result_wrk['p99_ms']} ms, errors {result_wrk['errors']}"
                    )
            figures["wrk"] = wrk_figures
        figures["load_average_1m_after"] = round(os.getloadavg()[0], 2)
        progress("stopping the server ...")
    emit(figures, save_as="home" if args.save else None)


if __name__ == "__main__":
    main()
