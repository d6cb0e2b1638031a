"""Notify fan-out benchmark, run as the product runs: `kurashi worker` processes on a fresh
database, an alert published from another process, figures read back from the outbox.

  python bench/bench_notify_fanout.py [--subscribers 1000000] [--smtp-recipients 5000]
                                      [--databases sqlite,postgresql]

Synthetic subscribers are spread over Saga's 20 municipalities by population; the alert (警戒レベル4,
heavy rain, emergency lane) covers 唐津市, 伊万里市, 武雄市, 鹿島市 and 嬉野市 (about 34 % of them).
Per database (SQLite: one worker process; PostgreSQL, when DATABASE_URL is set: two, on a
throwaway database) it reports:

(a) recipient selection time (in this process, the query the fan-out streams from);
(b) publication -> first message handed to a channel (first `sent_at` of the outbox minus the
    wall-clock time just before dispatch_notice(); includes the worker's 0.5 s poll);
(c) all targeted recipients handed off, and messages per second, with the null channel and with
    a local SMTP sink (aiosmtpd on loopback; e-mail subscribers are a separate, smaller set
    selected by hazard, because the e-mail channel is rate-limited to NOTIFY_EMAIL_RATE = 200
    messages/s per worker process by default);
(d) the same alert published while a bulk notice to every subscriber (the bulk lane) is being
    delivered by its own workers: first hand-off and all handed off, and how far the bulk job got
    meanwhile (it is still running when the emergency lane is done, else the figure says so).

Populations: 2020 national census (令和2年国勢調査), approximate, rounded figures as published by
Saga Prefecture (統計さが); used only as weights. Progress on stderr; one JSON line on stdout.
"""

import argparse
import json
import logging
import os
import platform
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO_ROOT))

POPULATION_2020 = {
    "佐賀市": 233_300,
    "唐津市": 117_400,
    "鳥栖市": 74_000,
    "多久市": 18_600,
    "伊万里市": 52_600,
    "武雄市": 47_900,
    "鹿島市": 28_100,
    "小城市": 44_300,
    "嬉野市": 24_800,
    "神埼市": 30_800,
    "吉野ヶ里町": 16_400,
    "基山町": 17_200,
    "上峰町": 9_500,
    "みやき町": 25_300,
    "玄海町": 5_200,
    "有田町": 19_200,
    "大町町": 6_400,
    "江北町": 9_500,
    "白石町": 22_300,
    "太良町": 8_000,
}
TARGETS = ("唐津市", "伊万里市", "武雄市", "鹿島市", "嬉野市")
WORKERS = {"sqlite": 1, "postgresql": 2}
TIMEOUT_S = 3600.0


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --- orchestration: one child process per database (Django is set up once per process) ------


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--smtp-recipients", type=int, default=5_000)
    parser.add_argument("--databases", default="sqlite,postgresql")
    parser.add_argument("--no-bulk", action="store_true", help="Skip (d).")
    parser.add_argument("--run", choices=sorted(WORKERS), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        print(json.dumps(run(args, args.run)))
        return
    results: dict[str, Any] = {}
    for database in args.databases.split(","):
        if database == "postgresql" and not os.environ.get("DATABASE_URL"):
            results[database] = {"skipped": "set DATABASE_URL=postgres://… to include PostgreSQL"}
            continue
        command = [sys.executable, __file__, "--run", database]
        command += ["--subscribers", str(args.subscribers)]
        command += ["--smtp-recipients", str(args.smtp_recipients)]
        command += ["--no-bulk"] if args.no_bulk else []
        done = subprocess.run(command, stdout=subprocess.PIPE, text=True, check=False)
        lines = done.stdout.strip().splitlines()
        results[database] = (
            json.loads(lines[-1]) if done.returncode == 0 and lines else {"error": done.returncode}
        )
    print(
        json.dumps(
            {
                "bench": "notify_fanout",
                "subscribers": args.subscribers,
                "targets": list(TARGETS),
                "results": results,
                "ratios": ratios(results),
                "goals": {"a_s": 2.0, "b_s": 1.0, "c_null_all_handed_off_s": 60.0},
                "environment": {
                    "python": platform.python_version(),
                    "cpu_count": os.cpu_count(),
                    "load_average_1m": round(os.getloadavg()[0], 2),
                },
            },
            ensure_ascii=False,
        )
    )


def ratios(results: dict[str, Any]) -> dict[str, float]:
    """Machine-independent comparisons: PostgreSQL/SQLite throughput, emergency latency with a
    bulk job running / without."""
    out: dict[str, float] = {}
    for database, figures in results.items():
        c_null, d = figures.get("c_null"), figures.get("d_during_bulk")
        if c_null and d and c_null.get("all_handed_off_s"):
            out[f"{database}_d_over_c_all_handed_off"] = round(
                d["all_handed_off_s"] / c_null["all_handed_off_s"], 2
            )
    sqlite, postgresql = results.get("sqlite", {}), results.get("postgresql", {})
    if sqlite.get("c_null") and postgresql.get("c_null"):
        out["c_null_msgs_per_s_postgresql_over_sqlite"] = round(
            postgresql["c_null"]["messages_per_s"] / sqlite["c_null"]["messages_per_s"], 2
        )
    return out


# --- one database -----------------------------------------------------------------------------


@contextmanager
def database(kind: str, var_dir: Path) -> Iterator[str]:
    if kind == "postgresql":
        from kurashi.testing.server import throwaway_postgres

        with throwaway_postgres(os.environ["DATABASE_URL"], "kurashi_bench_notify") as url:
            os.environ["DATABASE_URL"] = url
            os.environ.pop("SQLITE_PATH", None)
            yield url.rsplit("/", 1)[-1]
    else:
        os.environ.pop("DATABASE_URL", None)
        os.environ["SQLITE_PATH"] = str(var_dir / "kurashi.sqlite3")
        yield os.environ["SQLITE_PATH"]


def run(args: argparse.Namespace, kind: str) -> dict[str, Any]:
    var_dir = Path(tempfile.mkdtemp(prefix="kurashi-bench-notify-"))
    for name in ("KURASHI_TESTING", "DJANGO_SETTINGS_MODULE", "CACHE_URL"):
        os.environ.pop(name, None)
    os.environ.update(
        KURASHI_VAR_DIR=str(var_dir),
        DEBUG="0",
        TASK_BACKEND="django_tasks_db.DatabaseBackend",
        DJANGO_SETTINGS_MODULE="kurashi.settings",
    )
    with ExitStack() as stack:
        stack.callback(shutil.rmtree, var_dir, ignore_errors=True)
        name = stack.enter_context(database(kind, var_dir))
        sink = stack.enter_context(smtp_sink())
        os.environ.update(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(sink.port))
        progress(f"[{kind}] database {name}")
        return Bench(args, kind, sink).run()
    raise AssertionError("unreachable")


class CountingSink:
    def __init__(self, port: int) -> None:
        self.port = port
        self.count = 0
        self.lock = threading.Lock()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        with self.lock:
            self.count += 1
        return "250 Message accepted"


@contextmanager
def smtp_sink() -> Iterator[CountingSink]:
    from aiosmtpd.controller import Controller

    from kurashi.testing.server import free_port

    logging.getLogger("mail.log").setLevel(logging.WARNING)
    sink = CountingSink(free_port())
    controller = Controller(sink, hostname="127.0.0.1", port=sink.port)
    controller.start()
    try:
        yield sink
    finally:
        controller.stop()


@contextmanager
def workers(queue_sets: list[str]) -> Iterator[None]:
    """`kurashi worker --queues Q` processes, as an operator starts them (default poll 0.5 s).
    Their logs go to the run's var directory; a worker that dies early fails the run with its log."""
    log_dir = Path(os.environ["KURASHI_VAR_DIR"])
    logs = [(log_dir / f"worker-{index}.log").open("ab") for index in range(len(queue_sets))]
    processes = [
        subprocess.Popen(
            [sys.executable, "-m", "kurashi", "worker", "--queues", queues],
            cwd=REPO_ROOT,
            env=dict(os.environ),
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        for queues, log in zip(queue_sets, logs, strict=True)
    ]
    WATCHED.extend(processes)
    try:
        time.sleep(3.0)  # started and polling before anything is published
        yield
    finally:
        del WATCHED[:]
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        for log in logs:
            log.close()


WATCHED: list[subprocess.Popen[bytes]] = []


def check_workers() -> None:
    for index, process in enumerate(WATCHED):
        if process.poll() is not None:
            log = Path(os.environ["KURASHI_VAR_DIR"]) / f"worker-{index}.log"
            tail = log.read_text(errors="replace")[-3000:] if log.exists() else ""
            raise RuntimeError(f"worker {index} exited with {process.returncode}:\n{tail}")


class Bench:
    def __init__(self, args: argparse.Namespace, kind: str, sink: CountingSink) -> None:
        self.args = args
        self.kind = kind
        self.sink = sink
        self.serial = 0

    def run(self) -> dict[str, Any]:
        import django

        django.setup()
        from django.core.management import call_command

        from kurashi.core.services import load_municipalities

        call_command("migrate", verbosity=0)
        load_municipalities()
        figures: dict[str, Any] = {"database": self.kind, "workers": WORKERS[self.kind]}
        started = time.monotonic()
        figures["subscribers"] = self.create_subscribers()
        figures["setup_s"] = round(time.monotonic() - started, 1)
        if self.kind == "postgresql":
            # Fresh statistics after the bulk load, as autovacuum's ANALYZE would have them in
            # production (with none, the planner expects ~20 rows and picks a nested loop
            # that makes the selection ~300x slower).
            from django.db import connection

            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        figures["a_selection_s"], figures["targeted"] = self.selection()
        progress(
            f"[{self.kind}] (a) {figures['targeted']:,} selected in {figures['a_selection_s']} s"
        )
        all_lanes = ["emergency,default,bulk"] * WORKERS[self.kind]

        with workers(all_lanes):
            figures["c_null"] = self.publish_and_wait(self.alert("heavy_rain"))
        progress(f"[{self.kind}] (b, c) null channel: {figures['c_null']}")
        self.reset()
        with workers(all_lanes):
            figures["c_smtp"] = self.publish_and_wait(self.alert("fire"))
        figures["c_smtp"]["smtp_sink_received"] = self.sink.count
        progress(f"[{self.kind}] (c) SMTP sink: {figures['c_smtp']}")
        self.reset()
        if not self.args.no_bulk:
            figures["d_during_bulk"] = self.during_bulk()
            progress(f"[{self.kind}] (d) emergency during bulk: {figures['d_during_bulk']}")
        figures["b_publication_to_first_handoff_s"] = figures["c_null"]["first_handoff_s"]
        return figures

    # -- data ----------------------------------------------------------------------------------

    def create_subscribers(self) -> int:
        from kurashi.core.models import Municipality
        from kurashi.modules.notify.models import (
            ALL_HAZARDS_MASK,
            CHANNEL_BITS,
            HAZARD_BITS,
            Subscription,
            SubscriptionArea,
        )

        codes = dict(Municipality.objects.values_list("name_ja", "code"))
        total = sum(POPULATION_2020.values())
        target_total = sum(POPULATION_2020[name] for name in TARGETS)
        made = 0

        def add(code: str, count: int, **fields: Any) -> None:
            for offset in range(0, count, 20_000):
                size = min(20_000, count - offset)
                subscriptions = Subscription.objects.bulk_create(
                    [
                        Subscription(
                            is_confirmed=True,
                            min_level=3,
                            token=secrets.token_urlsafe(12),
                            **fields,
                        )
                        for _ in range(size)
                    ],
                    batch_size=5000,
                )
                SubscriptionArea.objects.bulk_create(
                    [
                        SubscriptionArea(subscription=s, municipality_code=code)
                        for s in subscriptions
                    ],
                    batch_size=5000,
                )

        for name, population in POPULATION_2020.items():
            count = round(self.args.subscribers * population / total)
            # Null-channel residents: every hazard but "fire" (the SMTP run's hazard).
            add(
                codes[name],
                count,
                hazard_mask=ALL_HAZARDS_MASK & ~HAZARD_BITS["fire"],
                channel_mask=CHANNEL_BITS["null"],
            )
            made += count
            if name in TARGETS:
                mail = round(self.args.smtp_recipients * population / target_total)
                add(
                    codes[name],
                    mail,
                    hazard_mask=HAZARD_BITS["fire"],
                    channel_mask=CHANNEL_BITS["email"],
                    email=f"bench-{secrets.token_hex(6)}@example.test",
                )
            progress(f"[{self.kind}]   {name}: {count:,}")
        return made

    def selection(self) -> tuple[float, int]:
        from django.utils import timezone

        from kurashi.modules.notify.models import Notice
        from kurashi.modules.notify.selectors import select_recipients

        probe = Notice.objects.create(
            key="probe",
            event_key="probe",
            revision=1,
            hazard="heavy_rain",
            level=4,
            area_levels=self.target_levels(4),
            sent=timezone.now(),
        )
        started = time.monotonic()
        selected = sum(1 for _ in select_recipients(probe))
        seconds = time.monotonic() - started
        probe.delete()
        return round(seconds, 3), selected

    def target_levels(self, level: int) -> dict[str, int]:
        from kurashi.core.models import Municipality

        return dict.fromkeys(
            Municipality.objects.filter(name_ja__in=TARGETS).values_list("code", flat=True), level
        )

    def alert(self, hazard: str) -> Any:
        from django.utils import timezone

        from kurashi.modules.notify.notices import Notice as NoticeData

        self.serial += 1
        return NoticeData(
            key=f"bench:alert:{self.serial}",
            event_key=f"bench:alert:{self.serial}",
            revision=1,
            msg_type="Alert",
            hazard=hazard,
            level=4,
            area_levels=self.target_levels(4),
            texts={"ja": {"event": "大雨特別警報", "headline": "大雨特別警報（ベンチマーク）"}},
            web_url="/disaster/",
            sent=timezone.now(),
        )

    def bulk_notice(self) -> Any:
        from django.utils import timezone

        from kurashi.core.models import Municipality
        from kurashi.modules.notify.notices import Notice as NoticeData

        self.serial += 1
        return NoticeData(
            key=f"bench:bulk:{self.serial}",
            event_key=f"bench:bulk:{self.serial}",
            revision=1,
            msg_type="Alert",
            hazard="other",
            level=3,
            area_levels=dict.fromkeys(Municipality.objects.values_list("code", flat=True), 3),
            texts={"ja": {"event": "防災訓練のお知らせ", "headline": "県内一斉防災訓練"}},
            web_url="/disaster/",
            sent=timezone.now(),
            bulk=True,
        )

    def reset(self) -> None:
        from django.db import connection
        from django_tasks_db.models import DBTaskResult

        from kurashi.modules.notify.models import Delivery, Notice, NullMessage

        with connection.cursor() as cursor:
            for model in (NullMessage, Delivery, Notice, DBTaskResult):
                cursor.execute(f"DELETE FROM {model._meta.db_table}")  # noqa: S608 (model names)
        self.sink.count = 0

    # -- measuring -----------------------------------------------------------------------------

    def publish(self, data: Any) -> tuple[Any, datetime]:
        from django.utils import timezone

        from kurashi.modules.notify.models import Notice
        from kurashi.modules.notify.public import dispatch_notice

        published = timezone.now()
        dispatch_notice(data)  # autocommit: enqueued at once
        return Notice.objects.get(key=data.key), published

    def wait(self, condition: Callable[[], bool]) -> None:
        deadline = time.monotonic() + TIMEOUT_S
        while not condition():
            if time.monotonic() > deadline:
                raise TimeoutError("the benchmark did not finish in time")
            check_workers()
            time.sleep(0.5)

    def done(self, notice: Any) -> bool:
        from kurashi.modules.notify.models import Delivery, Notice

        return (
            Notice.objects.filter(pk=notice.pk, fanned_out_at__isnull=False).exists()
            and not Delivery.objects.filter(
                notice=notice, status__in=("pending", "sending")
            ).exists()
        )

    def figures(self, notice: Any, published: datetime) -> dict[str, Any]:
        from django.db.models import Count, Max, Min

        from kurashi.modules.notify.models import Delivery

        stats = Delivery.objects.filter(notice=notice, status="sent").aggregate(
            first=Min("sent_at"), last=Max("sent_at"), sent=Count("id")
        )
        by_status = dict(
            Delivery.objects.filter(notice=notice)
            .values_list("status")
            .annotate(n=Count("id"))
            .values_list("status", "n")
        )
        if not stats["sent"]:
            return {"sent": 0, "by_status": by_status}
        all_s = (stats["last"] - published).total_seconds()
        return {
            "sent": stats["sent"],
            "by_status": by_status,
            "first_handoff_s": round((stats["first"] - published).total_seconds(), 3),
            "all_handed_off_s": round(all_s, 2),
            "messages_per_s": round(stats["sent"] / all_s, 1),
        }

    def publish_and_wait(self, data: Any) -> dict[str, Any]:
        notice, published = self.publish(data)
        self.wait(lambda: self.done(notice))
        return self.figures(notice, published)

    def during_bulk(self) -> dict[str, Any]:
        from kurashi.modules.notify.models import Delivery

        lanes = ["emergency"] * (WORKERS[self.kind] // 2 or 1)
        lanes += ["default,bulk"] * WORKERS[self.kind]
        with workers(lanes):
            bulk, _bulk_published = self.publish(self.bulk_notice())
            threshold = min(100_000, self.args.subscribers // 10)

            def bulk_sent() -> int:
                return Delivery.objects.filter(notice=bulk, status="sent").count()

            self.wait(lambda: bulk_sent() >= threshold)
            bulk_at_start = bulk_sent()
            emergency, published = self.publish(self.alert("heavy_rain"))
            self.wait(lambda: self.done(emergency))
            result = self.figures(emergency, published)
            bulk_at_end = bulk_sent()
            result.update(
                worker_processes={
                    "emergency": lanes.count("emergency"),
                    "default,bulk": len(lanes) - lanes.count("emergency"),
                },
                bulk_job_messages=self.args.subscribers,
                bulk_sent_when_alert_published=bulk_at_start,
                bulk_sent_when_alert_done=bulk_at_end,
                bulk_still_running=bulk_at_end < self.args.subscribers,
            )
        return result


if __name__ == "__main__":
    main()
