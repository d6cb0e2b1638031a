"""`kurashi demo`: the Saga demo data of the core and the plan, idempotent."""

import stat
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Count
from django.test import override_settings

from kurashi.core import hooks
from kurashi.core.models import AuditEvent, Membership, Municipality, Organisation, Role, User
from kurashi.core.tests.registries import only

# The loaders of the shared kernel and the plan; other modules test their own demo data.
KERNEL_LOADERS = ("municipalities", "organisations", "plan-departments", "demo-staff")
DEMO_USERNAMES = [
    "bousai-staff",
    "ict-staff",
    "karatsu-staff",
    "koseikan-staff",
    "resident",
    "saga-city-staff",
    "saga-fire-crew",
]


@pytest.fixture
def var_dir(db: None, tmp_path: Path) -> Iterator[Path]:
    loaders = [hooks.demo_loaders.get(key) for key in KERNEL_LOADERS]
    with override_settings(VAR_DIR=tmp_path), only(hooks.demo_loaders, *loaders):
        yield tmp_path


def run_demo() -> str:
    out = StringIO()
    call_command("demo", "--no-progress", stdout=out)
    return out.getvalue()


def row_counts() -> dict[str, int]:
    return {
        "municipalities": Municipality.objects.count(),
        "organisations": Organisation.objects.count(),
        "roles": Role.objects.count(),
        "users": User.objects.count(),
        "memberships": Membership.objects.count(),
        "audit_events": AuditEvent.objects.count(),
    }


def test_loads_municipalities_organisations_roles_and_demo_staff(var_dir: Path) -> None:
    output = run_demo()

    assert row_counts() == {
        "municipalities": 20,
        # 20 municipal + 5 fire HQs + 5 others (hospitals, library, CSO) + 19 plan departments
        "organisations": 49,
        "roles": 3,
        "users": 7,
        "memberships": 11,
        "audit_events": 11,  # one core.membership.add per membership
    }
    kinds = dict(
        Organisation.objects.values_list("kind").annotate(n=Count("pk")).values_list("kind", "n")
    )
    assert kinds == {
        "municipality": 20,
        "fire_hq": 5,
        "hospital": 3,
        "library": 1,
        "cso": 1,
        "prefectural_department": 19,
    }
    assert sorted(Role.objects.values_list("code", flat=True)) == [
        "org-admin",
        "plan-reporter",
        "staff",
    ]
    assert sorted(User.objects.values_list("username", flat=True)) == DEMO_USERNAMES
    assert output.splitlines()[-1] == "Demo data loaded."


def test_running_the_demo_twice_changes_no_row_count(var_dir: Path) -> None:
    run_demo()
    first = row_counts()
    organisations = list(Organisation.objects.order_by("slug").values_list("pk", "slug"))

    run_demo()

    assert row_counts() == first
    assert list(Organisation.objects.order_by("slug").values_list("pk", "slug")) == organisations


def test_every_municipality_gets_its_organisation(var_dir: Path) -> None:
    run_demo()

    municipal = Organisation.objects.filter(kind=Organisation.Kind.MUNICIPALITY)
    assert sorted(municipal.values_list("slug", "municipality__code")) == [
        (f"municipality-{code}", code)
        for code in Municipality.objects.order_by("code").values_list("code", flat=True)
    ]


def test_fire_headquarters_together_serve_every_municipality_once(var_dir: Path) -> None:
    run_demo()

    served = [
        code
        for hq in Organisation.objects.filter(kind=Organisation.Kind.FIRE_HQ)
        for code in hq.jurisdiction.values_list("code", flat=True)
    ]
    assert sorted(served) == sorted(Municipality.objects.values_list("code", flat=True))


def test_demo_staff_get_their_roles(var_dir: Path) -> None:
    run_demo()

    roles = sorted(
        Membership.objects.filter(user__username="bousai-staff").values_list(
            "organisation__name_ja", "role__code"
        )
    )
    assert roles == [("消防防災課", "plan-reporter"), ("消防防災課", "staff")]
    assert Organisation.objects.get(name_ja="消防防災課").covers_whole_prefecture is True


def test_writes_the_shared_password_readable_by_the_owner_only(var_dir: Path) -> None:
    run_demo()

    path = var_dir / "demo-credentials.txt"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[1] == (
        "usernames: saga-city-staff, karatsu-staff, bousai-staff, ict-staff, koseikan-staff, "
        "saga-fire-crew, resident"
    )
    password = lines[2].removeprefix("password: ")
    assert [
        u.username for u in User.objects.order_by("username") if u.check_password(password)
    ] == (DEMO_USERNAMES)


def test_keeps_the_password_when_run_again(var_dir: Path) -> None:
    run_demo()
    path = var_dir / "demo-credentials.txt"
    first = path.read_text(encoding="utf-8")
    path.chmod(0o644)

    run_demo()

    assert path.read_text(encoding="utf-8") == first
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_rejects_unknown_loader_and_loads_nothing(var_dir: Path) -> None:
    err = StringIO()

    with pytest.raises(SystemExit) as exit_info:
        call_command("demo", "--no-progress", "--only", "shelters", stderr=err)

    assert exit_info.value.code == 2
    assert err.getvalue().startswith("Unknown demo loaders: shelters.")
    assert Organisation.objects.count() == 0
    assert not (var_dir / "demo-credentials.txt").exists()


def test_loads_only_the_named_loaders(var_dir: Path) -> None:
    call_command(
        "demo", "--no-progress", "--only", "municipalities", "organisations", stdout=StringIO()
    )

    assert (Organisation.objects.count(), Role.objects.count(), User.objects.count()) == (30, 3, 0)
