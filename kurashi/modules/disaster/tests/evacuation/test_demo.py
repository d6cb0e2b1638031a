"""The demo loader: roles, memberships, and the extra account saga-city-chief sharing the demo
password from var/demo-credentials.txt."""

from pathlib import Path

import pytest
from django.test import override_settings

from kurashi.core.models import Organisation, User
from kurashi.core.permissions import has_permission
from kurashi.core.services import RoleSpec, ensure_role
from kurashi.modules.disaster.services.evacuation import load_evacuation_demo
from kurashi.modules.disaster.tests.evacuation.conftest import APPROVE, DRAFT, KARATSU, SAGA
from kurashi.testing import make_user


def test_loads_roles_memberships_and_the_chief(
    saga_city: Organisation, karatsu_city: Organisation, prefecture: Organisation, tmp_path: Path
) -> None:
    ensure_role(RoleSpec("staff", "職員", "Staff", ()))
    for name in ("saga-city-staff", "karatsu-staff", "bousai-staff"):
        make_user(name)
    (tmp_path / "demo-credentials.txt").write_text(
        "Kurashi demo accounts\nusernames: saga-city-staff, karatsu-staff, bousai-staff, resident\n"
        "password: demo-secret-123\n",
        encoding="utf-8",
    )
    steps: list[tuple[int, int]] = []

    with override_settings(VAR_DIR=tmp_path):
        assert load_evacuation_demo(lambda done, total: steps.append((done, total))) == 6
        load_evacuation_demo(lambda done, total: None)  # idempotent

    def user(name: str) -> User:
        return User.objects.get(username=name)

    assert steps[-1] == (6, 6)
    assert has_permission(user("saga-city-staff"), DRAFT, municipality_code=SAGA)
    assert not has_permission(user("saga-city-staff"), APPROVE, municipality_code=SAGA)
    assert has_permission(user("karatsu-staff"), DRAFT, municipality_code=KARATSU)
    assert not has_permission(user("karatsu-staff"), DRAFT, municipality_code=SAGA)
    assert has_permission(user("bousai-staff"), APPROVE, municipality_code=KARATSU)
    chief = user("saga-city-chief")
    assert chief.check_password("demo-secret-123")
    assert has_permission(chief, APPROVE, municipality_code=SAGA)
    assert not has_permission(chief, APPROVE, municipality_code=KARATSU)
    credentials = (tmp_path / "demo-credentials.txt").read_text(encoding="utf-8")
    assert (
        "usernames: saga-city-staff, karatsu-staff, bousai-staff, resident, saga-city-chief\n"
        in credentials
    )
    assert credentials.count("saga-city-chief") == 1
    assert (tmp_path / "demo-credentials.txt").stat().st_mode & 0o777 == 0o600


@pytest.mark.parametrize("key", ["disaster-evacuation"])
def test_the_loader_runs_after_the_demo_staff(key: str) -> None:
    from kurashi.core import hooks

    loader = hooks.demo_loaders.get(key)
    staff = hooks.demo_loaders.get("demo-staff")
    assert loader is not None
    assert staff is not None
    assert loader.order > staff.order
