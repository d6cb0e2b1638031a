"""Archive at scale, on the real server (`kurashi run`, fresh database, SQLite or PostgreSQL):

1. load N synthetic public items (default 100,000) with titles, kana readings, subjects,
   creators, places and era dates drawn from Saga vocabulary, indexed by the production indexer
   (services.reindex_items: normalised uni/bigrams);
2. search latency in-process (selectors.search, the function the search page calls): a query
   mix of 1- and 2-character words, readings in hiragana/katakana/romaji, old kanji, phrases,
   with and without a facet filter; p50/p95/p99 (goal p95 < 50 ms); plus GET /archive/search/
   over HTTP for a sample;
3. a full OAI-PMH harvest with sickle (oai_dc, every resumption token) over HTTP: time, records.

    .venv/bin/python bench/bench_archive.py [--items 100000] [--queries 400] [--http-queries 100]
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/kurashi_archive .venv/bin/python bench/bench_archive.py

Progress goes to stderr; stdout gets exactly one JSON line.
"""

import argparse
import json
import os
import sys
import time
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _harness import emit, environment, percentile, progress

from kurashi.testing.server import start_server

LOAD = r"""
import json, random, sys, time
from django.db import transaction
from django.utils import timezone
from kurashi.core.models import Municipality
from kurashi.core.services import load_municipalities
from kurashi.modules.archive import services
from kurashi.modules.archive.eras import era_of, year_from_text
from kurashi.modules.archive.models import Item, Posting
from kurashi.modules.archive.rights import Rights

START, N = __START__, __N__
rng = random.Random(20261126 + START)
if not Municipality.objects.exists():
    load_municipalities()
municipalities = list(Municipality.objects.all())
SUBJECTS = [("民話", "みんわ"), ("昔話", "むかしばなし"), ("浮立", "ふりゅう"), ("くんち", "くんち"),
    ("絵図", "えず"), ("村図", "そんず"), ("日記", "にっき"), ("焼物", "やきもの"), ("有田焼", "ありたやき"),
    ("河童", "かっぱ"), ("祭り", "まつり"), ("神社", "じんじゃ"), ("寺院", "じいん"), ("城下", "じょうか"),
    ("街道", "かいどう"), ("棚田", "たなだ"), ("干潟", "ひがた"), ("海苔", "のり"), ("温泉", "おんせん"),
    ("茶園", "ちゃえん"), ("佐賀錦", "さがにしき"), ("人形", "にんぎょう"), ("伝説", "でんせつ"), ("石垣", "いしがき")]
OLD_FORMS = ["國", "學", "藏", "澤", "邊", "濱", "廣", "龍", "來", "傳"]
KINDS = [("覚書", "おぼえがき"), ("記録", "きろく"), ("写真", "しゃしん"), ("由来", "ゆらい"),
    ("縁起", "えんぎ"), ("聞き書き", "ききがき"), ("図", "ず"), ("帳", "ちょう")]
ERAS = ["天保", "嘉永", "安政", "明治", "大正", "昭和", "平成"]
CREATORS = ["佐賀県立図書館", "鍋島家", "小城藩", "唐津藩", "郷土史研究会", "保存会", "語り部の会"]
TYPES = ["text", "image", "audio", "video", "performance"]
RIGHTS = [Rights.CC0, Rights.PDM, Rights.CC_BY, Rights.PDL, Rights.CC_BY_NC_SA, Rights.INC]
collection = services.ensure_collection(slug="bench", title_ja="ベンチマーク用合成データ")
started = time.perf_counter()
now = timezone.now()
batch = []
created = 0
for number in range(START, START + N):
    municipality = rng.choice(municipalities)
    subject, subject_reading = rng.choice(SUBJECTS)
    kind, kind_reading = rng.choice(KINDS)
    place = municipality.name_ja.removesuffix("市").removesuffix("町")
    old = rng.choice(OLD_FORMS) if rng.random() < 0.05 else ""
    date_text = f"{rng.choice(ERAS)}{rng.randint(1, 30)}年"
    year = year_from_text(date_text)
    title = f"{place}の{subject}{kind}{old} 其{number % 97}"
    batch.append(Item(
        collection=collection, source_key=f"bench:{number}", title=title[:300],
        title_reading=f"{municipality.name_kana.removesuffix('し').removesuffix('ちょう')}の{subject_reading}{kind_reading}",
        creators=[rng.choice(CREATORS)], subjects=[subject, rng.choice(SUBJECTS)[0]],
        description=f"{municipality.name_ja}に伝わる{subject}の{kind}。",
        date_text=date_text, year=year, era=era_of(year), municipality=municipality,
        latitude=33.0 + rng.random() * 0.6, longitude=129.8 + rng.random() * 0.6,
        type=rng.choice(TYPES), rights=rng.choice(RIGHTS), status="published", was_public=True,
        modified_at=now, created_at=now,
    ))
    if len(batch) == 5000 or number == START + N - 1:
        with transaction.atomic():
            made = Item.objects.bulk_create(batch)
            services.reindex_items(made)
        created += len(batch)
        batch = []
        print(f"{created} items", file=sys.stderr, flush=True)
print(json.dumps({"items": created, "postings": Posting.objects.count(),
                  "load_s": round(time.perf_counter() - started, 1)}))
"""

# What an operator does after a bulk import: fresh planner statistics (and, on PostgreSQL, the
# visibility map that makes index-only scans cheap).
ANALYZE = r"""
from django.db import connection
with connection.cursor() as cursor:
    if connection.vendor == "postgresql":
        cursor.execute("VACUUM ANALYZE archive_posting")
        cursor.execute("VACUUM ANALYZE archive_item")
    else:
        cursor.execute("ANALYZE")
print("{}")
"""

SEARCH = r"""
import json, random, statistics, sys, time
from django.db import connection, reset_queries
from kurashi.modules.archive.selectors import SearchFilters, search

QUERIES = ["河童", "かっぱ", "カッパ", "kappa", "浮立", "ふりゅう", "furyuu", "佐賀", "唐津", "有田焼",
    "ありたやき", "絵図", "えず", "國", "国", "澤", "沢", "龍", "竜", "傳", "伝説", "でんせつ", "の", "図", "帳",
    "明治", "鍋島家", "小城藩", "嬉野の温泉", "じんじゃ", "佐賀錦", "さがにしき", "棚田", "干潟の海苔",
    "唐津のくんち", "聞き書き", "石垣", "人形", "神", "温"]
FILTERS = [SearchFilters(), SearchFilters(type="performance"), SearchFilters(municipality="412023"),
    SearchFilters(era="meiji"), SearchFilters(rights="cc0")]
rng = random.Random(7)
count = __Q__
for query in QUERIES[:5]:
    search(query)  # warm the caches (SQLite page cache / PG buffers)
timings, totals = [], {}
for number in range(count):
    query = QUERIES[number % len(QUERIES)]
    filters = FILTERS[0] if number % 3 else rng.choice(FILTERS)
    started = time.perf_counter()
    result = search(query, filters=filters, page=1 + (number % 7 == 0))
    timings.append((time.perf_counter() - started) * 1000)
    totals[query] = result.total
timings.sort()
def pct(p):
    return round(timings[min(len(timings) - 1, int(round(p / 100 * len(timings) + 0.5)) - 1)], 2)
print(json.dumps({"queries": count, "p50_ms": pct(50), "p95_ms": pct(95), "p99_ms": pct(99),
                  "max_ms": round(timings[-1], 2), "mean_ms": round(statistics.mean(timings), 2),
                  "hits": {q: totals[q] for q in ["の", "河童", "ふりゅう", "kappa", "國", "嬉野の温泉"] if q in totals},
                  "vendor": connection.vendor}))
"""


def last_json(output: str) -> dict[str, object]:
    return json.loads([line for line in output.splitlines() if line.startswith("{")][-1])  # type: ignore[no-any-return]


def http_search(base_url: str, count: int) -> dict[str, object]:
    import httpx

    queries = ["河童", "ふりゅう", "kappa", "國", "佐賀", "唐津のくんち", "の", "絵図"]
    timings = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        client.get("/archive/search/?q=" + quote("河童"))
        for number in range(count):
            started = time.perf_counter()
            response = client.get("/archive/search/?q=" + quote(queries[number % len(queries)]))
            timings.append((time.perf_counter() - started) * 1000)
            if response.status_code != 200:
                raise RuntimeError(f"search page answered {response.status_code}")
    timings.sort()
    return {
        "requests": count,
        "p50_ms": round(percentile(timings, 0.50) or 0, 1),
        "p95_ms": round(percentile(timings, 0.95) or 0, 1),
        "p99_ms": round(percentile(timings, 0.99) or 0, 1),
    }


def harvest(base_url: str) -> dict[str, object]:
    from sickle import Sickle

    started = time.perf_counter()
    harvester = Sickle(f"{base_url}/archive/oai", timeout=120, max_retries=2)
    records = 0
    for _record in harvester.ListRecords(metadataPrefix="oai_dc", ignore_deleted=False):
        records += 1
        if records % 10_000 == 0:
            progress(f"harvested {records} records")
    seconds = time.perf_counter() - started
    return {
        "records": records,
        "seconds": round(seconds, 1),
        "records_per_s": round(records / seconds, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=400)
    parser.add_argument("--http-queries", type=int, default=100)
    parser.add_argument("--no-harvest", action="store_true")
    parser.add_argument("--save", action="store_true")
    args = parser.parse_args()
    figures: dict[str, object] = {"benchmark": "archive", **environment()}
    with start_server(db_prefix="kurashi_bench", demo=False) as server:
        figures["database"] = server.database
        progress(
            f"server up at {server.base_url} on {server.database}; loading {args.items} items ..."
        )
        started = time.perf_counter()
        chunk = (
            2_500  # one `kurashi shell` per chunk: each stays well inside its time limit (300 s)
        )
        # even on a loaded shared machine
        loaded: dict[str, object] = {}
        for start in range(0, args.items, chunk):
            count = min(chunk, args.items - start)
            script = LOAD.replace("__START__", str(start)).replace("__N__", str(count))
            loaded = last_json(server.manage("shell", "-c", script))
            progress(f"loaded {start + count} items ({loaded})")
        figures["load"] = {
            "items": args.items,
            "postings": loaded.get("postings"),
            "seconds": round(time.perf_counter() - started, 1),
        }
        server.manage("shell", "-c", ANALYZE)
        figures["search_in_process"] = last_json(
            server.manage("shell", "-c", SEARCH.replace("__Q__", str(args.queries)))
        )
        progress(f"search: {figures['search_in_process']}")
        figures["search_http"] = http_search(server.base_url, args.http_queries)
        progress(f"search over HTTP: {figures['search_http']}")
        if not args.no_harvest:
            figures["oai_harvest"] = harvest(server.base_url)
            progress(f"harvest: {figures['oai_harvest']}")
    figures["load_average_1m_after"] = round(os.getloadavg()[0], 2)
    emit(figures, save_as="archive" if args.save else None)


if __name__ == "__main__":
    main()
