"""The health notes of text-119 registrations, sealed at rest by core's sealing service
(kurashi/core/sealing.py): keys outside the database with key ids and rotation, never derived
from SECRET_KEY (rotating SECRET_KEY no longer makes the notes unreadable). Each value is bound
to the purpose "access.medical-notes" and to the registered resident's account, so notes copied
onto another resident's row do not open. Migration access 0002 re-sealed the notes of the earlier
scheme (Fernet under a key derived from SECRET_KEY)."""

from kurashi.core.sealing import Sealer, is_armored

PURPOSE = "access.medical-notes"
SEALER = Sealer(PURPOSE)


def encrypt_text(text: str, *, user_id: int) -> str:
    return SEALER.seal_armored(text.encode(), context=str(user_id)) if text else ""


def decrypt_text(token: str, *, user_id: int) -> str:
    """The plain text; "" for no notes; raises ValueError (SealError) when they cannot be opened
    (their key is not available, or they were altered or moved)."""
    if not token:
        return ""
    return SEALER.open_armored(token, context=str(user_id)).decode()


def count_by_key() -> dict[str, int]:
    from kurashi.modules.access.models import Text119Profile

    counts: dict[str, int] = {}
    stored = Text119Profile.objects.exclude(medical_notes_encrypted="")
    for token in stored.values_list("medical_notes_encrypted", flat=True).iterator():
        key_id = SEALER.key_id(token) or "unsealed"
        counts[key_id] = counts.get(key_id, 0) + 1
    return counts


def reseal_all() -> int:
    """Re-seal every note not under the current key (`kurashi seal reseal`)."""
    from kurashi.modules.access.models import Text119Profile

    done = 0
    stored = Text119Profile.objects.exclude(medical_notes_encrypted="")
    for pk, user_id, token in stored.values_list(
        "pk", "user_id", "medical_notes_encrypted"
    ).iterator():
        if not is_armored(token) or SEALER.is_current(token):
            continue  # unsealed legacy notes are migration 0002's, not a key rotation's
        sealed = encrypt_text(decrypt_text(token, user_id=user_id), user_id=user_id)
        done += Text119Profile.objects.filter(pk=pk, medical_notes_encrypted=token).update(
            medical_notes_encrypted=sealed
        )
    return done
