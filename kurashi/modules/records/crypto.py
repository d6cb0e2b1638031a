"""Encryption at rest for the records module, with keys kept outside the database.

Payloads (FHIR resource JSON, demographics, comments, scanned consent forms) are sealed with
AES-256-GCM; every ciphertext starts with the id of the key that sealed it, so keys can rotate:
new data uses the current key, old data stays readable while its key is listed.
Search columns hold keyed HMAC-SHA256 tokens (never the value itself), so an exact search works
without the plain value being stored.

Keys come from the environment (RECORDS_ENCRYPTION_KEYS="k2:<base64>,k1:<base64>" — the first is
current — and RECORDS_INDEX_KEY="<base64>") or, when unset, from the key file
<KURASHI_VAR_DIR>/records-keys.json (created with mode 0600 on first use). Back the key file up
separately from the database: a database dump alone reveals nothing.
"""

import base64
import hashlib
import hmac
import json
import os
import secrets
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
SEPARATOR = b":"


@dataclass(frozen=True)
class KeyRing:
    current_id: str
    keys: dict[str, bytes]
    index_key: bytes


def key_file_path() -> Path:
    return Path(settings.VAR_DIR) / "records-keys.json"


def _decode(value: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value.encode("ascii"))
    except ValueError as error:
        raise ImproperlyConfigured(f"{what} is not valid base64") from error
    if len(raw) != 32:
        raise ImproperlyConfigured(f"{what} must be 32 bytes (base64 of 32 random bytes)")
    return raw


def _new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(32)).decode("ascii")


def _from_environment() -> KeyRing | None:
    listed = os.environ.get("RECORDS_ENCRYPTION_KEYS", "").strip()
    if not listed:
        return None
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in listed.split(","):
        key_id, _sep, value = item.strip().partition(":")
        if not key_id or not value:
            raise ImproperlyConfigured("RECORDS_ENCRYPTION_KEYS: use id:base64,id:base64")
        keys[key_id] = _decode(value, f"RECORDS_ENCRYPTION_KEYS[{key_id}]")
        order.append(key_id)
    index = os.environ.get("RECORDS_INDEX_KEY", "").strip()
    if not index:
        raise ImproperlyConfigured("RECORDS_INDEX_KEY must be set with RECORDS_ENCRYPTION_KEYS")
    return KeyRing(current_id=order[0], keys=keys, index_key=_decode(index, "RECORDS_INDEX_KEY"))


def _from_file(path: Path) -> KeyRing:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {"current": "k1", "keys": {"k1": _new_key()}, "index_key": _new_key()}
        descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
            json.dump(content, handle)
    data = json.loads(path.read_text(encoding="utf-8"))
    keys = {key_id: _decode(value, f"key {key_id}") for key_id, value in data["keys"].items()}
    if data["current"] not in keys:
        raise ImproperlyConfigured(f"{path}: current key {data['current']!r} is not listed")
    return KeyRing(
        current_id=str(data["current"]),
        keys=keys,
        index_key=_decode(data["index_key"], "index_key"),
    )


@lru_cache(maxsize=1)
def key_ring() -> KeyRing:
    return _from_environment() or _from_file(key_file_path())


def forget_keys() -> None:
    """Reload keys on next use (after rotation, and in tests)."""
    key_ring.cache_clear()


def rotate_key_file() -> str:
    """Add a new current key to the key file (old keys stay for reading); returns its id."""
    path = key_file_path()
    key_ring()  # creates the file if needed
    data = json.loads(path.read_text(encoding="utf-8"))
    number = 1 + max(int(k[1:]) for k in data["keys"] if k[1:].isdigit())
    key_id = f"k{number}"
    data["keys"][key_id] = _new_key()
    data["current"] = key_id
    path.write_text(json.dumps(data), encoding="utf-8")
    forget_keys()
    return key_id


def seal(plain: bytes) -> bytes:
    ring = key_ring()
    nonce = secrets.token_bytes(NONCE_BYTES)
    sealed = AESGCM(ring.keys[ring.current_id]).encrypt(nonce, plain, ring.current_id.encode())
    return ring.current_id.encode() + SEPARATOR + nonce + sealed


def unseal(blob: bytes | memoryview) -> bytes:
    data = bytes(blob)
    key_id, _sep, rest = data.partition(SEPARATOR)
    ring = key_ring()
    key = ring.keys.get(key_id.decode())
    if key is None:
        raise ImproperlyConfigured(f"records: encryption key {key_id.decode()!r} is not available")
    return AESGCM(key).decrypt(rest[:NONCE_BYTES], rest[NONCE_BYTES:], key_id)


def seal_json(value: object) -> bytes:
    return seal(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def unseal_json(blob: bytes | memoryview) -> object:
    return json.loads(unseal(blob))


def seal_text(value: str) -> bytes:
    return seal(value.encode("utf-8"))


def unseal_text(blob: bytes | memoryview | None) -> str:
    return unseal(blob).decode("utf-8") if blob else ""


def key_id_of(blob: bytes | memoryview) -> str:
    return bytes(blob).partition(SEPARATOR)[0].decode()


def token(kind: str, value: str) -> str:
    """A keyed search token for an exact value (hex, 32 chars)."""
    digest = hmac.new(key_ring().index_key, f"{kind}\x1f{value}".encode(), hashlib.sha256)
    return digest.hexdigest()[:32]
