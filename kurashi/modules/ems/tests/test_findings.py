"""Structured findings drive the ranking (Saga 実施基準 style: stroke scale, trauma mechanism,
vital-sign triage), and a photo or ECG from the scene is seen by the crew's HQ and the receiving
hospital only."""

import io
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client, override_settings
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from kurashi.core.models import AuditEvent, User
from kurashi.modules.ems import selectors, services
from kurashi.modules.ems.models import Case, CaseAttachment
from kurashi.modules.ems.tests.conftest import World
from kurashi.modules.ems.tests.factories import make_case, make_status

SCRIPT = {"HTTP_X_EMS_CLIENT": "1"}


def logged_in(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def ranked_for(case: Case) -> list[selectors.RankedHospital]:
    case.refresh_from_db()
    return selectors.rank_hospitals(
        category=case.category,
        urgency=case.urgency,
        latitude=case.latitude,
        longitude=case.longitude,
        now=timezone.now(),
        needs=selectors.case_needs(case),
    )


def test_suspected_large_vessel_stroke_puts_the_thrombectomy_centre_first(world: World) -> None:
    for hospital in (world.near, world.tertiary):
        make_status(hospital, "14", "available")
    case = make_case(
        world.hq, category="stroke", urgency="yellow", latitude=33.256, longitude=130.301
    )
    assert ranked_for(case)[0].hospital.pk == world.near.pk  # nearest first without findings
    response = logged_in(world.crew).post(
        reverse("ems:case-findings", args=[case.public_id]),
        {
            "cpss_face": "true",
            "cpss_arm": "true",
            "cpss_speech": "unknown",
            "elvo_gaze": "true",
            "elvo_cortical": "false",
            "symptom_onset_at": timezone.localtime(timezone.now() - timedelta(hours=1)).strftime(
                "%Y-%m-%dT%H:%M"
            ),
            "trauma_mechanism": "",
        },
        **SCRIPT,
    )
    assert response.json()["ok"], response.json()
    case.refresh_from_db()
    assert (case.cpss_face, case.cpss_speech, case.elvo_cortical) == (True, None, False)
    needs = selectors.case_needs(case)
    assert needs.elvo_suspected
    assert needs.within_tpa_window
    first = ranked_for(case)[0]
    assert first.hospital.pk == world.tertiary.pk
    assert "血栓回収" in first.reason
    page = logged_in(world.crew).get(reverse("ems:case", args=[case.public_id])).content.decode()
    assert "主幹動脈閉塞の疑い" in page


def test_vital_signs_make_a_yellow_patient_red_and_high_energy_trauma_needs_a_centre(
    world: World,
) -> None:
    for hospital in (world.near, world.tertiary):
        make_status(hospital, "10", "available")
    trauma = make_case(
        world.hq, category="trauma", urgency="yellow", latitude=33.256, longitude=130.301
    )
    assert ranked_for(trauma)[0].hospital.pk == world.near.pk
    services.record_findings(
        actor=world.crew, case=trauma, findings=services.Findings(trauma_mechanism="ejection")
    )
    assert ranked_for(trauma)[0].hospital.pk == world.tertiary.pk
    shock = make_case(world.hq, category="general", urgency="green", systolic_bp=78, spo2=88)
    needs = selectors.case_needs(shock)
    assert needs.vital_red
    assert needs.vital_reasons == ("SBP 78", "SpO2 88%")
    with pytest.raises(services.ValidationError):
        services.record_findings(
            actor=world.crew,
            case=shock,
            findings=services.Findings(symptom_onset_at=timezone.now() + timedelta(hours=2)),
        )


def _jpeg() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, format="JPEG")
    return buffer.getvalue()


@pytest.fixture
def media_root(tmp_path: Path) -> Any:
    with override_settings(MEDIA_ROOT=tmp_path):
        yield tmp_path


def test_photo_is_for_the_crew_and_the_receiving_hospital_only(
    world: World, media_root: Path
) -> None:
    case = make_case(world.hq)
    sent = services.send_parallel_request(
        actor=world.crew,
        case=case,
        client_key="att-1",
        targets=[(world.near, "14"), (world.far, "")],
    )
    upload = logged_in(world.crew).post(
        reverse("ems:case-attachments", args=[case.public_id]),
        {"kind": "photo", "file": SimpleUploadedFile("scene.jpg", _jpeg(), "image/jpeg")},
    )
    assert upload.status_code == 302
    attachment = CaseAttachment.objects.get()
    url = reverse("ems:case-attachment", args=[case.public_id, attachment.pk])
    # Asked but not (yet) the destination: no photo.
    assert logged_in(world.near_staff).get(url).status_code == 404
    services.answer_request(actor=world.near_staff, inquiry=sent[0], accept=True)
    seen = logged_in(world.near_staff).get(url)
    assert seen.status_code == 200
    assert seen["Content-Type"] == "image/jpeg"
    assert "no-store" in seen["Cache-Control"]
    assert logged_in(world.crew).get(url).status_code == 200
    for user in (world.far_staff, world.coordinator, world.other_crew, world.resident):
        assert logged_in(user).get(url).status_code == 404
    assert AuditEvent.objects.filter(action="ems.attachment.read").count() == 2


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("scene.jpg", b"<html><script>alert(1)</script></html>"),
        ("ecg.pdf", b"MZ\x90\x00 not a pdf"),
        ("scene.gif", b"GIF89a" + b"\x00" * 40),
    ],
)
def test_only_real_photos_and_pdf_ecgs_are_attached(
    world: World, media_root: Path, name: str, content: bytes
) -> None:
    case = make_case(world.hq)
    response = logged_in(world.crew).post(
        reverse("ems:case-attachments", args=[case.public_id]),
        {"kind": "photo", "file": SimpleUploadedFile(name, content)},
        **SCRIPT,
    )
    assert response.status_code == 400
    assert "JPEG" in response.json()["errors"][0]
    assert not CaseAttachment.objects.exists()
    assert not any(media_root.rglob("*.*"))
