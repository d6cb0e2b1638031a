"""The hospital screen in the field (issue 18): the request card's labels, the sticky alert that
waits for an acknowledgement, and the devices that receive Web Push."""

from django.test import Client
from django.urls import reverse

from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_inquiry


def _screen(world: World) -> str:
    client = Client()
    client.force_login(world.near_staff)
    return client.get(reverse("ems:hospital", args=["near"])).content.decode()


def test_request_card_says_who_asks_not_a_start_date(world: World) -> None:
    """ "From" on the card is the sender (依頼元); the KPI filter's "From" is a date (開始日)."""
    make_inquiry(make_case(world.hq), world.near)
    page = _screen(world)
    card = page[page.index('class="request-card"') :]
    assert "<dt>依頼元</dt><dd>佐賀広域消防局" in card
    assert "開始日" not in card
