"""Run a test against exactly the hook entries it names, whatever other modules registered."""

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from kurashi.core.hooks import Registry


@contextmanager
def only(registry: Registry[Any], *items: Any) -> Iterator[None]:
    """Empty `registry`, register `items`, and restore the original entries afterwards."""
    with registry.temporarily():
        for entry in registry.items():
            registry.unregister(entry.key)
        for item in items:
            registry.register(item)
        yield
