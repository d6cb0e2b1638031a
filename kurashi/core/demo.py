"""Saga demo data of the shared kernel: municipalities, organisations, roles and demo staff."""

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.db import transaction

from kurashi.core.models import Municipality, Organisation, Role, User
from kurashi.core.services import (
    RoleSpec,
    add_membership,
    ensure_organisation,
    ensure_role,
    load_municipalities,
)

Progress = Callable[[int, int], None]

ROLES = (
    RoleSpec("org-admin", "組織管理者", "Organisation administrator", ("core.manage_members",)),
    RoleSpec("staff", "職員", "Staff", ()),
    RoleSpec("plan-reporter", "計画進捗担当", "Plan progress reporter", ("plan.report_progress",)),
)

# The five fire headquarters of Saga Prefecture and the municipalities each one serves.
FIRE_HEADQUARTERS = (
    (
        "saga-koiki-fire",
        "佐賀広域消防局",
        "Saga Regional Fire Bureau",
        "412015",
        ("412015", "412040", "412082", "412104", "413275"),
    ),
    (
        "karatsu-fire",
        "唐津市消防本部",
        "Karatsu City Fire Department",
        "412023",
        ("412023", "413879"),
    ),
    (
        "tosu-miyaki-fire",
        "鳥栖・三養基地区消防事務組合消防本部",
        "Tosu-Miyaki Fire Department",
        "412031",
        ("412031", "413411", "413453", "413461"),
    ),
    (
        "imari-arita-fire",
        "伊万里・有田消防本部",
        "Imari-Arita Fire Department",
        "412058",
        ("412058", "414018"),
    ),
    (
        "kito-fire",
        "杵藤地区広域市町村圏組合消防本部",
        "Kito Regional Fire Department",
        "412066",
        ("412066", "412074", "412091", "414239", "414247", "414255", "414417"),
    ),
)

OTHER_ORGANISATIONS = (
    (
        "saga-univ-hospital",
        Organisation.Kind.HOSPITAL,
        "佐賀大学医学部附属病院",
        "Saga University Hospital",
        "412015",
    ),
    (
        "koseikan",
        Organisation.Kind.HOSPITAL,
        "佐賀県医療センター好生館",
        "Saga-ken Medical Centre Koseikan",
        "412015",
    ),
    (
        "karatsu-red-cross",
        Organisation.Kind.HOSPITAL,
        "唐津赤十字病院",
        "Karatsu Red Cross Hospital",
        "412023",
    ),
    (
        "saga-pref-library",
        Organisation.Kind.LIBRARY,
        "佐賀県立図書館",
        "Saga Prefectural Library",
        "412015",
    ),
    (
        "saga-cso-center",
        Organisation.Kind.CSO,
        "さが市民活動サポートセンター",
        "Saga Civic Activity Support Centre",
        "412015",
    ),
)


def load_reference(progress: Progress) -> int:
    return load_municipalities(progress=progress)


@transaction.atomic
def load_organisations(progress: Progress) -> int:
    municipalities = list(Municipality.objects.order_by("code"))
    steps = len(ROLES) + len(municipalities) + len(FIRE_HEADQUARTERS) + len(OTHER_ORGANISATIONS)
    done = 0
    for spec in ROLES:
        ensure_role(spec)
        done += 1
        progress(done, steps)
    for municipality in municipalities:
        ensure_organisation(
            slug=f"municipality-{municipality.code}",
            kind=Organisation.Kind.MUNICIPALITY,
            name_ja=municipality.name_ja,
            name_kana=municipality.name_kana,
            name_en=municipality.name_en,
            municipality_code=municipality.code,
        )
        done += 1
        progress(done, steps)
    for slug, name_ja, name_en, seat, served in FIRE_HEADQUARTERS:
        ensure_organisation(
            slug=slug,
            kind=Organisation.Kind.FIRE_HQ,
            name_ja=name_ja,
            name_en=name_en,
            municipality_code=seat,
            jurisdiction_codes=served,
        )
        done += 1
        progress(done, steps)
    for slug, kind, name_ja, name_en, seat in OTHER_ORGANISATIONS:
        ensure_organisation(
            slug=slug, kind=kind, name_ja=name_ja, name_en=name_en, municipality_code=seat
        )
        done += 1
        progress(done, steps)
    return done


DEMO_STAFF = (
    # username, display name, organisation slug, roles
    ("saga-city-staff", "佐賀市 防災担当", "municipality-412015", ("staff", "org-admin")),
    ("karatsu-staff", "唐津市 防災担当", "municipality-412023", ("staff", "org-admin")),
    (
        "bousai-staff",
        "県 消防防災課",
        "pref-fire-and-disaster-prevention-division",
        ("staff", "plan-reporter"),
    ),
    (
        "ict-staff",
        "県 情報課",
        "pref-information-division",
        ("staff", "plan-reporter", "org-admin"),
    ),
    ("koseikan-staff", "好生館 救急外来", "koseikan", ("staff",)),
    ("saga-fire-crew", "佐賀広域消防局 救急隊", "saga-koiki-fire", ("staff",)),
)


def write_private_file(path: Path, text: str) -> None:
    """Write `text` to `path`, readable by the owner only from the first byte on."""
    path.parent.mkdir(parents=True, exist_ok=True)
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "w", encoding="utf-8") as handle:
        handle.write(text)
    path.chmod(0o600)  # an existing file keeps its old mode through O_CREAT


def credentials_path() -> Path:
    return Path(settings.VAR_DIR) / "demo-credentials.txt"


def _read_credentials() -> tuple[str | None, list[str]]:
    path = credentials_path()
    if not path.exists():
        return None, []
    text = path.read_text(encoding="utf-8")
    password = text.split("password: ", 1)[1].split()[0]
    usernames = [name.strip() for name in text.split("usernames:", 1)[1].splitlines()[0].split(",")]
    return password, [name for name in usernames if name]


def demo_password() -> str:
    """The one password all demo accounts share: the recorded one, or a new random one."""
    password, _usernames = _read_credentials()
    return password or secrets.token_urlsafe(12)


def ensure_demo_account(*, username: str, display_name: str) -> User:
    """A demo account with the shared password, listed in var/demo-credentials.txt (mode 0600).

    Idempotent; modules' demo loaders use it for their own demo users."""
    password = demo_password()
    user, created = User.objects.get_or_create(
        username=username,
        defaults={"display_name": display_name, "email": f"{username}@demo.kurashi.invalid"},
    )
    if created or not user.has_usable_password():
        user.set_password(password)
        user.save()
    _, usernames = _read_credentials()
    if username not in usernames:
        usernames.append(username)
    write_private_file(
        credentials_path(),
        "Kurashi demo accounts (demo data only; never use in production)\n"
        f"usernames: {', '.join(usernames)}\npassword: {password}\n",
    )
    return user


@transaction.atomic
def load_demo_staff(progress: Progress) -> int:
    """Demo accounts share one random password, written to var/demo-credentials.txt (mode 0600)."""
    for done, (username, display_name, slug, roles) in enumerate(DEMO_STAFF, start=1):
        organisation = Organisation.objects.filter(slug=slug).first()
        if organisation is None:
            progress(done, len(DEMO_STAFF))
            continue
        user = ensure_demo_account(username=username, display_name=display_name)
        for code in roles:
            add_membership(
                actor=None, user=user, organisation=organisation, role=Role.objects.get(code=code)
            )
        progress(done, len(DEMO_STAFF))
    ensure_demo_account(username="resident", display_name="県民 さが太郎")
    return len(DEMO_STAFF) + 1
