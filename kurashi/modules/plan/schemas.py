from ninja import Schema


class TextOut(Schema):
    ja: str
    en: str


class DeliveryOut(Schema):
    module: str
    url: str


class IndicatorOut(Schema):
    key: str
    label: str
    value: int | float | str | None
    unit: str


class MeasureOut(Schema):
    id: str
    pillar_id: int
    title: TextOut
    department: TextOut | None
    description: TextOut
    status: str
    delivered_by: list[DeliveryOut]
    indicators: list[IndicatorOut]
    progress_note: TextOut | None
    url: str


class PillarOut(Schema):
    id: int
    title: TextOut
    aims: list[TextOut]
    measure_ids: list[str]


class ActorOut(Schema):
    key: str
    name: TextOut
    role: TextOut


class PlanOut(Schema):
    title: TextOut
    motto: TextOut
    period: TextOut
    actors: list[ActorOut]
    pillars: list[PillarOut]


class ErrorOut(Schema):
    detail: str
