"""Encryption at rest: a raw dump of every table shows no clinical payload, no patient identity
and no 2FA secret of the records module; keys rotate without losing old data."""

import base64

import pytest
from django.db import connection

from kurashi.core.otp import SealedTOTPDevice as TOTPDevice
from kurashi.modules.records import crypto, services
from kurashi.modules.records.models import Comment, Resource
from kurashi.modules.records.tests.conftest import (
    World,
    add_observation,
    add_patient,
    verified_client,
)

SECRETS = (
    "白血球数",
    "カリヤマダ",
    "仮山田",
    "千代",
    "099-440-2919",
    "0994402919",
    "2A010000001930901",
    "0524522233",
    "意識障害",
    "検査値の単位",
)


def raw_dump() -> str:
    """Every row of every table, as the database returns it (bytes decoded leniently)."""
    parts = []
    with connection.cursor() as cursor:
        for table in connection.introspection.table_names(cursor):
            cursor.execute(f'SELECT * FROM "{table}"')  # noqa: S608 (table names from introspection)
            for row in cursor.fetchall():
                for value in row:
                    if isinstance(value, (bytes, memoryview)):
                        parts.append(bytes(value).decode("utf-8", "replace"))
                        parts.append(bytes(value).hex())
                    else:
                        parts.append(str(value))
    return "\n".join(parts)


@pytest.fixture
def populated(world: World) -> World:
    add_patient(world)
    add_observation(world)
    services.start_break_glass(
        user=world.crew, person=world.person, facility_id=world.fire.pk, reason="意識障害で搬送中"
    )
    services.post_comment(
        user=world.doctor,
        person=world.person,
        to_facility_id=world.discloser.pk,
        body="検査値の単位を確認",
    )
    verified_client(world.doctor).get("/fhir/R4/Observation/obs-1")
    return world


def test_raw_database_dump_reveals_no_clinical_payload_or_identity(populated: World) -> None:
    dump = raw_dump()
    for secret in SECRETS:
        assert secret not in dump, secret
    assert Resource.objects.count() == 3  # Patient, Observation, the network consent
    assert Comment.objects.count() == 1
    # …and the data is still there for those allowed to see it
    response = verified_client(populated.doctor).get("/fhir/R4/Observation/obs-1")
    assert response.json()["code"]["text"] == "白血球数"


def test_no_two_factor_secret_readable_in_a_raw_dump(populated: World) -> None:
    """Every clinician's TOTP secret, in hex and in base32 (the QR code's form), appears nowhere
    in a raw dump of the whole database: core seals it (kurashi/core/otp.py)."""
    devices = list(TOTPDevice.objects.all())
    assert devices
    dump = raw_dump()
    for device in devices:
        raw = device.bin_key
        assert len(raw) == 20  # the sealed key still opens to the real secret
        for form in (raw.hex(), raw.hex().upper(), base64.b32encode(raw).decode().rstrip("=")):
            assert form not in dump
        assert device.key.startswith("sv1:")  # core's sealing service


def test_key_rotation_keeps_old_data_readable(populated: World) -> None:
    old = Resource.objects.get(fhir_id="obs-1")
    assert crypto.key_id_of(old.payload) == "k1"
    assert crypto.rotate_key_file() == "k2"
    add_observation(populated, fhir_id="obs-2", text="CRP")
    new = Resource.objects.get(fhir_id="obs-2")
    assert crypto.key_id_of(new.payload) == "k2"
    client = verified_client(populated.doctor)
    assert client.get("/fhir/R4/Observation/obs-1").json()["code"]["text"] == "白血球数"
    assert client.get("/fhir/R4/Observation/obs-2").json()["code"]["text"] == "CRP"


def test_keys_can_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    import base64
    import os

    key = base64.urlsafe_b64encode(os.urandom(32)).decode()
    monkeypatch.setenv("RECORDS_ENCRYPTION_KEYS", f"env1:{key}")
    monkeypatch.setenv("RECORDS_INDEX_KEY", key)
    crypto.forget_keys()
    sealed = crypto.seal_text("秘密")
    assert crypto.key_id_of(sealed) == "env1"
    assert crypto.unseal_text(sealed) == "秘密"
    assert not crypto.key_file_path().exists()
