"""The access module's interface for other modules and the portal.

count_requests_this_month() — interpreter/captioner requests whose support starts this month.
"""

from kurashi.modules.access.selectors import count_requests_this_month

__all__ = ["count_requests_this_month"]
