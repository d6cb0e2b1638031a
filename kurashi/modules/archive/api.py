"""JSON API of the archive module, mounted at /api/v1/archive/."""

from ninja import Router

router = Router(tags=["archive"])
