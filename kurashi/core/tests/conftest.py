"""Organisations and clients shared by the core tests (the actors come from kurashi/conftest.py)."""

import pytest
from django.core.cache import cache

from kurashi.core.models import Organisation, User
from kurashi.testing import make_organisation, make_user


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    """Indicator values and other cached figures never leak from one test into the next."""
    cache.clear()


@pytest.fixture
def saga_city(db: None) -> Organisation:
    return make_organisation(
        municipality_code="412015", slug="municipality-412015", name_ja="佐賀市"
    )


@pytest.fixture
def superuser(db: None) -> User:
    return make_user("root", is_superuser=True, is_staff=True)
