from kurashi.modules.forms.services import (
    backoffice,
    builder,
    cases,
    documents,
    filling,
    messages,
    sme,
)

__all__ = ["backoffice", "builder", "cases", "documents", "filling", "messages", "sme"]
