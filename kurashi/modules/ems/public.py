"""Emergency medical information for other modules and the portal.

open_case_from_text_call() — a 119 dispatcher opens an EMS case from a text-119 call (access),
with a CallerHandover (place, position source, how to communicate, consented medical notes) that
the crew's case panel and the receiving hospital show.
"""

from kurashi.modules.ems.selectors import count_difficult_cases_this_month, count_fresh_statuses
from kurashi.modules.ems.services import CallerHandover, open_case_from_text_call

__all__ = [
    "CallerHandover",
    "count_difficult_cases_this_month",
    "count_fresh_statuses",
    "open_case_from_text_call",
]
