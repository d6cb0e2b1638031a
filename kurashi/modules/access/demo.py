"""Demo data of the hearing-impaired support centre: the centre, its roles and staff, a 119
dispatcher at 佐賀広域消防局, registered interpreters with availability, and the demo resident's
text-119 registration."""

import json
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

from django.db import transaction
from django.utils import timezone

from kurashi.core.demo import ensure_demo_account
from kurashi.core.models import Organisation, User
from kurashi.core.services import RoleSpec, add_membership, ensure_organisation, ensure_role
from kurashi.modules.access import services
from kurashi.modules.access.models import Availability, CaptionSession, Interpreter

Progress = Callable[[int, int], None]
DATA = Path(__file__).resolve().parent / "data" / "demo_interpreters.json"
DEMO_START_HOUR = 8  # demo interpreters take work 08:00–18:00 Asia/Tokyo

ROLES = (
    RoleSpec(
        "access-dispatcher",
        "119番通報受付員",
        "119 dispatcher",
        ("access.receive_text119", "ems.operate_cases"),
    ),
    RoleSpec(
        "access-coordinator",
        "派遣コーディネーター",
        "Dispatch coordinator",
        ("access.coordinate_dispatch", "access.publish_videos"),
    ),
    RoleSpec("access-captioner", "要約筆記者", "Captioner", ("access.caption",)),
    RoleSpec(
        "access-publisher",
        "広報担当（動画の確認）",
        "Publisher (reviews videos)",
        ("access.publish_videos",),
    ),
    RoleSpec(
        "access-relay-operator", "文字リレーオペレーター", "Relay operator", ("access.relay",)
    ),
)
STAFF = (
    ("saga-119-dispatcher", "佐賀広域消防局 通信指令員", "saga-koiki-fire", "access-dispatcher"),
    ("access-coordinator", "サポートセンター 派遣担当", "saga-deaf-centre", "access-coordinator"),
    ("access-captioner", "要約筆記者 A", "saga-deaf-centre", "access-captioner"),
    ("access-captioner-2", "要約筆記者 B", "saga-deaf-centre", "access-captioner"),
    ("relay-operator", "文字リレー オペレーター", "saga-deaf-centre", "access-relay-operator"),
    ("access-video-reviewer", "サポートセンター 広報担当", "saga-deaf-centre", "access-publisher"),
)


@transaction.atomic
def load_demo(progress: Progress) -> int:
    data = json.loads(DATA.read_text(encoding="utf-8"))
    steps = len(ROLES) + len(STAFF) + len(data["interpreters"]) + 2
    done = 0
    roles = {spec.code: ensure_role(spec) for spec in ROLES}
    done += len(ROLES)
    ensure_organisation(
        slug="saga-deaf-centre",
        kind=Organisation.Kind.CSO,
        name_ja="佐賀県聴覚障害者サポートセンター",
        name_en="Saga Hearing-Impaired Support Centre",
        municipality_code="412015",
        covers_whole_prefecture=True,
    )
    users: dict[str, User] = {}
    for username, display_name, slug, role in STAFF:
        organisation = Organisation.objects.filter(slug=slug).first()
        done += 1
        progress(done, steps)
        if organisation is None:
            continue
        user = ensure_demo_account(username=username, display_name=display_name)
        add_membership(actor=None, user=user, organisation=organisation, role=roles[role])
        users[username] = user
    # Local midnight: the demo interpreters work 08:00–18:00 in Saga (a UTC midnight made them
    # available 17:00–03:00 JST).
    today = timezone.localtime().replace(hour=0, minute=0, second=0, microsecond=0)
    for entry in data["interpreters"]:
        interpreter, created = Interpreter.objects.update_or_create(
            name=entry["name"],
            defaults={
                "email": entry["email"],
                "modes": entry["modes"],
                "municipality_codes": entry["municipality_codes"],
                "max_per_month": entry["max_per_month"],
            },
        )
        if created or _has_night_windows(interpreter):
            # Also repairs what older demo loads stored (windows starting 17:00 JST).
            interpreter.availabilities.all().delete()
            for day in range(60):
                start = today + timedelta(days=day, hours=DEMO_START_HOUR)
                Availability.objects.create(
                    interpreter=interpreter, starts_at=start, ends_at=start + timedelta(hours=10)
                )
        done += 1
        progress(done, steps)
    resident = ensure_demo_account(username="resident", display_name="県民 さが太郎")
    services.save_text119_profile(
        user=resident,
        data=services.ProfileInput(
            full_name="佐賀 太郎",
            full_name_kana="さが たろう",
            municipality_code="412015",
            address="佐賀市城内1丁目1-59",
            hearing="ろう（音声での会話はできません）",
            medical_notes="高血圧（降圧薬服用中）",
            shares_medical_notes=True,
            contacts="佐賀 花子（妻） hanako@demo.kurashi.invalid",
        ),
    )
    done += 1
    captioner = users.get("access-captioner")
    if (
        captioner is not None
        and not CaptionSession.objects.filter(title__startswith="【デモ】").exists()
    ):
        session = services.start_caption_session(
            actor=captioner,
            title="【デモ】災害時の情報保障 講演会",
            venue="佐賀県庁 大会議室",
            team=[u for k, u in users.items() if k == "access-captioner-2"],
        )
        for line in data["caption_lines"]:
            services.post_caption(actor=captioner, session=session, text=line)
    done += 1
    progress(done, steps)
    return done


def _has_night_windows(interpreter: Interpreter) -> bool:
    first = interpreter.availabilities.order_by("starts_at").first()
    return first is not None and timezone.localtime(first.starts_at).hour != DEMO_START_HOUR
