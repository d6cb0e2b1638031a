"""TOTP devices whose shared secret is sealed (AES-GCM, key outside the database).

django-otp's TOTPDevice keeps the secret as hex in clear, so anyone with a database dump could
generate every user's second factor. SealedTOTPDevice (a proxy: same table, same rows) stores
"s1:" + base64(nonce ‖ ciphertext ‖ tag) instead — 67 characters, inside the 80-character column —
and opens it only in memory when a code is checked or the QR code is drawn. The sealing key is
OTP_SEAL_KEY (setting or OTP_SEAL_KEY_FILE; by default var/otp_seal_key, mode 0600): back it up
apart from the database. Unsealed (hex) rows still work and are sealed on their next save.
"""

import base64
import hashlib
import secrets
from binascii import unhexlify
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django_otp.plugins.otp_totp.models import TOTPDevice

from kurashi.core.env import installation_secret

PREFIX = "s1:"
_AAD = b"kurashi.totp"


def _cipher() -> AESGCM:
    key = str(getattr(settings, "OTP_SEAL_KEY", "")) or installation_secret(
        Path(settings.VAR_DIR) / "otp_seal_key"
    )
    return AESGCM(hashlib.sha256(key.encode()).digest())


def seal_secret(raw: bytes) -> str:
    nonce = secrets.token_bytes(12)
    return PREFIX + base64.b64encode(nonce + _cipher().encrypt(nonce, raw, _AAD)).decode()


def open_secret(stored: str) -> bytes:
    """The raw secret of a stored key, sealed or (not yet sealed) hex."""
    if not stored.startswith(PREFIX):
        return unhexlify(stored.encode())
    data = base64.b64decode(stored[len(PREFIX) :])
    return _cipher().decrypt(data[:12], data[12:], _AAD)


def seal_stored(stored: str) -> str:
    return stored if stored.startswith(PREFIX) else seal_secret(unhexlify(stored.encode()))


class SealedTOTPDevice(TOTPDevice):  # type: ignore[misc]
    """The TOTP device Kurashi uses everywhere (login, enrolment, demo accounts)."""

    key: str  # django-otp's CharField (the package ships no type hints)

    class Meta:
        proxy = True
        verbose_name = "TOTP device (sealed)"

    @property
    def bin_key(self) -> bytes:  # verify_token() and config_url read the secret through this
        return open_secret(self.key)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key = seal_stored(self.key)
        super().save(*args, **kwargs)
