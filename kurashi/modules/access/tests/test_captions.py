"""Live captions: a team taking turns, corrections, views, transcripts (WebVTT and text)."""

import json
from datetime import timedelta

import pytest
import time_machine
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from kurashi.modules.access import selectors, services
from kurashi.modules.access.models import CaptionSession
from kurashi.modules.access.tests.conftest import World
from kurashi.testing.builders import make_user


def test_team_takes_turns_and_only_the_active_captioner_types(world: World) -> None:
    session = services.start_caption_session(
        actor=world.captioner, title="講演会", team=[world.second_captioner]
    )
    services.post_caption(actor=world.captioner, session=session, text="一行目")
    with pytest.raises(ValidationError):
        services.post_caption(actor=world.second_captioner, session=session, text="割り込み")
    services.take_caption_turn(actor=world.second_captioner, session=session)
    services.post_caption(actor=world.second_captioner, session=session, text="二行目")
    session.refresh_from_db()
    with pytest.raises(ValidationError):
        services.post_caption(actor=world.captioner, session=session, text="前の担当")
    assert [line.text for line in selectors.caption_lines(session)] == ["一行目", "二行目"]
    outsider = make_user()
    with pytest.raises(PermissionDenied):
        services.take_caption_turn(actor=outsider, session=session)
    with pytest.raises(PermissionDenied):
        services.start_caption_session(actor=world.resident, title="x")


def test_corrections_replace_the_line_in_the_transcript(world: World) -> None:
    session = services.start_caption_session(actor=world.captioner, title="講演会")
    first = services.post_caption(actor=world.captioner, session=session, text="さがけん")
    services.post_caption(actor=world.captioner, session=session, text="にようこそ")
    services.correct_caption(
        actor=world.captioner, session=session, target_seq=first.seq, text="佐賀県"
    )
    lines = selectors.caption_lines(session)
    assert [(line.text, line.is_corrected) for line in lines] == [
        ("佐賀県", True),
        ("にようこそ", False),
    ]
    with pytest.raises(ValidationError):
        services.correct_caption(actor=world.captioner, session=session, target_seq=99, text="x")


def test_webvtt_transcript_has_cues_relative_to_the_start(world: World) -> None:
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False) as clock:
        session = services.start_caption_session(actor=world.captioner, title="講演会")
        clock.move_to(start + timedelta(seconds=2))
        services.post_caption(actor=world.captioner, session=session, text="こんにちは")
        clock.move_to(start + timedelta(seconds=5, milliseconds=500))
        services.post_caption(actor=world.captioner, session=session, text="はじめます --> 今から")
    vtt = selectors.transcript_webvtt(CaptionSession.objects.get(pk=session.pk))
    assert vtt.startswith("WEBVTT\n")
    assert "1\n00:00:02.000 --> 00:00:05.500\nこんにちは\n" in vtt
    assert "2\n00:00:05.500 --> 00:00:09.500\nはじめます → 今から\n" in vtt
    text = selectors.transcript_text(session)
    assert "こんにちは" in text
    assert text.count("\n[") == 2


def test_ended_session_accepts_no_more_lines(world: World) -> None:
    session = services.start_caption_session(actor=world.captioner, title="講演会")
    services.end_caption_session(actor=world.captioner, session=session)
    with pytest.raises(ValidationError):
        services.post_caption(actor=world.captioner, session=session, text="遅れて")
    assert selectors.caption_lines(session) == []


def test_captioner_pages_and_viewer_views(world: World) -> None:
    client = Client()
    client.force_login(world.captioner)
    response = client.post(
        reverse("access:captions"), {"title": "市民講座", "venue": "佐賀市民会館"}
    )
    session = CaptionSession.objects.get()
    assert response["Location"] == reverse("access:captions-type", kwargs={"slug": session.slug})
    assert client.get(response["Location"]).status_code == 200
    posted = client.post(
        reverse("access:captions-post", kwargs={"slug": session.slug}),
        {"body": "始めます", "client_key": "c1"},
        headers={"X-Requested-With": "fetch"},
    )
    assert json.loads(posted.content) == {"ok": True, "seq": 1}
    viewer = Client()
    for view, marker in (
        ("standard", "captions--standard"),
        ("large", "captions--large"),
        ("contrast", "captions--contrast"),
    ):
        page = viewer.get(
            reverse("access:captions-viewer", kwargs={"slug": session.slug}), {"view": view}
        ).content.decode()
        assert marker in page
        assert "始めます" in page
    vtt = viewer.get(
        reverse("access:captions-transcript", kwargs={"slug": session.slug, "fmt": "vtt"})
    )
    assert vtt["Content-Type"] == "text/vtt; charset=utf-8"
    outsider = Client()
    outsider.force_login(world.resident)
    assert (
        outsider.get(reverse("access:captions-type", kwargs={"slug": session.slug})).status_code
        == 403
    )
    refused = outsider.post(
        reverse("access:captions-post", kwargs={"slug": session.slug}), {"body": "x"}
    )
    assert refused.status_code == 403
    assert len(selectors.caption_lines(session)) == 1


def test_api_returns_the_corrected_lines(world: World) -> None:
    session = services.start_caption_session(actor=world.captioner, title="講演会")
    first = services.post_caption(actor=world.captioner, session=session, text="さがけん")
    services.correct_caption(
        actor=world.captioner, session=session, target_seq=first.seq, text="佐賀県"
    )
    body = Client().get(f"/api/v1/access/captions/{session.slug}/").json()
    assert body["title"] == "講演会"
    assert [(line["seq"], line["text"], line["is_corrected"]) for line in body["lines"]] == [
        (1, "佐賀県", True)
    ]
    assert Client().get("/api/v1/access/captions/nope/").status_code == 404
