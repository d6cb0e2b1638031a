"""The archive module's interface for other modules and the portal."""

from kurashi.modules.archive.normalise import normalise
from kurashi.modules.archive.selectors import (
    ItemCard,
    SearchResult,
    count_public_items,
    search,
)

__all__ = ["ItemCard", "SearchResult", "count_public_items", "normalise", "search"]
