"""Fixtures for every test: the municipalities, and the four actors of every permission test."""

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.conf import settings
from django.utils import translation

from kurashi.core.models import Municipality, Organisation, User
from kurashi.core.services import load_municipalities
from kurashi.testing.builders import make_member, make_organisation, make_user


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):  # type: ignore[no-untyped-def]
    """Load the 20 municipalities once per test database: they are reference data every module needs."""
    with django_db_blocker.unblock():
        load_municipalities()


@pytest.fixture(autouse=True)
def _default_language() -> Iterator[None]:
    """Every test starts in Japanese, the default: a request to an /en/ page activates English in
    the thread and would otherwise leak into the next test's reverse() and gettext."""
    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def municipalities(db: None) -> list[Municipality]:
    return list(Municipality.objects.order_by("code"))


@pytest.fixture
def karatsu(db: None) -> Organisation:
    return make_organisation(
        municipality_code="412023", slug="municipality-412023", name_ja="唐津市"
    )


@pytest.fixture
def resident(db: None) -> User:
    """A resident: an account with no membership."""
    return make_user("resident")


@pytest.fixture
def member_factory(db: None) -> Callable[..., User]:
    return make_member


@pytest.fixture
def _reload_reference_data(django_db_blocker: Any) -> Iterator[None]:
    """Set up before transactional_db, so torn down after its flush: the flush empties every
    table, and every other test relies on the 20 municipalities."""
    yield
    with django_db_blocker.unblock():
        load_municipalities()


@pytest.fixture
def committed_db(_reload_reference_data: None, transactional_db: None) -> None:
    """Rows really committed, for tests where another thread or process must see them (the
    live-event listener, a second process); the municipalities are reloaded afterwards."""
