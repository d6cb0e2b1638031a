"""JSON API of the disaster module: evacuation."""

from ninja import Router

router = Router(tags=["disaster"])
