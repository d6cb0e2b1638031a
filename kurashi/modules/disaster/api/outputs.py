"""JSON API of the disaster module: outputs."""

from ninja import Router

router = Router(tags=["disaster"])
