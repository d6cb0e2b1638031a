"""Staff: cataloguing with validation (ja/en), image upload, publish/embargo/withdraw/delete,
bulk edit, permissions for the four actors, and the audit trail."""

import io
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone
from PIL import Image

from kurashi.core.models import AuditEvent
from kurashi.modules.archive.models import Item, MediaFile
from kurashi.modules.archive.tests.conftest import Library
from kurashi.modules.archive.tests.factories import make_item
from kurashi.modules.archive.tests.test_hostile import png_header_only


def form_data(library: Library, **overrides: Any) -> dict[str, Any]:
    return {
        "collection": library.collection.pk,
        "title": "佐賀の河童",
        "title_reading": "さがのかっぱ",
        "type": "text",
        "language": "ja",
        "rights": "cc-by",
        "date_text": "明治十年",
        "subjects": "河童\n民話",
        "metadata_cc0": "on",
        **overrides,
    }


def login(client: Client, user: Any) -> Client:
    client.force_login(user)
    return client


@pytest.mark.django_db
def test_four_actors_on_the_staff_pages(client: Client, library: Library) -> None:
    assert client.get("/archive/staff/").status_code == 302
    for user in (library.resident, library.plain_staff):
        assert login(Client(), user).get("/archive/staff/").status_code == 403
        assert (
            login(Client(), user).post("/archive/staff/items/new/", form_data(library)).status_code
            == 403
        )
    assert Item.objects.count() == 0
    assert login(client, library.cataloguer).get("/archive/staff/").status_code == 200


@pytest.mark.django_db
def test_cataloguer_creates_a_draft_that_is_audited_and_cannot_publish_it(library: Library) -> None:
    client = login(Client(), library.cataloguer)
    response = client.post("/archive/staff/items/new/", form_data(library))
    item = Item.objects.get()
    assert response.status_code == 302
    assert (item.status, item.year, item.era, item.subjects) == (
        "draft",
        1877,
        "meiji",
        ["河童", "民話"],
    )
    event = AuditEvent.objects.get(action="archive.item_created")
    assert (event.actor_id, event.object_id, event.organisation_id) == (
        library.cataloguer.pk,
        str(item.pk),
        library.organisation.pk,
    )
    assert (
        client.post(f"/archive/staff/items/{item.pk}/status/", {"action": "publish"}).status_code
        == 403
    )
    item.refresh_from_db()
    assert item.status == "draft"


@pytest.mark.django_db
def test_other_organisation_cannot_see_or_change_the_library_items(library: Library) -> None:
    item = make_item("県立の資料", collection=library.collection, publish=False)
    client = login(Client(), library.other_cataloguer)
    assert client.get(f"/archive/staff/items/{item.pk}/").status_code == 404
    assert (
        client.post(f"/archive/staff/items/{item.pk}/status/", {"action": "publish"}).status_code
        == 404
    )
    assert (
        client.post("/archive/staff/items/new/", form_data(library)).status_code == 200
    )  # collection not offered
    assert Item.objects.count() == 1
    assert not Item.objects.get().is_public


@pytest.mark.django_db
def test_publisher_publishes_embargoes_withdraws_and_deletes(library: Library) -> None:
    item = make_item("県立の資料", collection=library.collection, publish=False)
    client = login(Client(), library.publisher)
    url = f"/archive/staff/items/{item.pk}/status/"
    client.post(url, {"action": "publish"})
    item.refresh_from_db()
    assert item.is_public
    past = (timezone.localdate() - timedelta(days=1)).isoformat()
    client.post(url, {"action": "embargo", "embargo_until": past})
    item.refresh_from_db()
    assert item.status == "published"  # a past embargo date is refused
    future = (timezone.localdate() + timedelta(days=30)).isoformat()
    client.post(url, {"action": "embargo", "embargo_until": future})
    item.refresh_from_db()
    assert item.status == "embargoed"
    assert item.embargo_until.isoformat() == future
    client.post(url, {"action": "withdraw"})
    client.post(url, {"action": "delete"})
    item.refresh_from_db()
    assert item.is_deleted
    assert item.was_public
    actions = list(
        AuditEvent.objects.filter(object_id=str(item.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )
    assert actions == [
        "archive.item_published",
        "archive.item_embargoed",
        "archive.item_withdrawn",
        "archive.item_deleted",
    ]


@pytest.mark.django_db
def test_validation_errors_are_clear_in_japanese_and_english(library: Library) -> None:
    client = login(Client(), library.cataloguer)
    bad = form_data(
        library,
        title_reading="kanji読み",
        date_text="そのうち",
        latitude="33.2",
        type="performance",
    )
    page = client.post("/archive/staff/items/new/", bad).content.decode()
    assert "よみはひらがなかカタカナで書いてください。" in page
    assert "この日付から年を読み取れません。" in page
    assert "緯度と経度は両方" in page
    assert "芸能には保存団体（保存会）が必要です。" in page
    english = client.post("/en/archive/staff/items/new/", bad).content.decode()
    assert "The reading must be written in hiragana or katakana." in english
    assert "Give both latitude and longitude, or neither." in english
    assert Item.objects.count() == 0


@pytest.mark.django_db
def test_upload_attaches_a_checked_image_and_a_bomb_saves_nothing(
    library: Library, settings: Any, tmp_path: Any
) -> None:
    settings.MEDIA_ROOT = tmp_path
    client = login(Client(), library.cataloguer)
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buffer, "PNG")
    buffer.name = "blue.png"
    buffer.seek(0)
    response = client.post("/archive/staff/items/new/", {**form_data(library), "image": buffer})
    assert response.status_code == 302, [
        line for line in response.content.decode().splitlines() if "error" in line
    ]
    item = Item.objects.get()
    assert item.media.get().media.width == 40
    bomb = io.BytesIO(png_header_only(100_000, 100_000))
    bomb.name = "bomb.png"
    page = client.post(
        "/archive/staff/items/new/", {**form_data(library, title="爆弾"), "image": bomb}
    )
    assert "画像の画素数が多すぎます（展開爆弾の可能性があります）。" in page.content.decode()
    assert Item.objects.count() == 1
    assert MediaFile.objects.count() == 1


@pytest.mark.django_db
def test_bulk_edit_adds_a_subject_and_publishes(library: Library) -> None:
    items = [make_item(f"資料{n}", collection=library.collection, publish=False) for n in range(3)]
    outsider = make_item("市の資料", collection=library.other_collection, publish=False)
    client = login(Client(), library.publisher)
    client.post(
        "/archive/staff/bulk/",
        {
            "items": [items[0].pk, items[1].pk],
            "action": "publish",
            "add_subject": "郷土資料",
            "rights": "",
        },
    )
    published = set(Item.objects.filter(status="published").values_list("pk", flat=True))
    assert published == {items[0].pk, items[1].pk}
    assert Item.objects.get(pk=items[0].pk).subjects == ["郷土資料"]
    client.post("/archive/staff/bulk/", {"items": [outsider.pk], "action": "publish"})
    outsider.refresh_from_db()
    assert outsider.status == "draft"
    cataloguer = login(Client(), library.cataloguer)
    assert (
        cataloguer.post(
            "/archive/staff/bulk/", {"items": [items[2].pk], "action": "publish"}
        ).status_code
        == 403
    )
    assert AuditEvent.objects.filter(action="archive.item_published").count() == 2
