"""The records module's interface for other modules and the portal."""

from kurashi.modules.records.selectors import count_linked_persons

__all__ = ["count_linked_persons"]
