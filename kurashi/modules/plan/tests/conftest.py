"""The responsible department of measure 1.1, and the plan's hooks without other modules' entries."""

from collections.abc import Iterator

import pytest
from django.core.cache import cache

from kurashi.core import hooks
from kurashi.core.models import Organisation
from kurashi.core.tests.registries import only
from kurashi.testing import make_organisation


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def plan_hooks() -> Iterator[None]:
    """No module delivers any measure and no indicator is registered, whatever is installed."""
    with only(hooks.plan_deliveries), only(hooks.plan_indicators):
        yield


@pytest.fixture
def fire_and_disaster_prevention(db: None) -> Organisation:
    """消防防災課, the prefectural department responsible for measure 1.1."""
    return make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        slug="pref-fire-and-disaster-prevention-division",
        name_ja="消防防災課",
        covers_whole_prefecture=True,
    )


@pytest.fixture
def information_division(db: None) -> Organisation:
    """情報課, responsible for measures 4.1, 4.3–4.5, 5.2 and 5.3."""
    return make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        slug="pref-information-division",
        name_ja="情報課",
        covers_whole_prefecture=True,
    )
