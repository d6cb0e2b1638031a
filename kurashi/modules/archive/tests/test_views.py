"""Public pages (ja and en): browse, search with facets, collection, item (JSON-LD, OGP, viewer,
player with transcript minus closed segments), reading view, map GeoJSON; drafts stay hidden."""

import json

import pytest
from django.test import Client
from lxml import html as lxml_html

from kurashi.core.models import Municipality
from kurashi.modules.archive import services
from kurashi.modules.archive.demo import synthetic_tone
from kurashi.modules.archive.models import Item, Segment
from kurashi.modules.archive.tests.factories import make_collection, make_item
from kurashi.modules.archive.tests.test_hostile import small_png

VTT = (
    "WEBVTT\n\n00:00:00.000 --> 00:00:02.000\nはじまり\n\n00:00:02.000 --> 00:00:04.000\n秘密の舞\n"
)


@pytest.fixture
def performance(municipalities: None) -> Item:
    item = make_item(
        "面浮立",
        collection=make_collection("geino", title_ja="民俗芸能"),
        title_reading="めんぶりゅう",
        title_en="Menburyu",
        type=Item.Type.PERFORMANCE,
        municipality=Municipality.objects.get(code="412074"),
        latitude=33.1,
        longitude=130.1,
        preserving_group="保存会",
        event_name="秋祭り",
        subjects=["浮立"],
    )
    media = services.ingest_audio(
        data=synthetic_tone(seconds=4), mime_type="audio/wav", duration=4.0
    )
    use = services.attach_media(item=item, media=media, label="奉納")
    services.set_track(item_media=use, language="ja", label="標準語", vtt=VTT)
    services.set_segments(item=item, segments=[(2.0, 4.0, "奉納の舞", Segment.Restriction.CLOSED)])
    return item


@pytest.mark.django_db
def test_browse_search_collection_pages_render_in_both_languages(
    client: Client, performance: Item
) -> None:
    for prefix in ("", "/en"):
        for url in (
            "/archive/",
            "/archive/search/?q=ふりゅう",
            "/archive/search/?type=performance",
            "/archive/collections/geino/",
        ):
            response = client.get(prefix + url)
            assert response.status_code == 200, prefix + url
            assert "面浮立" in response.content.decode() or "Menburyu" in response.content.decode()
    page = client.get("/archive/search/?q=furyuu").content.decode()
    assert 'href="?q=furyuu&amp;type=performance"' in page  # a facet link
    assert "鹿島市" in page


@pytest.mark.django_db
def test_item_page_has_json_ld_ogp_player_and_transcript_without_closed_parts(
    client: Client, performance: Item
) -> None:
    response = client.get(f"/archive/items/{performance.pk}/")
    document = lxml_html.fromstring(response.content)
    data = json.loads(document.xpath('//script[@type="application/ld+json"]/text()')[0])
    assert data["@context"] == "https://schema.org"
    assert data["alternateName"] == {"@value": "めんぶりゅう", "@language": "ja-Hira"}
    assert data["spatialCoverage"]["geo"] == {
        "@type": "GeoCoordinates",
        "latitude": 33.1,
        "longitude": 130.1,
    }
    assert data["recordedAt"]["name"] == "秋祭り"
    assert data["transcript"] == "はじまり"
    assert document.xpath('//meta[@property="og:title"]/@content') == ["面浮立"]
    assert document.xpath('//meta[@property="og:url"]/@content')[0].endswith(
        f"/archive/items/{performance.pk}/"
    )
    assert document.xpath("//audio/track/@srclang") == ["ja"]
    transcript = " ".join(document.xpath('//section[@class="archive-transcript"]//li//text()'))
    assert "はじまり" in transcript
    assert "秘密の舞" not in transcript
    vtt = client.get(document.xpath("//audio/track/@src")[0]).content.decode()
    assert "はじまり" in vtt
    assert "秘密の舞" not in vtt
    assert response["Cache-Control"].startswith("public") or "public" in response["Cache-Control"]
    english = client.get(f"/en/archive/items/{performance.pk}/").content.decode()
    assert "<h1>Menburyu</h1>" in english


@pytest.mark.django_db
def test_drafts_embargoed_and_deleted_items_are_404(client: Client, municipalities: None) -> None:
    draft = make_item("下書き", publish=False)
    embargoed = make_item("未公開")
    services.embargo_item(actor=None, item=embargoed, until=__import__("datetime").date(2099, 1, 1))
    deleted = make_item("削除")
    services.delete_item(actor=None, item=deleted)
    for item in (draft, embargoed, deleted):
        assert client.get(f"/archive/items/{item.pk}/").status_code == 404
        assert client.get(f"/archive/items/{item.pk}/read/").status_code == 404
    page = client.get("/archive/search/?q=下書き").content.decode()
    assert 'class="archive-card"' not in page


@pytest.mark.django_db
def test_embargo_is_released_on_its_date(municipalities: None, time_machine: object) -> None:
    import datetime

    item = make_item("時限公開")
    services.embargo_item(actor=None, item=item, until=datetime.date(2030, 4, 1))
    assert services.release_embargoes(today=datetime.date(2030, 3, 31)) == 0
    assert services.release_embargoes(today=datetime.date(2030, 4, 1)) == 1
    item.refresh_from_db()
    assert item.is_public
    assert item.was_public


@pytest.mark.django_db
def test_map_geojson_lists_public_items_with_points(client: Client, performance: Item) -> None:
    make_item("点のない資料")
    data = client.get("/archive/map.geojson").json()
    assert [feature["properties"]["title"] for feature in data["features"]] == ["面浮立"]
    assert data["features"][0]["geometry"]["coordinates"] == [130.1, 33.1]


@pytest.mark.django_db
def test_search_page_query_count_is_bounded(
    client: Client, performance: Item, django_assert_max_num_queries: object
) -> None:
    for number in range(15):
        make_item(f"浮立の記録{number}", subjects=["浮立"])
    # fixed, whatever the number of hits: the snippets add 4 (texts, segments, tracks, holder
    # origins), PostgreSQL 3 (SAVEPOINT, SET LOCAL jit, RELEASE)
    with django_assert_max_num_queries(16):  # type: ignore[operator]
        assert client.get("/archive/search/?q=浮立").status_code == 200


@pytest.mark.django_db
def test_json_api_searches_with_readings_and_facets(client: Client, performance: Item) -> None:
    data = client.get("/api/v1/archive/search", {"q": "furyuu"}).json()
    assert data["total"] == 1
    assert data["items"][0]["title"] == "面浮立"
    assert data["items"][0]["url"].endswith(f"/archive/items/{performance.pk}/")
    assert data["facets"]["municipality"] == [{"value": "412074", "label": "鹿島市", "count": 1}]
    assert client.get("/api/v1/archive/search", {"q": "x" * 101}).status_code == 422
    assert client.get("/api/v1/archive/search", {"type": "performance"}).json()["total"] == 1


def test_card_thumbnails_are_paths_on_this_site_and_ogp_stays_absolute(
    client: Client, municipalities: None, settings: object
) -> None:
    settings.SITE_URL = "https://archive.example.jp"  # type: ignore[attr-defined]
    item = make_item("河童の絵", type=Item.Type.IMAGE)
    media = services.ingest_image(data=small_png((320, 200)))
    services.render_tiles(media_id=media.pk)
    services.attach_media(item=item, media=media, label="絵")
    for url in ("/archive/search/?q=河童", "/archive/"):
        sources = lxml_html.fromstring(client.get(url).content).xpath("//main//img/@src")
        assert sources, url
        assert all(src.startswith(f"/archive/iiif/{media.sha256}/full/") for src in sources), url
        assert client.get(sources[0]).status_code == 200
    page = lxml_html.fromstring(client.get(f"/archive/items/{item.pk}/").content)
    (ogp,) = page.xpath('//meta[@property="og:image"]/@content')
    assert ogp.startswith(f"https://archive.example.jp/archive/iiif/{media.sha256}/full/")


def test_archive_labels_keep_their_own_japanese_words() -> None:
    """Other modules translate the same English words otherwise (disaster: Title → 表題,
    Open → 開設, Status → 状況), and the first installed app's catalogue wins: the archive's
    labels carry the context "archive"."""
    from django.utils import translation

    from kurashi.modules.archive.forms import ItemForm

    with translation.override("ja"):
        assert str(Item._meta.get_field("title").verbose_name) == "タイトル"
        assert str(Item._meta.get_field("description").verbose_name) == "説明"
        assert str(Item._meta.get_field("status").verbose_name) == "状態"
        assert str(Item.Status.PUBLISHED.label) == "公開中"
        assert str(Segment.Restriction.OPEN.label) == "公開"
        labels = [
            str(ItemForm.base_fields[name].label) for name in ("title", "description", "event_name")
        ]
        assert labels == ["タイトル", "説明", "行事"]
    with translation.override("en"):
        assert str(Item.Status.PUBLISHED.label) == "Published"


@pytest.mark.django_db
def test_item_page_uses_the_archive_words(client: Client, municipalities: None) -> None:
    item = make_item(
        "面浮立", type=Item.Type.PERFORMANCE, event_name="秋祭り", date_text="昭和三年"
    )
    body = client.get(f"/archive/items/{item.pk}/").content.decode()
    assert "<dt>行事</dt>" in body
    assert "<dt>日付</dt>" in body
