"""Actors of the evacuation tests: drafters and approvers of 佐賀市, staff of 唐津市, the
prefecture's 消防防災課 (covers the whole prefecture), staff without the permissions, a resident."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.cache import cache

from kurashi.core.models import Organisation, User
from kurashi.modules.disaster.models import EvacuationOrder
from kurashi.modules.disaster.services import evacuation as services
from kurashi.testing import make_member, make_organisation, make_user

DRAFT = "disaster.draft_evacuation_order"
APPROVE = "disaster.approve_evacuation_order"
EXPORT = "disaster.export_lalert"
SAGA = "412015"
KARATSU = "412023"
# A small square well inside 佐賀市 (around the city hall), [lon, lat].
SAGA_SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[130.29, 33.25], [130.31, 33.25], [130.31, 33.27], [130.29, 33.27], [130.29, 33.25]]
    ],
}
# The same square moved onto 唐津市.
KARATSU_SQUARE = {
    "type": "Polygon",
    "coordinates": [
        [[129.96, 33.44], [129.98, 33.44], [129.98, 33.46], [129.96, 33.46], [129.96, 33.44]]
    ],
}


@pytest.fixture(autouse=True)
def _empty_cache() -> None:
    cache.clear()


@pytest.fixture
def saga_city(db: None) -> Organisation:
    return make_organisation(municipality_code=SAGA, slug="municipality-412015", name_ja="佐賀市")


@pytest.fixture
def karatsu_city(db: None) -> Organisation:
    return make_organisation(
        municipality_code=KARATSU, slug="municipality-412023", name_ja="唐津市"
    )


@pytest.fixture
def prefecture(db: None) -> Organisation:
    return make_organisation(
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        municipality_code=None,
        slug="pref-fire-and-disaster-prevention-division",
        name_ja="消防防災課",
        covers_whole_prefecture=True,
    )


@pytest.fixture
def drafter(saga_city: Organisation) -> User:
    return make_member(saga_city, DRAFT, user=make_user("saga-drafter"))


@pytest.fixture
def approver(saga_city: Organisation) -> User:
    return make_member(saga_city, DRAFT, APPROVE, EXPORT, user=make_user("saga-approver"))


@pytest.fixture
def second_approver(saga_city: Organisation) -> User:
    return make_member(saga_city, APPROVE, user=make_user("saga-approver-2"))


@pytest.fixture
def prefecture_approver(prefecture: Organisation) -> User:
    return make_member(prefecture, APPROVE, user=make_user("pref-approver"))


@pytest.fixture
def karatsu_approver(karatsu_city: Organisation) -> User:
    """Staff of another municipality holding both permissions there."""
    return make_member(karatsu_city, DRAFT, APPROVE, EXPORT, user=make_user("karatsu-staff"))


@pytest.fixture
def staff_without(saga_city: Organisation) -> User:
    """Staff of 佐賀市 without any evacuation permission."""
    return make_member(saga_city, user=make_user("saga-clerk"))


def content(**overrides: Any) -> services.OrderContent:
    values: dict[str, Any] = {
        "municipality_code": SAGA,
        "level": 4,
        "hazard": "heavy_rain",
        "is_whole_municipality": True,
        "message_ja": "佐賀市は、市内全域に避難指示を発令しました。",
        "message_easy_ja": "みんな にげて ください。",
        "message_en": "Saga City has issued an evacuation order.",
    }
    values.update(overrides)
    return services.OrderContent(**values)


OrderMaker = Callable[..., EvacuationOrder]


@pytest.fixture
def make_order(drafter: User) -> OrderMaker:
    """make_order(state="pending", replaces=…, by=user, **content fields)."""

    def make(
        *,
        state: str = "draft",
        by: User | None = None,
        replaces: EvacuationOrder | None = None,
        approved_by: User | None = None,
        **fields: Any,
    ) -> EvacuationOrder:
        author = by or drafter
        order = services.draft_evacuation_order(
            actor=author, content=content(**fields), replaces=replaces
        )
        if state in ("pending", "published", "rejected"):
            order = services.submit_evacuation_order(actor=author, order=order)
        if state == "published":
            if approved_by is None:
                raise ValueError("publishing needs approved_by")
            services.approve_evacuation_order(actor=approved_by, order=order)
            order.refresh_from_db()
        if state == "rejected":
            if approved_by is None:
                raise ValueError("rejecting needs approved_by")
            order = services.reject_evacuation_order(
                actor=approved_by, order=order, reason="地区名を確認してください。"
            )
        return order

    return make
