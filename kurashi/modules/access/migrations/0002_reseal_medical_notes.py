"""The health notes of text-119 registrations move to core's sealing service: they were Fernet
tokens under a key derived from SECRET_KEY (a new SECRET_KEY made them unreadable); now they are
"sv1:<key id>:…" under the sealing keys, bound to the resident's account.

Notes are opened with SECRET_KEY or any of SECRET_KEY_FALLBACKS. Notes that none of them opens
(SECRET_KEY was changed before this migration) are left as they are and counted in a warning:
the console shows them as "cannot be decrypted", and the resident can enter them again.
Reversible: going back seals the notes with the SECRET_KEY scheme again."""

import base64
import logging

from django.conf import settings
from django.db import migrations

logger = logging.getLogger("kurashi.migrations")
PURPOSE = "access.medical-notes"


def _fernet(secret_key: str):
    from cryptography.fernet import Fernet
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kurashi.access.medical-notes"
    ).derive(secret_key.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def _open_legacy(token: str) -> str | None:
    from cryptography.fernet import InvalidToken

    for secret_key in [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]:
        try:
            return _fernet(secret_key).decrypt(token.encode()).decode()
        except InvalidToken:
            continue
    return None


def reseal(apps, schema_editor):
    from kurashi.core.sealing import Sealer, is_armored

    sealer = Sealer(PURPOSE)
    profiles = apps.get_model("access", "Text119Profile").objects.using(
        schema_editor.connection.alias
    )
    unreadable = 0
    for profile in profiles.exclude(medical_notes_encrypted="").iterator():
        if is_armored(profile.medical_notes_encrypted):
            continue
        text = _open_legacy(profile.medical_notes_encrypted)
        if text is None:
            unreadable += 1
            continue
        sealed = sealer.seal_armored(text.encode(), context=str(profile.user_id))
        profiles.filter(pk=profile.pk).update(medical_notes_encrypted=sealed)
    if unreadable:
        logger.warning(
            "%d text-119 registration(s) hold medical notes that neither SECRET_KEY nor "
            "SECRET_KEY_FALLBACKS opens; they were left as they are.",
            unreadable,
        )


def unseal(apps, schema_editor):
    from kurashi.core.sealing import Sealer, is_armored

    sealer = Sealer(PURPOSE)
    fernet = _fernet(settings.SECRET_KEY)
    profiles = apps.get_model("access", "Text119Profile").objects.using(
        schema_editor.connection.alias
    )
    for profile in profiles.exclude(medical_notes_encrypted="").iterator():
        if is_armored(profile.medical_notes_encrypted):
            text = sealer.open_armored(
                profile.medical_notes_encrypted, context=str(profile.user_id)
            )
            profiles.filter(pk=profile.pk).update(
                medical_notes_encrypted=fernet.encrypt(text).decode()
            )


class Migration(migrations.Migration):
    dependencies = [("access", "0001_initial")]

    operations = [migrations.RunPython(reseal, unseal, elidable=False)]
