import pytest

from kurashi.modules.disaster.jma.areas import saga_resolver


@pytest.fixture(autouse=True)
def _fresh_resolver() -> None:
    """The CSV-backed resolver is cached per process; start every test from the file."""
    saga_resolver.cache_clear()
