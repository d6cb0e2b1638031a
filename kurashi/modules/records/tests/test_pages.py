"""The pages: resident consent and "who viewed my record", the clinician list and summary,
break-glass, consent recording with a scanned form, the review queue, the access review, and the
demo loaders."""

from datetime import date

from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client

from kurashi.core.models import Municipality, Organisation
from kurashi.core.services import load_municipalities
from kurashi.modules.records import crypto, services
from kurashi.modules.records.matching import Demographics
from kurashi.modules.records.models import (
    AccessLog,
    BreakGlass,
    Consent,
    MatchReview,
    Person,
    Resource,
)
from kurashi.modules.records.tests.conftest import (
    World,
    add_observation,
    add_patient,
    verified_client,
)


def test_index_is_public_and_bilingual(db: None, client: Client) -> None:
    assert "地域医療連携" in client.get("/records/").content.decode()
    english = client.get("/en/records/").content.decode()
    assert "Regional clinical records" in english


def test_resident_sees_consent_and_every_access(world: World) -> None:
    add_observation(world)
    verified_client(world.doctor).get("/fhir/R4/Observation/obs-1")
    verified_client(world.other_doctor).get("/fhir/R4/Observation/obs-1")
    client = Client()
    client.force_login(world.resident)
    consent_page = client.get("/en/records/me/").content.decode()
    assert "Sharing is ON" in consent_page
    accesses = client.get("/en/records/me/accesses/").content.decode()
    assert "同意病院" in accesses
    assert "他病院" in accesses
    assert "Treatment" in accesses
    assert "refused" in accesses


def test_resident_without_record_is_told_where_to_go(world: World) -> None:
    client = Client()
    client.force_login(world.stranger)
    assert "liaison office" in client.get("/en/records/me/").content.decode()


def test_clinician_finds_patients_by_kana_and_birth_date(world: World) -> None:
    client = verified_client(world.doctor)
    page = client.get(
        "/records/patients/", {"kana_name": "かりやまだ ちよ", "birth_date": "1976-01-01"}
    )
    assert f"/records/patients/{world.person.pk}/" in page.content.decode()
    logged = AccessLog.objects.filter(action="search", person_id_value=world.person.pk).get()
    assert (logged.purpose, logged.facility_id_value) == ("TREAT", world.consented.pk)
    none = client.get("/records/patients/", {"kana_name": "タナカ"}).content.decode()
    assert f"/records/patients/{world.person.pk}/" not in none
    other = verified_client(world.other_doctor).get("/records/patients/").content.decode()
    assert f"/records/patients/{world.person.pk}/" not in other


def test_summary_is_time_ordered_across_facilities(world: World) -> None:
    add_patient(world)
    add_observation(world, fhir_id="obs-old", text="古い検査")
    services.store_resource(
        resource={
            "resourceType": "Condition",
            "id": "c-new",
            "code": {"text": "新しい病名"},
            "subject": {"reference": "Patient/pat-yamada"},
            "onsetDateTime": "2025-06-01",
        },
        facility=world.consented,
        patient=world.identifier,
    )
    html = (
        verified_client(world.doctor).get(f"/records/patients/{world.person.pk}/").content.decode()
    )
    assert html.index("新しい病名") < html.index("古い検査")


def test_crew_opens_a_record_with_break_glass_from_the_page(world: World) -> None:
    client = verified_client(world.crew)
    response = client.post(
        "/records/emergency/",
        {
            "kana_name": "カリヤマダ チヨ",
            "birth_date": "1976-01-01",
            "facility": world.fire.pk,
            "reason": "交通事故、意識なし",
            "ems_case_reference": "EMS-1",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == f"/records/patients/{world.person.pk}/"
    summary = client.get(response["Location"]).content.decode()
    assert "Emergency access without consent" in summary or "同意なしの救急時閲覧" in summary
    glass = BreakGlass.objects.get()
    assert crypto.unseal_text(glass.reason) == "交通事故、意識なし"
    document = client.post(
        f"/records/break-glass/{glass.pk}/document/", {"note": "本人意識なく家族とも連絡つかず"}
    )
    assert document.status_code == 302
    glass.refresh_from_db()
    assert glass.resolution == BreakGlass.Resolution.DOCUMENTED


def test_break_glass_page_refuses_an_ambiguous_patient(world: World) -> None:
    client = verified_client(world.crew)
    response = client.post(
        "/en/records/emergency/",
        {
            "kana_name": "タナカ タロウ",
            "birth_date": "1976-01-01",
            "facility": world.fire.pk,
            "reason": "交通事故",
        },
    )
    assert response.status_code == 200
    assert "No single patient matches" in response.content.decode()
    assert not BreakGlass.objects.exists()


def test_liaison_records_consent_with_scanned_form(world: World) -> None:
    client = verified_client(world.liaison)
    scan = SimpleUploadedFile(
        "同意書.pdf", b"%PDF-1.4 signed consent", content_type="application/pdf"
    )
    response = client.post(
        f"/records/patients/{world.person.pk}/consent/",
        {
            "scope": "named",
            "facilities": [world.other.pk],
            "signed_on": "2025-01-10",
            "form_file": scan,
        },
    )
    assert response.status_code == 302
    consent = Consent.objects.latest("pk")
    assert [f.pk for f in consent.facilities.all()] == [world.other.pk]
    assert crypto.unseal(consent.form) == b"%PDF-1.4 signed consent"  # type: ignore[arg-type]
    future = client.post(
        f"/en/records/patients/{world.person.pk}/consent/",
        {"scope": "all", "signed_on": "2999-01-01"},
    )
    assert "cannot be in the future" in future.content.decode()
    assert Consent.objects.count() == 2
    assert (
        verified_client(world.doctor)
        .get(f"/records/patients/{world.person.pk}/consent/")
        .status_code
        == 403
    )


def test_review_queue_merges_and_undoes(world: World) -> None:
    services.register_patient(
        facility=world.other,
        system="s",
        value="9",
        demographics=Demographics(
            kana_name="カリヤマダ チヨ",
            sex="female",
            birth_date=date(1976, 1, 1),
            postal_code="1000001",
        ),
    )
    review = MatchReview.objects.get()
    client = verified_client(world.liaison)
    assert "カリヤマダチヨ" in client.get("/records/reviews/").content.decode()
    client.post(f"/records/reviews/{review.pk}/", {"decision": "accept"})
    assert Person.objects.filter(merged_into__isnull=True).count() == 1
    merge = review.identifier.person.merged_into or review.candidate
    from kurashi.modules.records.models import MergeRecord

    record = MergeRecord.objects.get()
    client.post(f"/records/merges/{record.pk}/undo/")
    assert Person.objects.filter(merged_into__isnull=True).count() == 2
    assert merge


def test_access_review_report(world: World) -> None:
    verified_client(world.doctor).get(f"/records/patients/{world.person.pk}/")
    page = verified_client(world.auditor).get("/en/records/access-review/").content.decode()
    assert "hash chain is intact" in page
    assert world.doctor.username in page


def test_demo_loads_and_links_the_resident(transactional_db: None, settings: object) -> None:
    if not Municipality.objects.exists():
        load_municipalities()
    from kurashi.modules.records import demo

    for slug, name in (
        ("saga-univ-hospital", "佐賀大学医学部附属病院"),
        ("koseikan", "好生館"),
        ("saga-koiki-fire", "消防"),
        ("karatsu-red-cross", "唐津赤十字病院"),
    ):
        Organisation.objects.get_or_create(
            slug=slug, defaults={"kind": Organisation.Kind.HOSPITAL, "name_ja": name}
        )
    demo.load_demo_members(lambda done, total: None)
    stored = demo.load_demo_records(lambda done, total: None)
    assert stored == 30  # the SS-MIX2 storage: 2 patients, 28 facts
    again = demo.load_demo_records(lambda done, total: None)
    assert again == 0
    resident = Person.objects.get(resident__username="records-resident")
    facilities = {i.facility.slug for i in resident.identifiers.all()}
    assert facilities == {"koseikan", "saga-univ-hospital"}
    assert Resource.objects.filter(patient__person=resident, resource_type="Condition").count() == 2
    call_command("records_verify_audit")
