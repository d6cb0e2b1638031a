"""Actors and reference data of the archive tests: anonymous, a resident, staff of the library
without archive permissions, a cataloguer (catalogue only) and a publisher at the library, and a
cataloguer of another organisation."""

from dataclasses import dataclass

import pytest

from kurashi.core.models import Municipality, Organisation, User
from kurashi.core.services import load_municipalities
from kurashi.modules.archive.models import Collection
from kurashi.modules.archive.tests.factories import make_collection
from kurashi.testing.builders import make_member, make_organisation, make_user


@pytest.fixture
def municipalities(db: None) -> None:
    if not Municipality.objects.exists():
        load_municipalities()


@dataclass
class Library:
    organisation: Organisation
    other: Organisation
    collection: Collection
    other_collection: Collection
    resident: User
    plain_staff: User
    cataloguer: User
    publisher: User
    other_cataloguer: User


@pytest.fixture
def library(municipalities: None) -> Library:
    organisation = make_organisation(
        kind=Organisation.Kind.LIBRARY, municipality_code="412015", name_ja="県立図書館"
    )
    other = make_organisation(
        kind=Organisation.Kind.LIBRARY, municipality_code="412023", name_ja="市立図書館"
    )
    return Library(
        organisation=organisation,
        other=other,
        collection=make_collection(
            "library", organisation_id=organisation.pk, holder_ja="県立図書館"
        ),
        other_collection=make_collection("city", organisation_id=other.pk),
        resident=make_user(),
        plain_staff=make_member(organisation),
        cataloguer=make_member(organisation, "archive.catalogue_items"),
        publisher=make_member(organisation, "archive.catalogue_items", "archive.publish_items"),
        other_cataloguer=make_member(other, "archive.catalogue_items", "archive.publish_items"),
    )
