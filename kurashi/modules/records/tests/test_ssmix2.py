"""SS-MIX2 import: the sample storage gives the expected patients and facts, twice without
duplicates, incrementally; malformed segments are reported with file and line, not fatal."""

import shutil
from collections import Counter
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from kurashi.modules.records import intake, selectors
from kurashi.modules.records.models import ImportedFile, LocalIdentifier, Resource
from kurashi.modules.records.tests.conftest import FIXTURES, World, hospital

EXPECTED = {
    "Patient": 2,
    "Observation": 13,
    "AllergyIntolerance": 4,
    "Condition": 2,
    "MedicationRequest": 4,
    "Encounter": 5,
}


def counts() -> dict[str, int]:
    return dict(Counter(Resource.objects.values_list("resource_type", flat=True)))


@pytest.fixture
def storage(tmp_path: Path) -> Path:
    root = tmp_path / "storage"
    shutil.copytree(FIXTURES / "ssmix2", root)
    return root


def test_imports_the_sample_storage_twice_without_duplicates(db: None, storage: Path) -> None:
    facility = hospital("ss-h", "日本医療情報推進病院")
    first = intake.import_ssmix2(storage, facility=facility, actor=None)
    assert first.problems == []
    assert (first.files_seen, first.files_imported) == (16, 16)
    assert counts() == EXPECTED
    second = intake.import_ssmix2(storage, facility=facility, actor=None)
    assert (second.files_unchanged, second.created, second.updated) == (16, 0, 0)
    assert counts() == EXPECTED
    assert LocalIdentifier.objects.count() == 2


def test_maps_hl7_to_jp_core_shaped_fhir(db: None, storage: Path) -> None:
    facility = hospital("ss-h", "日本医療情報推進病院")
    intake.import_ssmix2(storage, facility=facility, actor=None)
    identifier = LocalIdentifier.objects.get(
        value_token=__import__("kurashi.modules.records.crypto", fromlist=["token"]).token(
            "identifier", "0524522233"
        )
    )
    person = identifier.person
    value = selectors.person_demographics(person)
    assert (value.kanji_name, value.kana_name, value.sex, str(value.birth_date)) == (
        "仮山田千代",
        "カリヤマダチヨ",
        "female",
        "1976-01-01",
    )
    assert value.postal_code == "2460026"
    assert value.phones == ("0994402919", "0995934182")
    resources = [selectors.resource_json(r) for r in selectors.person_resources(person)]
    by_type: dict[str, list[dict[str, object]]] = {}
    for resource in resources:
        by_type.setdefault(str(resource["resourceType"]), []).append(resource)
    patient = by_type["Patient"][0]
    assert [n["extension"][0]["valueCode"] for n in patient["name"]] == ["IDE", "SYL"]  # type: ignore[index]
    condition = by_type["Condition"][0]
    assert condition["code"]["text"] == "急性肺炎"  # type: ignore[index]
    assert {"system": "http://hl7.org/fhir/sid/icd-10", "code": "J189"} in condition["code"][
        "coding"
    ]  # type: ignore[index]
    wbc = [o for o in by_type["Observation"] if o["code"]["text"] == "白血球数"]  # type: ignore[index]
    assert sorted(o["valueQuantity"]["value"] for o in wbc) == [9000.0, 12300.0]  # type: ignore[index]
    drugs = sorted(m["medicationCodeableConcept"]["text"] for m in by_type["MedicationRequest"])  # type: ignore[index]
    assert drugs == ["アセトアミノフェン", "セフトリアキソンナトリウム静注用1g"]
    assert sorted(a["code"]["text"] for a in by_type["AllergyIntolerance"]) == ["ブタクサ", "花粉"]  # type: ignore[index]


def test_reports_malformed_segments_with_file_and_line_and_goes_on(db: None, storage: Path) -> None:
    target = next(storage.glob("*/*/0524525080/20240305/OML-11/*"))
    text = target.read_bytes().decode("iso2022_jp")
    segments = text.split("\n")
    obx = next(i for i, s in enumerate(segments) if s.startswith("OBX"))
    segments[obx] = segments[obx].replace("|6800|", "|abc|")
    segments.insert(2, "this is not a segment")
    target.write_bytes("\n".join(segments).encode("iso2022_jp"))
    facility = hospital("ss-h", "病院")
    report = intake.import_ssmix2(storage, facility=facility, actor=None)
    relative = str(target.relative_to(storage))
    assert f"{relative}:3: malformed segment: 'this is not a segment'" in report.problems
    assert any(p.startswith(f"{relative}:{obx + 2}: OBX") for p in report.problems), report.problems
    assert report.files_imported == 16
    assert counts()["Observation"] == EXPECTED["Observation"] - 1


def test_imports_incrementally_and_applies_deletions(db: None, storage: Path) -> None:
    facility = hospital("ss-h", "病院")
    intake.import_ssmix2(storage, facility=facility, actor=None)
    source = next(storage.glob("*/*/0524525080/20240605/OMP-01/*"))
    deleted = source.with_name(source.name[:-1] + "0")
    shutil.copy(source, deleted)
    report = intake.import_ssmix2(storage, facility=facility, actor=None)
    assert (report.files_imported, report.files_unchanged) == (1, 16)
    assert counts()["MedicationRequest"] == EXPECTED["MedicationRequest"] - 1
    assert ImportedFile.objects.count() == 17


def test_command_imports_and_prints_a_summary(db: None, storage: Path) -> None:
    hospital("ss-cmd", "病院")
    out = StringIO()
    call_command("records_import_ssmix2", str(storage), facility="ss-cmd", stdout=out)
    assert '"files_imported": 16' in out.getvalue()
    assert counts() == EXPECTED


def test_rejects_an_unknown_facility(db: None, storage: Path) -> None:
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="unknown facility"):
        call_command("records_import_ssmix2", str(storage), facility="nope")


def test_world_fixture_unused(world: World) -> None:
    assert world.person.pk
