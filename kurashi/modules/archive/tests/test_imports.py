"""Re-imports trust curators (issue 17, defects 2 and 3): an item deleted by a curator is skipped,
not resurrected or crashed on; a withdrawn item stays withdrawn; curated readings, English titles
and municipalities survive a source that lacks or differs on them; what the source changed is
still updated; a dry run reports all of it and writes nothing. Also: the IIIF import reports the
entries it cannot import, and an over-long CSV value is refused with a message."""

import io
import json
from pathlib import Path

import pytest
from django.core.management import call_command

from kurashi.core.models import Municipality
from kurashi.modules.archive import services
from kurashi.modules.archive.imports import import_csv, import_iiif_collection
from kurashi.modules.archive.models import Collection, Item
from kurashi.modules.archive.selectors import DATA_DIR
from kurashi.modules.archive.tests.factories import make_collection

AOZORA = DATA_DIR / "aozora"
OGI = DATA_DIR / "iiif" / "saga_univ_ogi_nikki_first60.json"


def run(command: str, *args: str, **options: object) -> str:
    out = io.StringIO()
    call_command(command, *args, stdout=out, verbosity=0, **options)
    return out.getvalue()


def iiif(path: Path, **options: object) -> str:
    return run("archive_import_iiif", str(path), slug="ogi-nikki", title="小城藩日記", **options)


def curate(item: Item, **data: object) -> Item:
    return services.save_item(
        actor=None,
        collection=item.collection,
        source_key=item.source_key,
        item=item,
        data=data,
    )


@pytest.mark.django_db
def test_reimport_after_a_deletion_skips_the_deleted_item_and_imports_the_rest(
    tmp_path: Path, municipalities: None
) -> None:
    run("archive_import_aozora", str(AOZORA))
    iiif(OGI)
    deleted_text = Item.objects.get(title="桃太郎")
    deleted_image = Item.objects.filter(collection__slug="ogi-nikki").order_by("pk").first()
    assert deleted_image is not None
    for item in (deleted_text, deleted_image):
        services.delete_item(actor=None, item=item)
    # a new entry after the deleted one must still be imported
    data = json.loads(OGI.read_text(encoding="utf-8"))
    data["manifests"].append(
        {"@id": "https://example.org/iiif/new/manifest.json", "label": "新しい絵図"}
    )
    changed = tmp_path / "ogi.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    aozora_out = run("archive_import_aozora", str(AOZORA))
    iiif_out = iiif(changed)

    assert "skipped 1" in aozora_out
    assert "unchanged 10" in aozora_out
    assert f"skipped {deleted_text.source_key}" in aozora_out
    assert "created 1, updated 0, unchanged 59, skipped 1" in iiif_out
    assert Item.objects.get(title="新しい絵図").is_public
    for item in (deleted_text, deleted_image):
        item.refresh_from_db()
        assert item.is_deleted
        assert not item.is_public


@pytest.mark.django_db
def test_reimport_keeps_publication_state_and_curated_fields(
    tmp_path: Path, municipalities: None
) -> None:
    iiif(OGI)
    first, second, third = Item.objects.filter(collection__slug="ogi-nikki").order_by("pk")[:3]
    services.withdraw_item(actor=None, item=first)
    imari = Municipality.objects.get(code="412058")
    curate(
        second,
        title_reading="おぎはんにっき",
        title_en="Ogi domain diary",
        municipality=imari,
        title="小城藩日記（目録担当者が訂正）",
    )
    # the source changes the third item's label and the second's: the third follows the source,
    # the second keeps the curator's title
    data = json.loads(OGI.read_text(encoding="utf-8"))
    data["manifests"][1]["label"] = "源の新しいラベル二"
    data["manifests"][2]["label"] = "源の新しいラベル三"
    changed = tmp_path / "ogi.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")

    out = iiif(changed)

    first.refresh_from_db()
    second.refresh_from_db()
    third.refresh_from_db()
    assert first.status == Item.Status.DRAFT  # withdrawn stays withdrawn
    assert second.title == "小城藩日記（目録担当者が訂正）"
    assert (second.title_reading, second.title_en, second.municipality) == (
        "おぎはんにっき",
        "Ogi domain diary",
        imari,
    )
    assert third.title == "源の新しいラベル三"
    assert "created 0, updated 1, unchanged 59, skipped 0" in out
    assert "kept" in out
    assert "目録担当者が訂正" in out


@pytest.mark.django_db
def test_aozora_reimport_never_blanks_a_curated_field(tmp_path: Path, municipalities: None) -> None:
    run("archive_import_aozora", str(AOZORA))
    kappa = Item.objects.get(title="河童の話")
    curate(kappa, title_en="Kappa tales (curated)", subjects=["河童", "民俗"])
    # a copy of the folder without readings.json: the source no longer has readings and English
    # titles
    bare = tmp_path / "aozora"
    bare.mkdir()
    for path in AOZORA.iterdir():
        if path.name != "readings.json":
            (bare / path.name).write_bytes(path.read_bytes())
    run("archive_import_aozora", str(bare))
    kappa.refresh_from_db()
    assert kappa.title_en == "Kappa tales (curated)"
    assert kappa.title_reading  # from readings.json in the first import: not blanked
    assert Item.objects.get(title="松浦あがた").municipality is not None
    assert Item.objects.filter(title="桃太郎", title_reading="ももたろう").exists()


@pytest.mark.django_db
def test_dry_run_reports_what_would_change_and_writes_nothing(
    tmp_path: Path, municipalities: None
) -> None:
    first_run = iiif(OGI, dry_run=True)
    assert "created 60" in first_run
    assert "dry run" in first_run
    assert not Item.objects.exists()
    assert not Collection.objects.filter(slug="ogi-nikki").exists()
    iiif(OGI)
    item = Item.objects.filter(collection__slug="ogi-nikki").order_by("pk").first()
    assert item is not None
    before = (item.title, item.modified_at)
    data = json.loads(OGI.read_text(encoding="utf-8"))
    data["manifests"][0]["label"] = "変わったラベル"
    changed = tmp_path / "ogi.json"
    changed.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    out = iiif(changed, dry_run=True)
    assert "updated 1" in out
    assert "'変わったラベル'" in out
    item.refresh_from_db()
    assert (item.title, item.modified_at) == before


@pytest.mark.django_db
def test_iiif_import_reports_entries_it_cannot_import() -> None:
    data = {
        "@type": "sc:Collection",
        "manifests": [
            {"@id": "https://example.org/a/manifest.json", "label": "絵図A"},
            {"@id": "ftp://example.org/b", "label": "絵図B"},
            {"@id": "https://example.org/c/manifest.json", "label": ""},
            {"@id": "https://example.org/d", "@type": "sc:Collection", "label": "入れ子"},
            "not an object",
        ],
    }
    report = import_iiif_collection(data, collection=make_collection("ezu"))
    assert report.count("created") == 1
    assert [(entry.position, entry.reason.split(" /")[0]) for entry in report.skipped_entries] == [
        (2, "no http(s) manifest URL"),
        (3, "no label"),
        (4, "not a manifest (sc:Collection)"),
        (5, "not a JSON object"),
    ]
    assert "entries not importable 4" in report.summary()


HEADER = "id,collection,title,title_en,type,rights,status\n"


@pytest.mark.django_db
def test_csv_rejects_an_over_long_title_with_a_message_and_stores_nothing() -> None:
    make_collection("c")
    report = import_csv((HEADER + f"1,c,{'題' * 5000},,text,cc0,published\n").encode())
    assert not Item.objects.exists()
    assert [(p.line, p.column) for p in report.problems] == [(2, "title")]
    assert "5000文字、300文字まで" in report.problems[0].message_ja
    assert "300 at most" in report.problems[0].message_en


@pytest.mark.django_db
def test_csv_rerun_keeps_curated_values_and_publication_state() -> None:
    make_collection("c")
    import_csv((HEADER + "1,c,民話,Folk tale,text,cc0,published\n").encode())
    item = Item.objects.get()
    services.withdraw_item(actor=None, item=item)
    curate(item, title_en="A folk tale (curated)")
    report = import_csv((HEADER + "1,c,民話,,text,cc0,published\n").encode())
    item.refresh_from_db()
    assert (item.title_en, item.status) == ("A folk tale (curated)", Item.Status.DRAFT)
    assert report.unchanged == 1
