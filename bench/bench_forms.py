"""Online forms under a submission surge, on the embedded server (`kurashi run`, demo data):
N applicants (default 1,000) apply at the same time to a published 20-field form of 唐津市, each
through the same three requests a browser sends — start a draft, post the page (20 answers,
server-side validation with the Japanese rules), submit (reference number, case, dispatch,
receipt mail enqueued). Every request is timed; the goal (requirement 41) is p95 < 500 ms for
the submit step on 2 cores, on SQLite (WAL) and PostgreSQL.

    .venv/bin/python bench/bench_forms.py [--applicants 1000] [--concurrency 1000]
        [--web-workers 2] [--save]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kurashi .venv/bin/python bench/bench_forms.py

Progress goes to stderr; stdout gets exactly one JSON line.
"""

import argparse
import asyncio
import json
import re
import resource
import secrets
import string
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emit, environment, percentile, progress

from kurashi.testing.server import start_server

SETUP = """
import json
from kurashi.core.services import load_municipalities
from kurashi.core.tenancy import tenant_scope
from kurashi.modules.forms.demo import load_postal_codes
from kurashi.modules.forms.services import builder

load_municipalities()
load_postal_codes()

fields = [
    {"key": "name", "type": "name", "label": {"ja": "氏名"}, "required": True},
    {"key": "email", "type": "email", "label": {"ja": "メール"}, "required": True},
    {"key": "phone", "type": "phone", "label": {"ja": "電話"}, "required": True},
    {"key": "address", "type": "address", "label": {"ja": "住所"}, "required": True},
    {"key": "birthday", "type": "date", "label": {"ja": "生年月日"}, "required": True},
    {"key": "corporate_number", "type": "corporate_number", "label": {"ja": "法人番号"}},
    {"key": "kind", "type": "choice", "label": {"ja": "種別"}, "required": True,
     "options": [{"value": "a", "label": {"ja": "A"}}, {"value": "b", "label": {"ja": "B"}}]},
    {"key": "topics", "type": "multi_choice", "label": {"ja": "内容"},
     "options": [{"value": "x", "label": {"ja": "X"}}, {"value": "y", "label": {"ja": "Y"}}]},
    {"key": "count", "type": "number", "label": {"ja": "数量"}, "required": True, "min_value": 1},
    {"key": "consent", "type": "consent", "label": {"ja": "同意"}, "required": True},
]
fields += [
    {"key": f"text_{i}", "type": "text", "label": {"ja": f"項目{i}"}, "required": i % 2 == 0}
    for i in range(10)
]
definition = {"pages": [{"key": "main", "title": {"ja": "申請"}, "sections": [{"fields": fields}]}]}
with tenant_scope("412023"):
    form = builder.create_form(tenant_code="412023", slug="bench-20", title_ja="ベンチマーク",
                               definition=definition, settings={"title": {"ja": "ベンチマーク"}})
    builder.publish_form(form=form, actor=None)
    form.refresh_from_db()
print(json.dumps({"version": form.published_version_id}))
"""

CSRF = "".join(secrets.choice(string.ascii_letters + string.digits) for _ in range(32))
ANSWERS = {
    "name__family": "唐津",
    "name__given": "花子",
    "name__family_kana": "からつ",
    "name__given_kana": "ハナコ",
    "email": "bench@example.jp",
    "phone": "0955-72-9111",
    "address__postal_code": "847-0011",
    "address__address": "",
    "address__detail": "2588-3",
    "birthday": "令和元年5月1日",
    "corporate_number": "7000012050002",
    "kind": "a",
    "topics": ["x", "y"],
    "count": "3",
    "consent": "yes",
    **{f"text_{i}": f"回答{i}" for i in range(10)},
}


async def applicant(
    base_url: str, version: int, timings: dict[str, list[float]], failures: list[str]
) -> None:
    async with httpx.AsyncClient(
        base_url=base_url,
        cookies={"csrftoken": CSRF},
        headers={"X-CSRFToken": CSRF},
        timeout=httpx.Timeout(120.0),
        follow_redirects=False,
    ) as client:
        try:
            started = time.perf_counter()
            response = await client.post("/forms/412023/bench-20/")
            timings["start"].append(time.perf_counter() - started)
            if response.status_code != 302:
                raise RuntimeError(f"start: HTTP {response.status_code}")
            match = re.search(r"/forms/fill/([0-9a-f-]+)/", response.headers["location"])
            if match is None:
                raise RuntimeError(f"start: {response.headers['location']}")
            draft = match.group(1)
            started = time.perf_counter()
            response = await client.post(
                f"/forms/fill/{draft}/main/",
                data={**ANSWERS, "version": str(version), "action": "next"},
            )
            timings["page"].append(time.perf_counter() - started)
            if response.status_code != 302 or "/review/" not in response.headers.get(
                "location", ""
            ):
                raise RuntimeError(f"page: HTTP {response.status_code}")
            started = time.perf_counter()
            response = await client.post(
                f"/forms/fill/{draft}/review/", data={"version": str(version)}
            )
            timings["submit"].append(time.perf_counter() - started)
            if response.status_code != 302 or "/done/" not in response.headers.get("location", ""):
                raise RuntimeError(f"submit: HTTP {response.status_code}")
        except Exception as error:  # counted and reported, the run goes on
            if len(failures) < 2000:
                failures.append(f"{type(error).__name__}: {error}"[:200])


def summary(values: list[float]) -> dict[str, float | int | None]:
    ordered = sorted(values)
    return {
        "count": len(ordered),
        "p50_ms": round(percentile(ordered, 0.50) * 1000, 1) if ordered else None,
        "p95_ms": round(percentile(ordered, 0.95) * 1000, 1) if ordered else None,
        "p99_ms": round(percentile(ordered, 0.99) * 1000, 1) if ordered else None,
        "max_ms": round(ordered[-1] * 1000, 1) if ordered else None,
    }


async def surge(
    base_url: str, version: int, applicants: int, concurrency: int
) -> dict[str, object]:
    timings: dict[str, list[float]] = {"start": [], "page": [], "submit": []}
    failures: list[str] = []
    gate = asyncio.Semaphore(concurrency)

    async def one() -> None:
        async with gate:
            await applicant(base_url, version, timings, failures)

    started = time.perf_counter()
    await asyncio.gather(*(one() for _ in range(applicants)))
    elapsed = time.perf_counter() - started
    return {
        "elapsed_s": round(elapsed, 1),
        "submissions_per_s": round(len(timings["submit"]) / elapsed, 1),
        "start": summary(timings["start"]),
        "page": summary(timings["page"]),
        "submit": summary(timings["submit"]),
        "failures": len(failures),
        "first_failures": sorted(set(failures))[:5],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--applicants", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=1000)
    parser.add_argument("--web-workers", type=int, default=2)
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    # One connection per applicant: 1,000 sockets need more than the usual 1,024 descriptors.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    figures: dict[str, object] = {
        "benchmark": "forms",
        "applicants": args.applicants,
        "concurrency": args.concurrency,
        "fields": 20,
        "web_workers": args.web_workers,
        **environment(),
    }
    # Only what the surge needs (municipalities, postal table, the form): the full demo data would
    # add minutes of set-up and nothing to the figures.
    progress(f"starting the server (migrate, run --web-workers {args.web_workers}) ...")
    with start_server(
        web_workers=args.web_workers, db_prefix="kurashi_bench", demo=False, startup_timeout=300.0
    ) as server:
        figures["database"] = server.database.split(":")[0]
        setup = json.loads(server.manage("shell", "-c", SETUP).strip().splitlines()[-1])
        progress(f"{args.applicants} applicants, {args.concurrency} at a time ...")
        figures.update(
            asyncio.run(surge(server.base_url, setup["version"], args.applicants, args.concurrency))
        )
        count = server.manage(
            "shell",
            "-c",
            "from kurashi.core.tenancy import cross_tenant\n"
            "from kurashi.modules.forms.models import Case\n"
            "with cross_tenant(reason='bench'):\n    print(Case.objects.count())",
        )
        figures["cases_in_database"] = int(count.strip().splitlines()[-1])
    emit(figures, save_as="forms" if args.save else None)


if __name__ == "__main__":
    main()
