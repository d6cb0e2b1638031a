"""The import commands (progress bars, idempotence, reports) and byte-range media serving."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from kurashi.modules.archive import services
from kurashi.modules.archive.demo import synthetic_tone
from kurashi.modules.archive.imports import manifest_refs, rights_from_uri
from kurashi.modules.archive.models import Collection, Item
from kurashi.modules.archive.selectors import DATA_DIR
from kurashi.modules.archive.tests.factories import make_collection, make_item

OGI = DATA_DIR / "iiif" / "saga_univ_ogi_nikki_first60.json"


@pytest.mark.django_db
def test_iiif_command_imports_references_once_with_mapped_rights() -> None:
    out = io.StringIO()
    for _run in range(2):
        call_command(
            "archive_import_iiif",
            str(OGI),
            slug="ogi-nikki",
            title="小城藩日記",
            rights="rs-und",
            stdout=out,
            verbosity=0,
        )
    assert "created 60, updated 0, unchanged 0, skipped 0" in out.getvalue()
    assert "created 0, updated 0, unchanged 60, skipped 0" in out.getvalue()
    items = Item.objects.filter(collection__slug="ogi-nikki")
    assert items.count() == 60
    assert set(items.values_list("rights", flat=True)) == {"cc-by-nc-sa"}
    assert all(
        item.external_manifest_url.startswith("https://www.dl.saga-u.ac.jp/") for item in items
    )
    assert Collection.objects.get(slug="ogi-nikki").source_url.endswith("saga.json")


def test_iiif_v3_collections_and_licence_uris_are_understood() -> None:
    v3 = {
        "type": "Collection",
        "items": [
            {
                "id": "https://example.org/m/1",
                "type": "Manifest",
                "label": {"ja": ["絵図"]},
                "rights": "https://creativecommons.org/publicdomain/zero/1.0/",
            },
            {"id": "https://example.org/c/2", "type": "Collection", "label": {"ja": ["下位"]}},
            {"id": "not a url", "type": "Manifest", "label": {"ja": ["壊れ"]}},
        ],
    }
    refs = manifest_refs(v3, default_rights="rs-und")
    assert [(ref.url, ref.label, ref.rights) for ref in refs] == [
        ("https://example.org/m/1", "絵図", "cc0")
    ]
    assert rights_from_uri("https://www.sagalibdb.jp/info/", "pdm") == "pdm"


@pytest.mark.django_db
def test_csv_and_aozora_commands_report(tmp_path: Path) -> None:
    make_collection("c")
    good = tmp_path / "items.csv"
    good.write_text(
        "id,collection,title,type,rights\n1,c,民話,text,cc0\n2,c,,text,cc0\n", encoding="utf-8"
    )
    out, err = io.StringIO(), io.StringIO()
    call_command("archive_import_csv", str(good), stdout=out, stderr=err, verbosity=0)
    assert "created 1, updated 0, unchanged 0, skipped 0, rejected lines 1" in out.getvalue()
    assert "line 3 [title]" in err.getvalue()
    broken = tmp_path / "broken.csv"
    broken.write_bytes(b"\x00\x00")
    with pytest.raises(CommandError, match="NUL"):
        call_command("archive_import_csv", str(broken), verbosity=0)
    with pytest.raises(CommandError, match="Not a folder"):
        call_command("archive_import_aozora", str(tmp_path / "missing"), verbosity=0)


@pytest.mark.django_db
def test_recordings_are_served_with_byte_ranges(
    client: Client, settings: object, tmp_path: Path
) -> None:
    settings.MEDIA_ROOT = tmp_path  # type: ignore[attr-defined]
    data = synthetic_tone(seconds=1)
    item = make_item("語り", type=Item.Type.AUDIO)
    media = services.ingest_audio(data=data, mime_type="audio/wav", duration=1.0)
    services.attach_media(item=item, media=media)
    url = f"/archive/files/{media.sha256}"
    part = client.get(url, HTTP_RANGE="bytes=10-19")
    assert part.status_code == 206
    assert part.content == data[10:20]
    assert part["Content-Range"] == f"bytes 10-19/{len(data)}"
    assert client.get(url, HTTP_RANGE="bytes=-4").content == data[-4:]
    assert client.get(url, HTTP_RANGE=f"bytes={len(data)}-").status_code == 416
    assert b"".join(client.get(url).streaming_content) == data  # type: ignore[attr-defined]
    services.withdraw_item(actor=None, item=item)
    assert client.get(url).status_code == 404
