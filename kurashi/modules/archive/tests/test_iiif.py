"""IIIF: level-0 tiles rendered by the task, info.json, tiles served for public items only, and
Presentation 3.0 manifests validated with the iiif-prezi3 models plus the rights rule."""

import json
from pathlib import Path

import pytest
from django.test import Client
from iiif_prezi3 import Manifest
from PIL import Image

from kurashi.modules.archive import imaging, services
from kurashi.modules.archive.models import Item, MediaFile
from kurashi.modules.archive.rights import Rights
from kurashi.modules.archive.selectors import DATA_DIR
from kurashi.modules.archive.tests.factories import make_item

COFFEE = DATA_DIR / "images" / "coffee.png"  # 600×400, CC0 (scikit-image)
ALLOWED_RIGHTS_PREFIXES = ("http://creativecommons.org/", "http://rightsstatements.org/vocab/")


@pytest.fixture
def media_root(settings: object, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    return tmp_path


def test_tile_geometry_covers_the_image_at_every_scale() -> None:
    assert imaging.scale_factors(600, 400, 256) == [1, 2, 4]
    assert imaging.sizes(600, 400, 256) == [(150, 100), (300, 200), (600, 400)]
    tiles = imaging.tile_paths(600, 400, 256)
    full_scale = [region for region, _size in tiles if _size[0] == region[2]]
    assert sum(w * h for _x, _y, w, h in full_scale) == 600 * 400
    assert ((512, 256, 88, 144), (88, 144)) in tiles


@pytest.mark.django_db
def test_image_is_stored_once_tiled_by_the_task_and_served(
    client: Client, media_root: Path, django_capture_on_commit_callbacks: object
) -> None:
    data = COFFEE.read_bytes()
    with django_capture_on_commit_callbacks(execute=True):  # type: ignore[operator]
        media = services.ingest_image(data=data, filename="coffee.png")
    assert services.ingest_image(data=data, filename="again.png").pk == media.pk
    assert MediaFile.objects.count() == 1
    media.refresh_from_db()
    assert media.tiles_ready
    assert (media.width, media.height) == (600, 400)
    item = make_item(
        "珈琲", type=Item.Type.IMAGE, title_en="Coffee", rights=Rights.PDL, date_text="明治十年"
    )
    services.attach_media(item=item, media=media, label="表紙")

    info = client.get(f"/archive/iiif/{media.sha256}/info.json")
    assert info.status_code == 200
    assert info["Access-Control-Allow-Origin"] == "*"
    body = info.json()
    assert body["type"] == "ImageService3"
    assert body["profile"] == "level0"
    assert body["tiles"] == [{"width": 512, "height": 512, "scaleFactors": [1, 2]}]
    for width, height in ((w["width"], w["height"]) for w in body["sizes"]):
        tile = client.get(f"/archive/iiif/{media.sha256}/full/{width},{height}/0/default.jpg")
        assert tile.status_code == 200
        with Image.open(__import__("io").BytesIO(b"".join(tile.streaming_content))) as image:  # type: ignore[attr-defined]
            assert image.size == (width, height)
    assert (
        client.get(f"/archive/iiif/{media.sha256}/512,0,88,400/88,400/0/default.jpg").status_code
        == 200
    )
    assert (
        client.get(f"/archive/iiif/{media.sha256}/512,0,88,400/88,/0/default.jpg").status_code
        == 200
    )
    assert client.get(f"/archive/iiif/{media.sha256}/full/max/0/default.jpg").status_code == 200
    assert client.get(f"/archive/iiif/{media.sha256}/full/max/90/default.jpg").status_code == 404
    assert (
        client.get(f"/archive/iiif/{media.sha256}/..%2F..%2Fx/max/0/default.jpg").status_code == 404
    )

    response = client.get(f"/archive/items/{item.pk}/manifest.json")
    assert response.status_code == 200
    data = json.loads(response.content)
    manifest = Manifest(**data)  # iiif-prezi3: the Presentation 3.0 model accepts it
    assert manifest.type == "Manifest"
    assert data["@context"] == "http://iiif.io/api/presentation/3/context.json"
    assert data["label"] == {"ja": ["珈琲"], "en": ["Coffee"]}
    assert (
        data["rights"] == "http://creativecommons.org/licenses/by/4.0/"
    )  # 公共データ利用規約 → CC BY
    assert data["rights"].startswith(ALLOWED_RIGHTS_PREFIXES)
    assert "公共データ利用規約" in data["requiredStatement"]["value"]["ja"][0]
    assert data["navDate"] == "1877-01-01T00:00:00Z"
    canvas = data["items"][0]
    assert (canvas["width"], canvas["height"]) == (600, 400)
    annotation = canvas["items"][0]["items"][0]
    assert annotation["motivation"] == "painting"
    assert annotation["body"]["service"][0]["id"].endswith(f"/archive/iiif/{media.sha256}")
    assert all(set(pair["label"]) == {"ja", "en"} for pair in data["metadata"])


@pytest.mark.django_db
def test_draft_media_and_manifests_are_not_served(client: Client, media_root: Path) -> None:
    media = services.ingest_image(data=COFFEE.read_bytes())
    services.render_tiles(media_id=media.pk)
    draft = make_item("下書き", type=Item.Type.IMAGE, publish=False)
    services.attach_media(item=draft, media=media)
    assert client.get(f"/archive/iiif/{media.sha256}/info.json").status_code == 404
    assert client.get(f"/archive/items/{draft.pk}/manifest.json").status_code == 404
    text_only = make_item("本文だけ")
    assert client.get(f"/archive/items/{text_only.pk}/manifest.json").status_code == 404


@pytest.mark.django_db
def test_av_manifest_has_duration_and_supplementing_webvtt(
    client: Client, media_root: Path
) -> None:
    from kurashi.modules.archive.demo import synthetic_tone

    item = make_item("語り", type=Item.Type.AUDIO, rights=Rights.CC0)
    media = services.ingest_audio(
        data=synthetic_tone(seconds=2), mime_type="audio/wav", duration=2.0
    )
    use = services.attach_media(item=item, media=media)
    services.set_track(
        item_media=use,
        language="ja",
        label="標準語",
        vtt="WEBVTT\n\n00:00:00.000 --> 00:00:01.500\nむかしむかし\n",
    )
    data = client.get(f"/archive/items/{item.pk}/manifest.json").json()
    Manifest(**data)
    canvas = data["items"][0]
    assert canvas["duration"] == 2.0
    assert canvas["items"][0]["items"][0]["body"]["type"] == "Sound"
    caption = canvas["annotations"][0]["items"][0]
    assert caption["motivation"] == "supplementing"
    assert caption["body"]["format"] == "text/vtt"
    assert caption["body"]["language"] == "ja"
