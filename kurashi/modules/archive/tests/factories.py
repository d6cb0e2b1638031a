"""Builders of the archive tests (plain functions)."""

from typing import Any

from django.utils.crypto import get_random_string

from kurashi.modules.archive import services
from kurashi.modules.archive.models import Collection, Item
from kurashi.modules.archive.rights import Rights


def make_collection(slug: str | None = None, **fields: Any) -> Collection:
    return services.ensure_collection(
        slug=slug or f"c-{get_random_string(6).lower()}",
        title_ja=fields.pop("title_ja", "テストコレクション"),
        **fields,
    )


def make_item(
    title: str = "テスト資料",
    *,
    collection: Collection | None = None,
    publish: bool = True,
    **fields: Any,
) -> Item:
    collection = (
        collection or Collection.objects.filter(slug="test").first() or make_collection("test")
    )
    data = {"type": Item.Type.TEXT, "rights": Rights.CC_BY, "title": title, **fields}
    item = services.save_item(
        actor=None,
        collection=collection,
        source_key=fields.pop("source_key", f"test:{get_random_string(10)}"),
        data=data,
    )
    if publish:
        services.publish_item(actor=None, item=item)
    return item
