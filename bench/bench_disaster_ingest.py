"""Ingest latency of JMA 防災情報XML: file → parsed → Saga state → Alert committed → CAP rendered.

    .venv/bin/python bench/bench_disaster_ingest.py [--runs 50] [--save]

Two documents: a typical Saga VPWW53 (20 municipalities, warnings and advisories) and the real
442 KB VXSE53 of the 2024 Noto earthquake (real2024noto_WInfoL.xml, thousands of stations, 6 Saga
municipalities). Each run ingests a fresh variant (new ReportDateTime; the VPWW53 alternates
between two states, the VXSE53 gets a new EventID) so every run changes the state and records
an Alert revision; the clock stops after alert_to_cap(alert) returned the CAP XML. In-process, on
a throwaway SQLite database (tables built from the models), or on PostgreSQL when DATABASE_URL is
set (a throwaway database is not made: use a scratch one). Goal: p99 < 1 s.

Progress goes to stderr; stdout gets exactly one JSON line.
"""

import argparse
import logging
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

from _harness import emit, environment, percentile, progress  # noqa: E402

JST = timezone(timedelta(hours=9))
FIXTURES = REPO_ROOT / "kurashi" / "modules" / "disaster" / "tests" / "fixtures" / "jma"


def _setup_django(var_dir: str) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kurashi.settings")
    os.environ["KURASHI_VAR_DIR"] = var_dir
    import django
    from django.conf import settings

    django.setup()
    # Tables straight from the models (as the tests do), so the bench does not depend on the
    # migration files being up to date.
    settings.MIGRATION_MODULES = {app.label: None for app in django.apps.apps.get_app_configs()}
    from django.core.management import call_command

    call_command("migrate", run_syncdb=True, verbosity=0)
    logging.getLogger("kurashi").setLevel(logging.WARNING)  # one INFO line per ingestion otherwise
    from kurashi.core.services import load_municipalities

    load_municipalities()


def _vpww53_variants() -> list[bytes]:
    from kurashi.modules.disaster.tests.jma.builders import SAGA_CODES, saga_vpww53

    north = {"412023", "412058", "413879", "414018"}
    rain = {
        code: [("大雨警報", "03", "発表"), ("洪水警報", "04", "発表"), ("雷注意報", "14", "発表")]
        for code in SAGA_CODES
        if code not in north
    }
    rain |= {code: [("大雨注意報", "10", "発表"), ("雷注意報", "14", "発表")] for code in north}
    calmer = {
        code: [("大雨注意報", "10", "継続"), ("雷注意報", "14", "継続")] for code in SAGA_CODES
    }
    return [
        saga_vpww53(report_datetime="2024-07-25T10:00:00+09:00", kinds=rain),
        saga_vpww53(report_datetime="2024-07-25T10:00:00+09:00", kinds=calmer),
    ]


def _shift_report_time(document: bytes, run: int) -> bytes:
    text = document.decode("utf-8")
    stamp = (datetime(2024, 7, 25, 10, 0, tzinfo=JST) + timedelta(minutes=run)).strftime(
        "%Y-%m-%dT%H:%M:%S"
    )
    text = re.sub(
        r"<ReportDateTime>[^<]+</ReportDateTime>",
        f"<ReportDateTime>{stamp}+09:00</ReportDateTime>",
        text,
        count=1,
    )
    return text.encode("utf-8")


def _fresh_event(document: bytes, run: int) -> bytes:
    return document.replace(
        b"<EventID>20240101161010</EventID>",
        f"<EventID>{20240101161010 + run}</EventID>".encode(),
        1,
    )


def _measure(name: str, documents: list[bytes], warmup: bytes, runs: int) -> dict[str, object]:
    from kurashi.modules.disaster.services.jma import ingest_document

    try:
        from kurashi.modules.disaster.outputs.cap import alert_to_cap
    except ImportError:  # the CAP output is another area's; measure up to the committed Alert
        alert_to_cap = None

    timings: list[float] = []
    cap_bytes = 0
    # One warm-up ingestion (imports, caches, the first statements) that is not counted.
    ingest_document(data=warmup, source="cli", source_name=f"bench-{name}-warmup")
    for run in range(runs):
        data = documents[run % len(documents)]
        started = time.perf_counter()
        result = ingest_document(data=data, source="cli", source_name=f"bench-{name}-{run}")
        if not result.alerts:
            raise SystemExit(f"{name} run {run}: no alert recorded ({result.summary()})")
        if alert_to_cap is not None:
            cap_bytes = len(alert_to_cap(result.alerts[-1]))
        timings.append((time.perf_counter() - started) * 1000)
    ordered = sorted(timings)
    return {
        "runs": runs,
        "document_bytes": len(documents[0]),
        "p50_ms": round(percentile(ordered, 0.50) or 0, 1),
        "p99_ms": round(percentile(ordered, 0.99) or 0, 1),
        "max_ms": round(ordered[-1], 1),
        "mean_ms": round(statistics.fmean(ordered), 1),
        "cap_rendered": alert_to_cap is not None,
        "cap_bytes": cap_bytes,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=50, help="ingestions per document")
    parser.add_argument("--save", action="store_true", help="append to bench/results/")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="kurashi-bench-ingest-") as var_dir:
        progress("setting up the database …")
        _setup_django(var_dir)
        from django.db import connection

        vpww53 = [
            _shift_report_time(document, run)
            for run, document in enumerate(_vpww53_variants() * ((args.runs + 1) // 2))
        ][: args.runs]
        noto = (FIXTURES / "real2024noto_WInfoL.xml").read_bytes()
        vxse53 = [_fresh_event(noto, run) for run in range(args.runs)]
        progress(f"VPWW53 × {args.runs} …")
        vpww53_warmup = _shift_report_time(_vpww53_variants()[1], -10_000)
        figures_vpww53 = _measure("vpww53", vpww53, vpww53_warmup, args.runs)
        progress(f"VXSE53 (442 KB) × {args.runs} …")
        figures_vxse53 = _measure("vxse53", vxse53, _fresh_event(noto, 10_000), args.runs)
        emit(
            {
                "benchmark": "disaster_ingest",
                **environment(),
                "database": connection.vendor,
                "vpww53_saga": figures_vpww53,
                "vxse53_noto_442kb": figures_vxse53,
                "goal_p99_ms": 1000,
            },
            save_as="disaster_ingest" if args.save else None,
        )


if __name__ == "__main__":
    main()
