"""JSON API of the disaster module: jma."""

from ninja import Router

router = Router(tags=["disaster"])
