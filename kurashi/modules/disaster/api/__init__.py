"""The disaster module's JSON API: one django-ninja Router, with one sub-router per area."""

from ninja import Router

router = Router(tags=["disaster"])
