"""JSON API of the disaster module: reports."""

from ninja import Router

router = Router(tags=["disaster"])
