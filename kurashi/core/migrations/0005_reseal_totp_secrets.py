"""TOTP secrets move to core's sealing service (kurashi/core/sealing.py): "sv1:<key id>:…", bound to
the purpose "core.totp" and to the device's user. Rows still in hex (saved before 0003) and rows
sealed by 0003's own scheme ("s1:", AES-GCM under OTP_SEAL_KEY or var/otp_seal_key) are re-sealed.
Reversible: going back writes the hex secret."""

import base64
import hashlib
from binascii import unhexlify
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import migrations

LEGACY_PREFIX = "s1:"
PURPOSE = "core.totp"


def _legacy_key() -> bytes:
    key = str(getattr(settings, "OTP_SEAL_KEY", "") or "")
    if not key:
        path = Path(settings.VAR_DIR) / "otp_seal_key"
        try:
            key = path.read_text(encoding="utf-8").strip()
        except OSError as error:
            raise ImproperlyConfigured(
                "Two-factor secrets sealed with the old key (s1:) exist, but neither OTP_SEAL_KEY "
                f"nor {path} is available to open them: restore the key, then migrate again."
            ) from error
    return hashlib.sha256(key.encode()).digest()


def _raw_secret(stored: str) -> bytes:
    if not stored.startswith(LEGACY_PREFIX):
        return unhexlify(stored.encode())
    from cryptography.hazmat.primitives.ciphers.aead import AESGCM

    data = base64.b64decode(stored[len(LEGACY_PREFIX) :])
    return AESGCM(_legacy_key()).decrypt(data[:12], data[12:], b"kurashi.totp")


def reseal(apps, schema_editor):
    from kurashi.core.sealing import Sealer, is_armored

    sealer = Sealer(PURPOSE)
    devices = apps.get_model("otp_totp", "TOTPDevice").objects.using(schema_editor.connection.alias)
    for device in devices.iterator():
        if is_armored(device.key):
            continue
        sealed = sealer.seal_armored(_raw_secret(device.key), context=str(device.user_id))
        devices.filter(pk=device.pk).update(key=sealed)


def unseal(apps, schema_editor):
    from kurashi.core.sealing import Sealer, is_armored

    sealer = Sealer(PURPOSE)
    devices = apps.get_model("otp_totp", "TOTPDevice").objects.using(schema_editor.connection.alias)
    for device in devices.iterator():
        if is_armored(device.key):
            raw = sealer.open_armored(device.key, context=str(device.user_id))
            devices.filter(pk=device.pk).update(key=raw.hex())


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_live_events"),
        ("otp_totp", "0003_add_timestamps"),
    ]

    operations = [migrations.RunPython(reseal, unseal, elidable=False)]
