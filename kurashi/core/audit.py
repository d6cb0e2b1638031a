"""Writing the append-only audit log. Services call record_audit(); nothing else writes it."""

from typing import Any

from django.db import models
from django.http import HttpRequest

from kurashi.core.models import AuditEvent, User


def client_address(request: HttpRequest | None) -> str | None:
    if request is None:
        return None
    return getattr(request, "client_address", None) or request.META.get("REMOTE_ADDR") or None


def record_audit(
    *,
    actor: User | Any | None,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str | int = "",
    object_label: str = "",
    organisation_id: int | None = None,
    municipality_code: str = "",
    request: HttpRequest | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEvent:
    """Append one audit event: who (actor), what (action), on which object, where from (IP)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_label = object_label or str(obj)[:200]
    user = actor if actor is not None and getattr(actor, "is_authenticated", False) else None
    return AuditEvent.objects.create(
        actor=user,
        actor_label=(user.get_username() if user else "anonymous")[:150],
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        object_label=object_label[:200],
        organisation_id=organisation_id,
        municipality_code=municipality_code,
        ip_address=client_address(request),
        detail=detail or {},
    )
