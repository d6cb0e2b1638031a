"""Every page renders in Japanese and English for the actors who may see it; the demo loads."""

from datetime import timedelta

import pytest
from django.db.models import F
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kurashi.core.models import User
from kurashi.modules.access import services
from kurashi.modules.access.demo import load_demo
from kurashi.modules.access.models import Availability, Interpreter, Text119Profile
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import make_call, make_request


@pytest.mark.parametrize("prefix", ["", "/en"])
def test_pages_render_for_their_actors(world: World, prefix: str) -> None:
    call = make_call(world.resident)
    support_request = make_request(world.resident)
    session = services.start_caption_session(actor=world.captioner, title="講演")
    conversation = services.start_relay(resident=world.resident, counterpart_name="診療所")
    pages: list[tuple[User | None, str]] = [
        (None, reverse("access:home")),
        (None, reverse("access:captions")),
        (None, reverse("access:captions-viewer", kwargs={"slug": session.slug})),
        (None, reverse("access:videos")),
        (world.resident, reverse("access:text119")),
        (world.resident, reverse("access:text119-register")),
        (world.resident, reverse("access:text119-call", kwargs={"public_id": call.public_id})),
        (world.resident, reverse("access:requests")),
        (world.resident, reverse("access:request-new")),
        (
            world.resident,
            reverse("access:request", kwargs={"public_id": support_request.public_id}),
        ),
        (world.resident, reverse("access:relay")),
        (
            world.resident,
            reverse("access:relay-chat", kwargs={"public_id": conversation.public_id}),
        ),
        (world.dispatcher, reverse("access:console")),
        (world.dispatcher, reverse("access:console-call", kwargs={"public_id": call.public_id})),
        (world.coordinator, reverse("access:coordinate")),
        (world.coordinator, reverse("access:statistics")),
        (world.coordinator, reverse("access:video-upload")),
        (world.captioner, reverse("access:captions-type", kwargs={"slug": session.slug})),
        (world.operator, reverse("access:relay")),
    ]
    for user, path in pages:
        client = Client()
        if user is not None:
            client.force_login(user)
        url = prefix + path if not path.startswith("/en/") else path
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert f'<html lang="{"en" if prefix else "ja"}">' in html, url
        assert "<script>" not in html, url
        assert " onclick=" not in html, url


def test_home_offers_staff_links_only_to_staff(world: World) -> None:
    anonymous = Client().get(reverse("access:home")).content.decode()
    assert reverse("access:console") not in anonymous
    client = Client()
    client.force_login(world.dispatcher)
    assert reverse("access:console") in client.get(reverse("access:home")).content.decode()


def test_demo_loads_twice_without_duplicates(world: World) -> None:
    load_demo(lambda done, total: None)
    load_demo(lambda done, total: None)
    assert Interpreter.objects.count() == 5
    assert Text119Profile.objects.filter(user__username="resident").count() == 1


def test_demo_interpreters_work_daytime_in_saga_and_old_night_windows_are_repaired(
    world: World,
) -> None:
    """Issue 18 point 6: the loader took midnight in UTC, so the demo interpreters were
    available 17:00–03:00 JST and no daytime request found anyone."""
    load_demo(lambda done, total: None)
    windows = {
        (timezone.localtime(a.starts_at).hour, timezone.localtime(a.ends_at).hour)
        for a in Availability.objects.all()
    }
    assert windows == {(8, 18)}
    # A database loaded by the old loader (windows from 17:00 JST) is repaired on the next load.
    Availability.objects.update(
        starts_at=F("starts_at") + timedelta(hours=9), ends_at=F("ends_at") + timedelta(hours=9)
    )
    load_demo(lambda done, total: None)
    assert {
        (timezone.localtime(a.starts_at).hour, timezone.localtime(a.ends_at).hour)
        for a in Availability.objects.all()
    } == {(8, 18)}
    assert Availability.objects.count() == 5 * 60
