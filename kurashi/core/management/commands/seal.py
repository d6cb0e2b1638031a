"""`kurashi seal status | rotate [--ring NAME] | reseal`: the keys of the sealing service
(kurashi/core/sealing.py). Rotation: `rotate` adds a new current key (the old ones stay, for
reading), `reseal` moves every registered sealed value to it, `status` shows what is left under
the old keys; a key may be removed from the key file once no value uses it."""

from typing import Any

from django.core.management.base import BaseCommand, CommandError

from kurashi.core import hooks, sealing


class Command(BaseCommand):
    help = "Sealing keys: status, rotate (add a new current key), reseal (move values to it)."

    def add_arguments(self, parser: Any) -> None:
        parser.add_argument("action", choices=["status", "rotate", "reseal"])
        parser.add_argument("--ring", default="default", help="Key ring to rotate (default).")

    def handle(self, *args: Any, action: str, ring: str, **options: Any) -> None:
        if action == "rotate":
            rings = sealing.known_rings()
            if ring not in rings:
                raise CommandError(f"Unknown key ring {ring!r}; known: {', '.join(rings)}")
            try:
                key_id = sealing.rotate(rings[ring])
            except Exception as error:
                raise CommandError(str(error)) from error
            self.stdout.write(
                self.style.SUCCESS(
                    f"New current key {key_id} in ring {ring} "
                    f"({sealing.key_file_path(rings[ring])}). Back it up, then run "
                    "`kurashi seal reseal`."
                )
            )
            return
        for values in hooks.sealed_values.items():
            if action == "reseal":
                count = values.reseal()
                self.stdout.write(f"{values.key}: {count} value(s) re-sealed")
            else:
                counts = values.count_by_key()
                listed = ", ".join(f"{k}: {n}" for k, n in sorted(counts.items())) or "none"
                self.stdout.write(f"{values.key} ({values.label}): {listed}")
        current = sealing.key_ring(sealing.DEFAULT_RING)
        self.stdout.write(
            f"current key of the default ring: {current.current_id} ({current.source})"
        )
