"""JSON API of the disaster module: shelters."""

from ninja import Router

router = Router(tags=["disaster"])
