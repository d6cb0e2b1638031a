"""TOTP devices whose shared secret is sealed at rest by core's sealing service.

django-otp's TOTPDevice keeps the secret as hex in clear, so anyone with a database dump could
generate every user's second factor. SealedTOTPDevice (a proxy: same table, same rows) stores
"sv1:<key id>:<base64url>" instead (at most 77 characters, inside the 80-character column), bound
to the purpose "core.totp" and to its user, and opens it only in memory when a code is checked or
the QR code is drawn. The keys are the sealing service's (kurashi/core/sealing.py): outside the
database, with key ids and rotation. A device's new hex key (django-otp's default) is sealed when
it is saved; migration core 0005 re-sealed the secrets of the earlier own-key scheme.
"""

from binascii import unhexlify
from typing import Any

from django_otp.plugins.otp_totp.models import TOTPDevice

from kurashi.core.sealing import Sealer, is_armored

PURPOSE = "core.totp"
SEALER = Sealer(PURPOSE)


def seal_secret(raw: bytes, *, user_id: int) -> str:
    return SEALER.seal_armored(raw, context=str(user_id))


def open_secret(stored: str, *, user_id: int) -> bytes:
    """The raw secret of a stored key: sealed, or (not yet saved) django-otp's hex."""
    if is_armored(stored):
        return SEALER.open_armored(stored, context=str(user_id))
    return unhexlify(stored.encode())


def seal_stored(stored: str, *, user_id: int) -> str:
    return (
        stored if is_armored(stored) else seal_secret(unhexlify(stored.encode()), user_id=user_id)
    )


class SealedTOTPDevice(TOTPDevice):  # type: ignore[misc]
    """The TOTP device Kurashi uses everywhere (login, enrolment, demo accounts)."""

    key: str  # django-otp's CharField (the package ships no type hints)
    user_id: int

    class Meta:
        proxy = True
        verbose_name = "TOTP device (sealed)"

    @property
    def bin_key(self) -> bytes:  # verify_token() and config_url read the secret through this
        return open_secret(self.key, user_id=self.user_id)

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.key = seal_stored(self.key, user_id=self.user_id)
        super().save(*args, **kwargs)


def count_by_key() -> dict[str, int]:
    counts: dict[str, int] = {}
    for key in SealedTOTPDevice.objects.values_list("key", flat=True).iterator():
        key_id = SEALER.key_id(key) or "unsealed"
        counts[key_id] = counts.get(key_id, 0) + 1
    return counts


def reseal_all() -> int:
    """Re-seal every secret not under the current key (`kurashi seal reseal`)."""
    done = 0
    for device in SealedTOTPDevice.objects.only("pk", "key", "user_id").iterator():
        if is_armored(device.key) and SEALER.is_current(device.key):
            continue
        sealed = seal_secret(
            open_secret(device.key, user_id=device.user_id), user_id=device.user_id
        )
        done += SealedTOTPDevice.objects.filter(pk=device.pk, key=device.key).update(key=sealed)
    return done
