"""Encryption at rest of the health notes of text-119 registrations (Fernet, key derived from
SECRET_KEY with HKDF so that the notes cannot be read from a copy of the database alone)."""

import base64

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings


def _fernet() -> Fernet:
    key = HKDF(
        algorithm=hashes.SHA256(), length=32, salt=None, info=b"kurashi.access.medical-notes"
    ).derive(settings.SECRET_KEY.encode())
    return Fernet(base64.urlsafe_b64encode(key))


def encrypt_text(text: str) -> str:
    return _fernet().encrypt(text.encode()).decode() if text else ""


def decrypt_text(token: str) -> str:
    """The plain text; "" for no notes; raises ValueError when the key has changed."""
    if not token:
        return ""
    try:
        return _fernet().decrypt(token.encode()).decode()
    except InvalidToken as error:
        raise ValueError("the medical notes cannot be decrypted with this SECRET_KEY") from error
