"""Demo data of the records module: the network roles, demo staff with two-factor devices, the
synthetic SS-MIX2 storage of a hospital, a second hospital's record of the same resident (matched
automatically), a JP Core example patient, a consent, and a resident account linked to a record.
Everything here is fictitious (names carry the prefix 仮)."""

import json
import secrets
from collections.abc import Callable
from datetime import date
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kurashi.core.demo import ensure_demo_account, write_private_file
from kurashi.core.models import Organisation, Role
from kurashi.core.otp import SealedTOTPDevice as TOTPDevice
from kurashi.core.services import RoleSpec, add_membership, ensure_organisation, ensure_role
from kurashi.modules.records import intake, services
from kurashi.modules.records.models import Consent, Resource

Progress = Callable[[int, int], None]
DATA_DIR = Path(__file__).resolve().parent / "data"

ROLES = (
    RoleSpec(
        "records-physician", "医師", "Physician", ("records.view_clinical", "records.break_glass")
    ),
    RoleSpec("records-nurse", "看護師", "Nurse", ("records.view_clinical",)),
    RoleSpec("records-pharmacist", "薬剤師", "Pharmacist", ("records.view_medication",)),
    RoleSpec("records-liaison", "連携室", "Liaison office", ("records.manage_index",)),
    RoleSpec("records-crew", "救急隊", "Ambulance crew", ("records.break_glass",)),
    RoleSpec("records-auditor", "監査者", "Auditor", ("records.view_audit",)),
    RoleSpec(
        "records-network-admin",
        "ネットワーク管理者",
        "Network administrator",
        ("records.administer_network", "records.view_audit"),
    ),
)
NETWORK_ORGANISATION = ("pica-network", "ピカピカリンク運営協議会", "Regional record network")
DEMO_MEMBERS = (
    ("records-doctor", "佐賀大学病院 医師", "saga-univ-hospital", "records-physician"),
    ("records-nurse", "佐賀大学病院 看護師", "saga-univ-hospital", "records-nurse"),
    ("records-pharmacist", "佐賀大学病院 薬剤師", "saga-univ-hospital", "records-pharmacist"),
    ("records-liaison", "好生館 地域連携室", "koseikan", "records-liaison"),
    ("records-liaison-univ", "佐賀大学病院 地域連携室", "saga-univ-hospital", "records-liaison"),
    ("records-karatsu-doctor", "唐津赤十字病院 医師", "karatsu-red-cross", "records-physician"),
    ("records-crew", "佐賀広域消防局 救急隊", "saga-koiki-fire", "records-crew"),
    ("records-auditor", "ネットワーク監査者", NETWORK_ORGANISATION[0], "records-auditor"),
    ("records-admin", "ネットワーク管理者", NETWORK_ORGANISATION[0], "records-network-admin"),
)
TOTP_FILE = "records-demo-totp.json"


def totp_path() -> Path:
    return Path(settings.VAR_DIR) / TOTP_FILE


@transaction.atomic
def load_demo_members(progress: Progress) -> int:
    """Roles, demo staff (each with a confirmed TOTP device; the secrets are written to
    var/records-demo-totp.json, mode 0600, for trying the 2FA login) and the demo resident."""
    for spec in ROLES:
        ensure_role(spec)
    slug, name_ja, name_en = NETWORK_ORGANISATION
    ensure_organisation(
        slug=slug,
        kind=Organisation.Kind.PREFECTURAL_DEPARTMENT,
        name_ja=name_ja,
        name_en=name_en,
        covers_whole_prefecture=False,
    )
    secrets_by_user: dict[str, str] = {}
    if totp_path().exists():
        secrets_by_user = json.loads(totp_path().read_text(encoding="utf-8"))
    for done, (username, display_name, org_slug, role_code) in enumerate(DEMO_MEMBERS, start=1):
        organisation = Organisation.objects.filter(slug=org_slug).first()
        user = ensure_demo_account(username=username, display_name=display_name)
        if organisation is not None:
            add_membership(
                actor=None,
                user=user,
                organisation=organisation,
                role=Role.objects.get(code=role_code),
            )
        key = secrets_by_user.get(username) or secrets.token_hex(20)
        device, _created = TOTPDevice.objects.get_or_create(
            user=user, name="demo", defaults={"key": key, "confirmed": True}
        )
        secrets_by_user[username] = device.bin_key.hex()
        progress(done, len(DEMO_MEMBERS))
    write_private_file(totp_path(), json.dumps(secrets_by_user))
    ensure_demo_account(username="records-resident", display_name="仮山田 千代")
    return len(DEMO_MEMBERS) + 1


def _hospital(slug: str, name_ja: str, name_en: str) -> Organisation:
    found = Organisation.objects.filter(slug=slug).first()
    return found or ensure_organisation(
        slug=slug,
        kind=Organisation.Kind.HOSPITAL,
        name_ja=name_ja,
        name_en=name_en,
        municipality_code="412015",
    )


def load_demo_records(progress: Progress) -> int:
    """The SS-MIX2 storage of 好生館 (2 patients), the same resident registered at 佐賀大学病院
    with kana in half-width and a moved address (linked automatically), a JP Core patient, and a
    consent for the resident (all facilities). Idempotent."""
    from kurashi.core.models import User

    koseikan = _hospital("koseikan", "佐賀県医療センター好生館", "Saga-ken Medical Centre Koseikan")
    univ = _hospital("saga-univ-hospital", "佐賀大学医学部附属病院", "Saga University Hospital")
    report = intake.import_ssmix2(DATA_DIR / "ssmix2", facility=koseikan, actor=None)
    progress(1, 4)
    with (DATA_DIR / "demo_univ_bundle.json").open(encoding="utf-8") as handle:
        bundle = json.load(handle)
    intake.import_bundle(bundle, facility=univ, actor=None, where="demo")
    progress(2, 4)
    with (DATA_DIR / "Patient-jp-patient-example-1.json").open(encoding="utf-8") as handle:
        intake.import_bundle(json.load(handle), facility=univ, actor=None, where="demo-jp-core")
    progress(3, 4)
    patient = (
        Resource.objects.filter(resource_type="Patient", facility=koseikan).order_by("pk").first()
    )
    if patient is not None and patient.patient is not None:
        person = patient.patient.person
        if not Consent.objects.filter(person=person).exists():
            services.record_consent(
                person=person, scope=Consent.Scope.ALL, signed_on=date(2024, 1, 3), actor=None
            )
        resident = User.objects.filter(username="records-resident").first()
        if resident is not None and person.resident_id is None:
            services.link_resident(person=person, user=resident, actor=None)
    progress(4, 4)
    return report.stored
