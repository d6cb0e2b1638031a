"""Actors of the records tests: anonymous, a resident with a record, clinicians of a consented and
of a non-consented facility, a pharmacist, the liaison office, an ambulance crew, an auditor and
the network administrator. Staff clients are signed in with a confirmed TOTP device (2FA)."""

import json
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from django.test import Client
from django_otp import DEVICE_ID_SESSION_KEY

from kurashi.core.models import Organisation, User
from kurashi.core.otp import SealedTOTPDevice as TOTPDevice
from kurashi.modules.records import crypto, services
from kurashi.modules.records.matching import Demographics
from kurashi.modules.records.models import Consent, LocalIdentifier, Person
from kurashi.testing.builders import make_member, make_organisation, make_user

FIXTURES = Path(__file__).resolve().parent / "fixtures"
PHYSICIAN = ("records.view_clinical", "records.break_glass")
NURSE = ("records.view_clinical",)
PHARMACIST = ("records.view_medication",)
LIAISON = ("records.manage_index",)
CREW = ("records.break_glass",)
AUDITOR = ("records.view_audit",)
ADMIN = ("records.administer_network", "records.view_audit")


@pytest.fixture(autouse=True)
def _keys(settings: Any, tmp_path: Path) -> Any:
    settings.VAR_DIR = tmp_path
    crypto.forget_keys()
    yield
    crypto.forget_keys()


def verified_client(user: User) -> Client:
    client = Client()
    client.force_login(user)
    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def hospital(slug: str, name_ja: str) -> Organisation:
    return make_organisation(kind=Organisation.Kind.HOSPITAL, slug=slug, name_ja=name_ja)


def load_json(relative: str) -> dict[str, Any]:
    with (FIXTURES / relative).open(encoding="utf-8") as handle:
        data: dict[str, Any] = json.load(handle)
    return data


YAMADA = Demographics(
    kanji_name="仮山田 千代",
    kana_name="カリヤマダ チヨ",
    sex="female",
    birth_date=date(1976, 1, 1),
    postal_code="246-0026",
    phones=("099-440-2919",),
)


@dataclass
class World:
    consented: Organisation  # covered by the resident's consent (named facilities)
    other: Organisation  # not covered
    discloser: Organisation  # holds the record
    fire: Organisation
    network: Organisation
    person: Person
    identifier: LocalIdentifier
    consent: Consent
    resident: User
    doctor: User  # physician at `consented`
    other_doctor: User  # physician at `other`
    pharmacist: User  # at `consented`
    liaison: User  # at `discloser`
    crew: User
    auditor: User
    admin: User
    stranger: User  # a resident without a record


@pytest.fixture
def world(db: None) -> World:
    return build_world()


def build_world() -> World:
    consented = hospital("h-consented", "同意病院")
    other = hospital("h-other", "他病院")
    discloser = hospital("h-discloser", "開示病院")
    fire = make_organisation(kind=Organisation.Kind.FIRE_HQ, slug="fire", name_ja="消防")
    network = make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT, municipality_code=None, slug="net"
    )
    identifier = services.register_patient(
        facility=discloser, system="urn:test:pid", value="0524522233", demographics=YAMADA
    )
    person = identifier.person
    resident = make_user("chiyo")
    services.link_resident(person=person, user=resident, actor=None)
    consent = services.record_consent(
        person=person,
        scope=Consent.Scope.NAMED,
        facility_ids=[consented.pk, discloser.pk],
        signed_on=date(2024, 1, 3),
        actor=None,
    )
    return World(
        consented=consented,
        other=other,
        discloser=discloser,
        fire=fire,
        network=network,
        person=Person.objects.get(pk=person.pk),
        identifier=identifier,
        consent=consent,
        resident=resident,
        doctor=make_member(consented, *PHYSICIAN),
        other_doctor=make_member(other, *PHYSICIAN),
        pharmacist=make_member(consented, *PHARMACIST),
        liaison=make_member(discloser, *LIAISON),
        crew=make_member(fire, *CREW),
        auditor=make_member(network, *AUDITOR),
        admin=make_member(network, *ADMIN),
        stranger=make_user("stranger"),
    )


def add_observation(world: World, *, fhir_id: str = "obs-1", text: str = "白血球数") -> None:
    services.store_resource(
        resource={
            "resourceType": "Observation",
            "id": fhir_id,
            "status": "final",
            "code": {
                "coding": [
                    {
                        "system": "urn:oid:1.2.392.200119.4.504",
                        "code": "2A010000001930901",
                        "display": text,
                    }
                ],
                "text": text,
            },
            "subject": {"reference": "Patient/pat-yamada"},
            "effectiveDateTime": "2024-01-01T12:30:00+09:00",
            "valueQuantity": {"value": 12300, "unit": "/μL"},
        },
        facility=world.discloser,
        patient=world.identifier,
    )


def add_patient(world: World) -> None:
    services.store_resource(
        resource={
            "resourceType": "Patient",
            "id": "pat-yamada",
            "identifier": [{"system": "urn:test:pid", "value": "0524522233"}],
            "name": [
                {
                    "extension": [
                        {
                            "url": "http://hl7.org/fhir/StructureDefinition/iso21090-EN-representation",
                            "valueCode": "SYL",
                        }
                    ],
                    "text": "カリヤマダ チヨ",
                    "family": "カリヤマダ",
                    "given": ["チヨ"],
                }
            ],
            "gender": "female",
            "birthDate": "1976-01-01",
        },
        facility=world.discloser,
        patient=world.identifier,
    )
