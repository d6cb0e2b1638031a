"""Emergency medical information for other modules and the portal."""

from kurashi.modules.ems.selectors import count_difficult_cases_this_month, count_fresh_statuses

__all__ = ["count_difficult_cases_this_month", "count_fresh_statuses"]
