"""Notify fan-out benchmark: synthetic subscribers spread over Saga by municipal population, an
alert for 5 municipalities; prints one JSON line.

  python bench/bench_notify_fanout.py [--subscribers 1000000]

Measures, on a fresh SQLite database in a temp dir, in this process (one worker):
(a) recipient selection time, (b) publication -> first message handed to a channel, (c) pipeline
throughput with the null channel. Populations: 2020 national census (令和2年国勢調査), approximate,
rounded figures as published by Saga Prefecture (統計さが); used only as weights.
"""

import argparse
import json
import os
import secrets
import sys
import tempfile
import time
from pathlib import Path

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


def progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    args = parser.parse_args()
    var_dir = Path(tempfile.mkdtemp(prefix="kurashi-bench-notify-"))
    os.environ.update(KURASHI_VAR_DIR=str(var_dir), DEBUG="0")
    os.environ.pop("KURASHI_TESTING", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "kurashi.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.test import override_settings
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from kurashi.core.models import Municipality
    from kurashi.core.services import load_municipalities

    load_municipalities()
    from kurashi.modules.notify.models import (
        ALL_HAZARDS_MASK,
        CHANNEL_BITS,
        Delivery,
        Notice,
        Subscription,
        SubscriptionArea,
    )
    from kurashi.modules.notify.notices import Notice as NoticeData
    from kurashi.modules.notify.selectors import select_recipients
    from kurashi.modules.notify.services import pipeline

    codes = dict(Municipality.objects.values_list("name_ja", "code"))
    total_population = sum(POPULATION_2020.values())
    progress(f"creating {args.subscribers:,} subscribers ...")
    started = time.monotonic()
    made = 0
    for name, population in POPULATION_2020.items():
        count = round(args.subscribers * population / total_population)
        for offset in range(0, count, 20_000):
            size = min(20_000, count - offset)
            subs = Subscription.objects.bulk_create(
                [
                    Subscription(
                        is_confirmed=True,
                        hazard_mask=ALL_HAZARDS_MASK,
                        min_level=3,
                        channel_mask=CHANNEL_BITS["null"],
                        token=secrets.token_urlsafe(12),
                    )
                    for _ in range(size)
                ],
                batch_size=5000,
            )
            SubscriptionArea.objects.bulk_create(
                [SubscriptionArea(subscription=s, municipality_code=codes[name]) for s in subs],
                batch_size=5000,
            )
            made += size
        progress(f"  {name}: {count:,}")
    setup_seconds = time.monotonic() - started
    target_codes = {codes[name]: 4 for name in TARGETS}
    notice_data = NoticeData(
        key="bench:1",
        event_key="bench",
        revision=1,
        msg_type="Alert",
        hazard="heavy_rain",
        level=4,
        area_levels=target_codes,
        texts={"ja": {"event": "大雨特別警報"}},
        web_url="/disaster/",
        sent=timezone.now(),
    )
    row = Notice.objects.create(
        key="probe",
        event_key="probe",
        revision=1,
        hazard="heavy_rain",
        level=4,
        area_levels=target_codes,
        sent=timezone.now(),
    )
    started = time.monotonic()
    selected = sum(1 for _ in select_recipients(row))
    selection_seconds = time.monotonic() - started
    row.delete()
    progress(f"selected {selected:,} in {selection_seconds:.2f} s; publishing ...")
    tasks = {
        "default": {
            "BACKEND": "django_tasks_db.DatabaseBackend",
            "QUEUES": ["default", "emergency", "bulk"],
        }
    }
    with override_settings(TASKS=tasks):
        published = time.monotonic()
        pipeline.dispatch_notice(notice_data)
        notice = Notice.objects.get(key="bench:1")
        fan_started = time.monotonic()
        pipeline.fan_out_notice(notice_id=notice.pk)
        fan_out_seconds = time.monotonic() - fan_started
        first = None
        drained = 0
        drain_started = time.monotonic()
        while True:
            count = pipeline.deliver_batch(lane="emergency")
            if first is None:
                first = time.monotonic() - published
            if not count:
                break
            drained += count
        drain_seconds = time.monotonic() - drain_started
    total_seconds = time.monotonic() - published
    sent = Delivery.objects.filter(status="sent").count()
    print(
        json.dumps(
            {
                "bench": "notify_fanout",
                "database": "sqlite",
                "workers": 1,
                "channel": "null",
                "subscribers": made,
                "targeted": selected,
                "setup_s": round(setup_seconds, 1),
                "a_selection_s": round(selection_seconds, 3),
                "b_publication_to_first_handoff_s": round(first or 0.0, 3),
                "fan_out_s": round(fan_out_seconds, 2),
                "drain_s": round(drain_seconds, 2),
                "c_all_handed_off_s": round(total_seconds, 2),
                "sent": sent,
                "c_messages_per_s": round(sent / total_seconds, 1) if total_seconds else None,
                "cpu_count": os.cpu_count(),
            }
        )
    )


if __name__ == "__main__":
    main()
