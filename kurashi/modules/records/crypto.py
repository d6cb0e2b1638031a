"""Encryption at rest for the records module, through core's sealing service
(kurashi/core/sealing.py) with the module's own key ring, kept outside the database.

Payloads (FHIR resource JSON, demographics, comments, scanned consent forms) are sealed with
AES-256-GCM; every ciphertext starts with the id of the key that sealed it, so keys can rotate:
new data uses the current key, old data stays readable while its key is listed.
Search columns hold keyed HMAC-SHA256 tokens (never the value itself), so an exact search works
without the plain value being stored.

Keys come from the environment (RECORDS_ENCRYPTION_KEYS="k2:<base64>,k1:<base64>" — the first is
current — and RECORDS_INDEX_KEY="<base64>") or, when unset, from the key file
<KURASHI_VAR_DIR>/records-keys.json (created with mode 0600 on first use). Back the key file up
separately from the database: a database dump alone reveals nothing. Clinical data has its own
ring, apart from the platform's default one; its blobs carry no purpose label (the ring serves
records alone), so data sealed before the shared service opens unchanged.
"""

import json
from pathlib import Path

from kurashi.core import sealing
from kurashi.core.sealing import KeyRing

RING = sealing.register_ring(
    sealing.KeyRingSpec(
        name="records",
        file_name="records-keys.json",
        keys_env="RECORDS_ENCRYPTION_KEYS",
        index_key_env="RECORDS_INDEX_KEY",
    )
)
_SEALER = sealing.Sealer("", RING)

__all__ = ["RING", "KeyRing"]


def key_file_path() -> Path:
    return sealing.key_file_path(RING)


def key_ring() -> KeyRing:
    return sealing.key_ring(RING)


def forget_keys() -> None:
    """Reload keys on next use (after rotation, and in tests)."""
    sealing.forget_keys()


def rotate_key_file() -> str:
    """Add a new current key to the key file (old keys stay for reading); returns its id."""
    return sealing.rotate(RING)


def seal(plain: bytes) -> bytes:
    return _SEALER.seal(plain)


def unseal(blob: bytes | memoryview) -> bytes:
    return _SEALER.open(blob)


def seal_json(value: object) -> bytes:
    return seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def unseal_json(blob: bytes | memoryview) -> object:
    return json.loads(unseal(blob))


def seal_text(value: str) -> bytes:
    return seal(value.encode("utf-8"))


def unseal_text(blob: bytes | memoryview | None) -> str:
    return unseal(blob).decode("utf-8") if blob else ""


def key_id_of(blob: bytes | memoryview) -> str:
    return _SEALER.key_id(blob)


def token(kind: str, value: str) -> str:
    """A keyed search token for an exact value (hex, 32 chars)."""
    return _SEALER.token(kind, value)
