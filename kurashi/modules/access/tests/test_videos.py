"""Sign-language video notices: the file is checked for what it really is (container, codecs,
size, length, a picture that decodes), and a second publisher reviews it before it is public
(issue 15 point 5 / issue 18 point 9: an HTML file named .mp4 and 50 MB of random bytes were
accepted and public at once)."""

import os
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from kurashi.core.models import User
from kurashi.modules.access.models import VideoNotice
from kurashi.modules.access.tests.conftest import World
from kurashi.modules.access.tests.factories import make_video
from kurashi.testing.builders import make_member

VTT = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\n避難所が開設されました。\n".encode()


@pytest.fixture(autouse=True)
def media_root(tmp_path: Path) -> Any:
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


@pytest.fixture
def reviewer(world: World) -> User:
    return make_member(world.centre, "access.publish_videos")


def logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def upload(client: Client, video: bytes, *, name: str = "notice.mp4", captions: bytes = VTT) -> Any:
    return client.post(
        reverse("access:video-upload"),
        {
            "title": "避難所開設のお知らせ",
            "text": "佐賀市は市民会館に避難所を開設しました。",
            "video": SimpleUploadedFile(name, video, content_type="video/mp4"),
            "captions": SimpleUploadedFile("notice.vtt", captions, content_type="text/vtt"),
        },
    )


@pytest.mark.parametrize("container", ["mp4", "webm"])
def test_a_real_video_waits_for_review_then_is_public_with_captions(
    world: World, reviewer: User, container: str
) -> None:
    response = upload(logged_in(world.coordinator), make_video(container), name=f"n.{container}")
    notice = VideoNotice.objects.get()
    assert response["Location"] == reverse("access:video", kwargs={"pk": notice.pk})
    assert (notice.state, notice.container, notice.width, notice.height) == (
        "pending",
        container,
        64,
        48,
    )
    assert notice.video_codec == {"mp4": "h264", "webm": "vp9"}[container]
    # Not public before the review: page, video and captions are 404 for everyone else.
    detail = reverse("access:video", kwargs={"pk": notice.pk})
    video_url = reverse("access:video-file", kwargs={"pk": notice.pk, "part": "video"})
    for client in (logged_in(None), logged_in(world.resident)):
        assert client.get(detail).status_code == 404
        assert client.get(video_url).status_code == 404
    assert "避難所開設" not in logged_in(None).get(reverse("access:videos")).content.decode()
    preview = logged_in(reviewer).get(video_url)
    assert preview.status_code == 200
    assert preview["Cache-Control"] == "private, no-store"

    # The uploader may not approve their own upload; another publisher does.
    own = logged_in(world.coordinator).post(
        reverse("access:video-review", kwargs={"pk": notice.pk}), {"decision": "publish"}
    )
    assert own.status_code == 302
    notice.refresh_from_db()
    assert notice.state == "pending"
    logged_in(reviewer).post(
        reverse("access:video-review", kwargs={"pk": notice.pk}), {"decision": "publish"}
    )
    notice.refresh_from_db()
    assert (notice.state, notice.reviewed_by) == ("published", reviewer)

    page = logged_in(None).get(detail).content.decode()
    assert "<video" in page
    assert '<track kind="captions" srclang="ja"' in page
    assert f'type="video/{container}"' in page
    captions = logged_in(None).get(
        reverse("access:video-file", kwargs={"pk": notice.pk, "part": "captions"})
    )
    assert captions["Content-Type"] == "text/vtt; charset=utf-8"
    assert b"".join(captions.streaming_content).startswith(b"WEBVTT")  # type: ignore[attr-defined]
    public = logged_in(None).get(video_url)
    assert public["Cache-Control"] == "public, max-age=3600"
    assert public["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("notice.mp4", b"<!doctype html><script>alert(1)</script>", "ブラウザで再生できる動画"),
        ("notice.mp4", os.urandom(50 * 1024 * 1024), "ブラウザで再生できる動画"),
        ("notice.mp4", make_video("webm"), "ブラウザで再生できる動画"),  # a WebM named .mp4
        ("notice.mp4", make_video("mp4", codec="mpeg4"), "MPEG4"),  # browsers do not play it
        ("notice.exe", make_video("mp4"), "MP4またはWebM"),
    ],
    ids=["html", "random-50MB", "webm-as-mp4", "mpeg4-codec", "exe"],
)
def test_what_is_not_a_playable_video_is_refused_and_nothing_stored(
    world: World, media_root: Path, name: str, content: bytes, message: str
) -> None:
    response = upload(logged_in(world.coordinator), content, name=name)
    assert response.status_code == 400
    assert message in response.content.decode()
    assert not VideoNotice.objects.exists()
    assert not any(media_root.rglob("*.*"))


def test_size_and_length_are_capped(world: World) -> None:
    with override_settings(ACCESS_VIDEO_MAX_BYTES=1000):
        response = upload(logged_in(world.coordinator), make_video("mp4", seconds=3))
        assert "大きすぎます" in response.content.decode()
    with override_settings(ACCESS_VIDEO_MAX_SECONDS=2):
        response = upload(logged_in(world.coordinator), make_video("mp4", seconds=3))
        assert "長すぎます" in response.content.decode()
    assert not VideoNotice.objects.exists()


def test_captions_must_be_webvtt_and_only_publishers_upload_or_review(
    world: World, reviewer: User
) -> None:
    response = upload(
        logged_in(world.coordinator),
        make_video("mp4"),
        captions=b"1\n00:00:00,000 --> 00:00:01,000\nSRT\n",
    )
    assert "WebVTT" in response.content.decode()
    assert upload(logged_in(world.resident), make_video("mp4")).status_code == 403
    assert not VideoNotice.objects.exists()
    upload(logged_in(world.coordinator), make_video("mp4"))
    notice = VideoNotice.objects.get()
    review = reverse("access:video-review", kwargs={"pk": notice.pk})
    assert logged_in(world.resident).post(review, {"decision": "publish"}).status_code == 403
    # Rejecting needs a reason for the uploader, who is told.
    logged_in(reviewer).post(review, {"decision": "reject"})
    notice.refresh_from_db()
    assert notice.state == "pending"
    logged_in(reviewer).post(review, {"decision": "reject", "note": "字幕と手話がずれています"})
    notice.refresh_from_db()
    assert (notice.state, notice.review_note) == ("rejected", "字幕と手話がずれています")
    assert world.coordinator.access_notifications.filter(
        body__contains="字幕と手話がずれています"
    ).exists()
