"""`kurashi notify vapid-keys | recover | watch | drain --lane L | status`."""

import base64
import time
from typing import Any

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from django.core.management.base import BaseCommand, CommandError

from kurashi.core.services import beat
from kurashi.modules.notify.models import Delivery
from kurashi.modules.notify.selectors import WATCH_HEARTBEAT
from kurashi.modules.notify.services import pipeline


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


class Command(BaseCommand):
    help = "Notify operations: create VAPID keys, recover after a worker crash, drain a lane."

    def add_arguments(self, parser: Any) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        sub.add_parser("vapid-keys", help="Print a new VAPID key pair as settings lines.")
        recover = sub.add_parser("recover", help="Release stale claims and restart every lane.")
        recover.add_argument(
            "--stale-after",
            type=float,
            default=None,
            help="Seconds (default: NOTIFY_CLAIM_TIMEOUT_SECONDS).",
        )
        watch = sub.add_parser(
            "watch", help="Recover every --interval seconds (started by `kurashi run`)."
        )
        watch.add_argument("--interval", type=float, default=30.0)
        drain = sub.add_parser("drain", help="Deliver a lane in this process until it is empty.")
        drain.add_argument("--lane", required=True, choices=["emergency", "default", "bulk"])
        sub.add_parser("status", help="Outbox rows by lane and state.")

    def handle(self, *args: Any, action: str, **options: Any) -> None:
        if action == "vapid-keys":
            key = ec.generate_private_key(ec.SECP256R1())
            private = key.private_numbers().private_value.to_bytes(32, "big")
            public = key.public_key().public_bytes(
                serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint
            )
            self.stdout.write(f"WEBPUSH_VAPID_PRIVATE_KEY={_b64(private)}")
            self.stdout.write(f"WEBPUSH_VAPID_PUBLIC_KEY={_b64(public)}")
        elif action == "recover":
            result = pipeline.recover(older_than_seconds=options["stale_after"])
            self.stdout.write(
                f"released {result['released']} stale claims, restarted {result['fan_outs']} "
                f"fan-outs and {result['lanes']} lanes"
            )
        elif action == "watch":
            while True:
                result = pipeline.recover()
                beat(WATCH_HEARTBEAT, **result)
                if any(result.values()):
                    self.stdout.write(
                        f"released {result['released']} stale claims, restarted "
                        f"{result['fan_outs']} fan-outs and {result['lanes']} lanes"
                    )
                time.sleep(max(options["interval"], 1.0))
        elif action == "drain":
            count = pipeline.drain_lane(lane=options["lane"])
            self.stdout.write(f"handled {count} messages")
        elif action == "status":
            rows = Delivery.objects.values_list("lane", "status").order_by("lane", "status")
            counts: dict[tuple[str, str], int] = {}
            for lane, status in rows.iterator():
                counts[(lane, status)] = counts.get((lane, status), 0) + 1
            for (lane, status), count in sorted(counts.items()):
                self.stdout.write(f"{lane}\t{status}\t{count}")
        else:  # pragma: no cover - argparse rejects other actions
            raise CommandError(action)
