from collections.abc import Iterator

import pytest
from django.core.cache import cache

from kurashi.core import hooks
from kurashi.core.tests.registries import only


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def portal_only() -> Iterator[None]:
    """The home page with the portal's and the plan's own contributions only: no module cards,
    deliveries or indicators (they are tested where they are registered)."""
    with only(hooks.dashboard_cards), only(hooks.plan_deliveries), only(hooks.plan_indicators):
        yield
