"""Schemas of the access JSON API."""

from datetime import datetime

from ninja import Schema


class CaptionLineOut(Schema):
    seq: int
    at: datetime
    text: str
    is_corrected: bool


class CaptionSessionOut(Schema):
    slug: str
    title: str
    state: str
    lines: list[CaptionLineOut]


class StatisticsRowOut(Schema):
    municipality_code: str
    municipality_name: str
    mode: str
    requests: int
    confirmed: int
    cancelled: int
    hours: float
