"""Sign-language video notices: upload with WebVTT captions, <video> with <track>, text."""

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse

from kurashi.modules.access.models import VideoNotice
from kurashi.modules.access.tests.conftest import World

VTT = "WEBVTT\n\n1\n00:00:00.000 --> 00:00:03.000\n避難所が開設されました。\n".encode()


def upload(client: Client, *, captions: bytes = VTT, name: str = "notice.mp4") -> object:
    return client.post(
        reverse("access:video-upload"),
        {
            "title": "避難所開設のお知らせ",
            "text": "佐賀市は市民会館に避難所を開設しました。",
            "video": SimpleUploadedFile(
                name, b"\x00\x00\x00\x18ftypmp42", content_type="video/mp4"
            ),
            "captions": SimpleUploadedFile("notice.vtt", captions, content_type="text/vtt"),
        },
    )


def test_centre_publishes_a_captioned_video_notice(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with override_settings(MEDIA_ROOT=tmp_path):
        client = Client()
        client.force_login(world.coordinator)
        response = upload(client)
        notice = VideoNotice.objects.get()
        assert response["Location"] == reverse("access:video", kwargs={"pk": notice.pk})
        page = Client().get(response["Location"]).content.decode()
        assert "<video" in page
        assert '<track kind="captions" srclang="ja"' in page
        assert "佐賀市は市民会館に避難所を開設しました。" in page
        captions = Client().get(
            reverse("access:video-file", kwargs={"pk": notice.pk, "part": "captions"})
        )
        assert captions["Content-Type"] == "text/vtt; charset=utf-8"
        assert b"".join(captions.streaming_content).startswith(b"WEBVTT")  # type: ignore[attr-defined]


def test_captions_must_be_webvtt_and_only_the_centre_publishes(world: World, tmp_path) -> None:  # type: ignore[no-untyped-def]
    with override_settings(MEDIA_ROOT=tmp_path):
        client = Client()
        client.force_login(world.coordinator)
        response = upload(client, captions=b"1\n00:00:00,000 --> 00:00:01,000\nSRT\n")
        assert "WebVTT" in response.content.decode()
        response = upload(client, name="notice.exe")
        assert "MP4" in response.content.decode()
        resident = Client()
        resident.force_login(world.resident)
        assert upload(resident).status_code == 403  # type: ignore[attr-defined]
        assert not VideoNotice.objects.exists()
