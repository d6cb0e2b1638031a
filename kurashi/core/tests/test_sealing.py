"""The sealing service: AEAD with key ids, keys outside the database (a key file or the
environment), rotation, purpose and row binding, separate rings; never derived from SECRET_KEY."""

import base64
import os
import stat
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.core.management import call_command

from kurashi.core import sealing
from kurashi.core.sealing import KeyRingSpec, Sealer, SealError

NOTES = Sealer("test.notes")
OTHER_PURPOSE = Sealer("test.other")
SEPARATE = KeyRingSpec(
    name="separate", file_name="separate-keys.json", keys_env="T_KEYS", index_key_env="T_INDEX"
)


@pytest.fixture(autouse=True)
def key_dir(settings: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    settings.VAR_DIR = tmp_path
    for name in ("KURASHI_SEAL_KEYS", "KURASHI_SEAL_INDEX_KEY", "KURASHI_SEAL_KEYS_FILE"):
        monkeypatch.delenv(name, raising=False)
    sealing.forget_keys()
    yield tmp_path
    sealing.forget_keys()


def random_key() -> str:
    return base64.urlsafe_b64encode(os.urandom(32)).decode()


def test_values_open_to_what_was_sealed(key_dir: Path) -> None:
    blob = NOTES.seal("ペニシリン".encode(), context="7")
    assert blob.startswith(b"k1:")
    assert "ペニシリン".encode() not in blob
    assert NOTES.open(blob, context="7").decode() == "ペニシリン"
    text = NOTES.seal_armored(b"\x00" * 20, context="7")
    assert text.startswith("sv1:k1:")
    assert len(text) <= 77
    assert NOTES.open_armored(text, context="7") == b"\x00" * 20
    assert NOTES.seal(b"same") != NOTES.seal(b"same")  # a fresh nonce every time


def test_the_key_file_is_created_outside_the_database_readable_by_the_owner_only(
    key_dir: Path,
) -> None:
    NOTES.seal(b"x")
    key_file = key_dir / "seal-keys.json"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600


@pytest.mark.parametrize(
    ("sealer", "context"),
    [(OTHER_PURPOSE, "7"), (NOTES, "8"), (Sealer("test.notes", SEPARATE), "7")],
    ids=["another purpose", "another row", "another ring"],
)
def test_a_value_does_not_open_elsewhere(sealer: Sealer, context: str) -> None:
    blob = NOTES.seal(b"secret", context="7")
    with pytest.raises(SealError):
        sealer.open(blob, context=context)


def test_an_altered_value_does_not_open() -> None:
    blob = bytearray(NOTES.seal(b"secret"))
    blob[-1] ^= 1
    with pytest.raises(SealError, match="altered"):
        NOTES.open(bytes(blob))
    with pytest.raises(SealError):
        NOTES.open_armored("not sealed at all")


def test_a_new_secret_key_changes_nothing(settings: Any) -> None:
    blob = NOTES.seal(b"secret")
    settings.SECRET_KEY = "rotated after a leak; sessions and signatures start over"
    sealing.forget_keys()
    assert NOTES.open(blob) == b"secret"


def test_rotation_keeps_old_values_readable_and_seals_new_ones_with_the_new_key() -> None:
    old = NOTES.seal_armored(b"old", context="1")
    assert sealing.rotate() == "k2"
    new = NOTES.seal_armored(b"new", context="1")
    assert (NOTES.key_id(old), NOTES.key_id(new)) == ("k1", "k2")
    assert (NOTES.is_current(old), NOTES.is_current(new)) == (False, True)
    assert NOTES.open_armored(old, context="1") == b"old"
    assert NOTES.open_armored(new, context="1") == b"new"


def test_a_value_whose_key_was_removed_says_so(key_dir: Path) -> None:
    blob = NOTES.seal(b"x")
    (key_dir / "seal-keys.json").write_text(
        f'{{"current": "k9", "keys": {{"k9": "{random_key()}"}}, "index_key": "{random_key()}"}}'
    )
    sealing.forget_keys()
    with pytest.raises(SealError, match="'k1' is not available"):
        NOTES.open(blob)


def test_keys_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, key_dir: Path) -> None:
    old, new = random_key(), random_key()
    monkeypatch.setenv("KURASHI_SEAL_KEYS", f"k1:{old}")
    monkeypatch.setenv("KURASHI_SEAL_INDEX_KEY", random_key())
    sealing.forget_keys()
    blob = NOTES.seal(b"x")
    monkeypatch.setenv("KURASHI_SEAL_KEYS", f"k2:{new},k1:{old}")  # the operator's rotation
    sealing.forget_keys()
    assert NOTES.key_id(NOTES.seal(b"y")) == "k2"
    assert NOTES.open(blob) == b"x"
    assert not (key_dir / "seal-keys.json").exists()
    with pytest.raises(ImproperlyConfigured, match="add the new key at its front"):
        sealing.rotate()


FIXED_KEY = base64.urlsafe_b64encode(bytes(range(32))).decode()  # test ids must not vary


@pytest.mark.parametrize(
    ("keys", "index", "message"),
    [
        ("k1:not-base64!", "ok", "not valid base64"),
        ("k1:" + base64.urlsafe_b64encode(b"short").decode(), "ok", "must be 32 bytes"),
        ("a key id far too long:" + FIXED_KEY, "", "key id"),
        ("k1:" + FIXED_KEY, "", "must be set"),
    ],
    ids=["not base64", "too short", "bad key id", "no index key"],
)
def test_bad_key_settings_are_refused_clearly(
    monkeypatch: pytest.MonkeyPatch, keys: str, index: str, message: str
) -> None:
    monkeypatch.setenv("KURASHI_SEAL_KEYS", keys)
    if index:
        monkeypatch.setenv("KURASHI_SEAL_INDEX_KEY", random_key())
    with pytest.raises(ImproperlyConfigured, match=message):
        NOTES.seal(b"x")


def test_search_tokens_are_keyed_and_exact() -> None:
    token = NOTES.token("mynumber", "123456789018")
    assert token == NOTES.token("mynumber", "123456789018")
    assert token != NOTES.token("mynumber", "123456789019")
    assert token != Sealer("test.notes", SEPARATE).token("mynumber", "123456789018")
    assert "123456789018" not in token


def test_kurashi_seal_rotates_and_reseals_the_registered_values(
    db: None, capsys: pytest.CaptureFixture[str]
) -> None:
    from kurashi.core.otp import SealedTOTPDevice
    from kurashi.testing import make_user

    user = make_user("sealed-user")
    device = SealedTOTPDevice.objects.create(user=user, name="phone", confirmed=True)
    raw = device.bin_key
    call_command("seal", "rotate")
    call_command("seal", "status")
    status = capsys.readouterr().out
    assert "core.totp (" in status
    assert "): k1: 1" in status
    call_command("seal", "reseal")
    assert "core.totp: 1 value(s) re-sealed" in capsys.readouterr().out
    device.refresh_from_db()
    assert device.key.startswith("sv1:k2:")
    assert device.bin_key == raw
    call_command("seal", "reseal")
    assert "core.totp: 0 value(s) re-sealed" in capsys.readouterr().out
