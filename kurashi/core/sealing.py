"""One sealing service for secrets at rest: two-factor secrets, clinical payloads, the medical notes
of text-119 registrations, and later the My Number vault.

    from kurashi.core.sealing import Sealer

    NOTES = Sealer("access.medical-notes")
    stored = NOTES.seal_armored(text.encode(), context=str(user_id))   # "sv1:k1:…" for a text column
    text = NOTES.open_armored(stored, context=str(user_id)).decode()

AES-256-GCM (AEAD). Every sealed value starts with the id of the key that sealed it, so keys
rotate: new values use the current key, old ones stay readable while their key is listed, and
`kurashi seal reseal` moves them to the current one. The associated data binds a value to its key
id, its purpose (a TOTP secret cannot be pasted into a medical-notes column) and its context (the
row it belongs to: one resident's notes cannot be copied onto another's row and read there).

Keys live outside the database and are never derived from SECRET_KEY (rotating SECRET_KEY, which
Django allows for sessions and signing, must not make anything unreadable). Each key ring is either
set in the environment (`KURASHI_SEAL_KEYS="k2:<base64>,k1:<base64>"`, the first is current, with
`KURASHI_SEAL_INDEX_KEY`), or kept in a key file (`KURASHI_SEAL_KEYS_FILE`, by default
<KURASHI_VAR_DIR>/seal-keys.json, created with mode 0600 on first use). Back the keys up apart
from the database: a database dump alone reveals nothing.

A module with its own separation needs (clinical records; the My Number vault, whose keys the law
asks to be managed apart) declares its own KeyRingSpec; the format and the code are the same.
`token()` gives keyed search tokens (HMAC-SHA256) so an exact value can be found without storing it.
"""

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

NONCE_BYTES = 12
KEY_BYTES = 32
SEPARATOR = b":"
ARMOR_PREFIX = "sv1:"
KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,8}$")


class SealError(ValueError):
    """A sealed value cannot be opened: its key is not available, or it was altered, or it
    belongs to another purpose or row."""


@dataclass(frozen=True)
class KeyRingSpec:
    """Where one ring's keys come from."""

    name: str
    file_name: str  # under KURASHI_VAR_DIR unless file_env names a path
    keys_env: str
    index_key_env: str
    file_env: str = ""


DEFAULT_RING = KeyRingSpec(
    name="default",
    file_name="seal-keys.json",
    keys_env="KURASHI_SEAL_KEYS",
    index_key_env="KURASHI_SEAL_INDEX_KEY",
    file_env="KURASHI_SEAL_KEYS_FILE",
)


_known_rings: dict[str, KeyRingSpec] = {DEFAULT_RING.name: DEFAULT_RING}


def register_ring(spec: KeyRingSpec) -> KeyRingSpec:
    """Declare a module's own key ring (for `kurashi seal rotate --ring NAME`); returns it."""
    _known_rings[spec.name] = spec
    return spec


def known_rings() -> dict[str, KeyRingSpec]:
    return dict(_known_rings)


@dataclass(frozen=True)
class KeyRing:
    name: str
    current_id: str
    keys: Mapping[str, bytes]
    index_key: bytes
    source: str  # "environment" or the key file's path


def _decode_key(value: str, what: str) -> bytes:
    try:
        raw = base64.urlsafe_b64decode(value.strip().encode("ascii"))
    except ValueError as error:
        raise ImproperlyConfigured(f"{what} is not valid base64") from error
    if len(raw) != KEY_BYTES:
        raise ImproperlyConfigured(f"{what} must be {KEY_BYTES} bytes (base64 of random bytes)")
    return raw


def _check_key_id(key_id: str, where: str) -> str:
    if not KEY_ID.match(key_id):
        raise ImproperlyConfigured(f"{where}: a key id is 1–8 letters, digits, - or _: {key_id!r}")
    return key_id


def new_key() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(KEY_BYTES)).decode("ascii")


def key_file_path(spec: KeyRingSpec = DEFAULT_RING) -> Path:
    named = os.environ.get(spec.file_env, "").strip() if spec.file_env else ""
    return Path(named) if named else Path(settings.VAR_DIR) / spec.file_name


def _from_environment(spec: KeyRingSpec) -> KeyRing | None:
    listed = os.environ.get(spec.keys_env, "").strip()
    if not listed:
        return None
    keys: dict[str, bytes] = {}
    order: list[str] = []
    for item in listed.split(","):
        key_id, _sep, value = item.strip().partition(":")
        if not key_id or not value:
            raise ImproperlyConfigured(f"{spec.keys_env}: use id:base64,id:base64")
        _check_key_id(key_id, spec.keys_env)
        keys[key_id] = _decode_key(value, f"{spec.keys_env}[{key_id}]")
        order.append(key_id)
    index = os.environ.get(spec.index_key_env, "").strip()
    if not index:
        raise ImproperlyConfigured(f"{spec.index_key_env} must be set with {spec.keys_env}")
    return KeyRing(
        name=spec.name,
        current_id=order[0],
        keys=keys,
        index_key=_decode_key(index, spec.index_key_env),
        source="environment",
    )


def _from_file(spec: KeyRingSpec, path: Path) -> KeyRing:
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        content = {"current": "k1", "keys": {"k1": new_key()}, "index_key": new_key()}
        try:
            descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        except FileExistsError:
            pass  # another process created it first: use theirs
        else:
            with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
                json.dump(content, handle)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = {
            _check_key_id(key_id, str(path)): _decode_key(value, f"{path}: key {key_id}")
            for key_id, value in data["keys"].items()
        }
        current = str(data["current"])
        index_key = _decode_key(data["index_key"], f"{path}: index_key")
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise ImproperlyConfigured(f"the key file {path} cannot be read: {error}") from error
    if current not in keys:
        raise ImproperlyConfigured(f"{path}: the current key {current!r} is not listed")
    return KeyRing(
        name=spec.name, current_id=current, keys=keys, index_key=index_key, source=str(path)
    )


_rings: dict[str, KeyRing] = {}
_rings_lock = threading.Lock()


def key_ring(spec: KeyRingSpec = DEFAULT_RING) -> KeyRing:
    """The ring's keys, read once per process (forget_keys() reads them again)."""
    with _rings_lock:
        ring = _rings.get(spec.name)
        if ring is None:
            ring = _from_environment(spec) or _from_file(spec, key_file_path(spec))
            _rings[spec.name] = ring
        return ring


def forget_keys() -> None:
    """Read the keys again on next use (after a rotation, and in tests)."""
    with _rings_lock:
        _rings.clear()


def rotate(spec: KeyRingSpec = DEFAULT_RING) -> str:
    """Add a new current key to the ring's key file (the old keys stay, for reading); returns its
    id. Keys set in the environment are rotated by the operator: put the new key first."""
    if os.environ.get(spec.keys_env, "").strip():
        raise ImproperlyConfigured(
            f"the {spec.name} keys come from {spec.keys_env}: add the new key at its front"
        )
    path = key_file_path(spec)
    key_ring(spec)  # creates the file if needed
    data = json.loads(path.read_text(encoding="utf-8"))
    numbers = [int(key_id[1:]) for key_id in data["keys"] if key_id[1:].isdigit()]
    key_id = f"k{1 + max(numbers, default=0)}"
    data["keys"][key_id] = new_key()
    data["current"] = key_id
    partial = path.with_name(path.name + ".new")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        json.dump(data, handle)
    partial.replace(path)
    forget_keys()
    return key_id


class Sealer:
    """Seals and opens the values of one purpose with one key ring.

    purpose: what the values are ("core.totp", "access.medical-notes", "mynumber.number"); bound
    into every value. An empty purpose is for a ring used by one purpose only (records).
    """

    def __init__(self, purpose: str, ring: KeyRingSpec = DEFAULT_RING) -> None:
        self.purpose = purpose
        self.ring = ring

    def _associated(self, key_id: bytes, context: str) -> bytes:
        if not self.purpose and not context:
            return key_id
        return b"\x1f".join([key_id, self.purpose.encode(), context.encode()])

    # --- bytes (BinaryField) ---------------------------------------------------------------

    def seal(self, plain: bytes, *, context: str = "") -> bytes:
        """key id ‖ ":" ‖ nonce ‖ ciphertext ‖ tag, under the current key."""
        ring = key_ring(self.ring)
        key_id = ring.current_id.encode()
        nonce = secrets.token_bytes(NONCE_BYTES)
        sealed = AESGCM(ring.keys[ring.current_id]).encrypt(
            nonce, plain, self._associated(key_id, context)
        )
        return key_id + SEPARATOR + nonce + sealed

    def open(self, sealed: bytes | memoryview, *, context: str = "") -> bytes:
        data = bytes(sealed)
        key_id, separator, rest = data.partition(SEPARATOR)
        if not separator or len(rest) < NONCE_BYTES + 16:
            raise SealError(f"{self.purpose or self.ring.name}: not a sealed value")
        key = key_ring(self.ring).keys.get(key_id.decode("ascii", "replace"))
        if key is None:
            raise SealError(
                f"{self.purpose or self.ring.name}: the key {key_id.decode('ascii', 'replace')!r} "
                f"is not available (ring {self.ring.name})"
            )
        try:
            return AESGCM(key).decrypt(
                rest[:NONCE_BYTES], rest[NONCE_BYTES:], self._associated(key_id, context)
            )
        except InvalidTag:
            raise SealError(
                f"{self.purpose or self.ring.name}: the value was altered or belongs elsewhere"
            ) from None

    # --- text (CharField / TextField) ------------------------------------------------------

    def seal_armored(self, plain: bytes, *, context: str = "") -> str:
        """ "sv1:<key id>:<base64url>" (a 20-byte TOTP secret: at most 77 characters)."""
        key_id, _sep, rest = self.seal(plain, context=context).partition(SEPARATOR)
        encoded = base64.urlsafe_b64encode(rest).decode("ascii").rstrip("=")
        return f"{ARMOR_PREFIX}{key_id.decode('ascii')}:{encoded}"

    def open_armored(self, stored: str, *, context: str = "") -> bytes:
        if not is_armored(stored):
            raise SealError(f"{self.purpose}: not a sealed value")
        key_id, _sep, encoded = stored[len(ARMOR_PREFIX) :].partition(":")
        try:
            rest = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise SealError(f"{self.purpose}: not a sealed value") from None
        return self.open(key_id.encode("ascii") + SEPARATOR + rest, context=context)

    # --- rotation and search ---------------------------------------------------------------

    def key_id(self, sealed: bytes | memoryview | str) -> str:
        if isinstance(sealed, str):
            return sealed[len(ARMOR_PREFIX) :].partition(":")[0] if is_armored(sealed) else ""
        return bytes(sealed).partition(SEPARATOR)[0].decode("ascii", "replace")

    def is_current(self, sealed: bytes | memoryview | str) -> bool:
        return self.key_id(sealed) == key_ring(self.ring).current_id

    def token(self, kind: str, value: str) -> str:
        """A keyed search token for an exact value (hex, 32 characters)."""
        digest = hmac.new(
            key_ring(self.ring).index_key, f"{kind}\x1f{value}".encode(), hashlib.sha256
        )
        return digest.hexdigest()[:32]


def is_armored(value: str) -> bool:
    return value.startswith(ARMOR_PREFIX)
