"""JSON API of the access module, mounted at /api/v1/access/."""

from ninja import Router

router = Router(tags=["access"])
