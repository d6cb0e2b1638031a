"""Emergency medical information for other modules and the portal.

open_case_from_text_call() — a 119 dispatcher opens an EMS case from a text-119 call (access).
"""

from kurashi.modules.ems.selectors import count_difficult_cases_this_month, count_fresh_statuses
from kurashi.modules.ems.services import open_case_from_text_call

__all__ = [
    "count_difficult_cases_this_month",
    "count_fresh_statuses",
    "open_case_from_text_call",
]
