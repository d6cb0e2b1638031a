from kurashi.core import demo as core_demo
from kurashi.core.models import User
from kurashi.core.permissions import has_permission
from kurashi.modules.ems.demo import load_demo_facilities, load_demo_members
from kurashi.modules.ems.models import Ambulance, Hospital
from kurashi.modules.ems.selectors import is_coordinator


def test_demo_loaders_are_idempotent_and_build_a_usable_world(db: None, settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    settings.VAR_DIR = tmp_path
    steps: list[tuple[int, int]] = []
    core_demo.load_organisations(lambda done, total: None)
    core_demo.load_demo_staff(lambda done, total: None)
    for _run in range(2):
        load_demo_facilities(lambda done, total: steps.append((done, total)))
        load_demo_members(lambda done, total: None)
    assert Hospital.objects.count() == 20
    assert Hospital.objects.filter(tier="tertiary").count() == 4
    assert Hospital.objects.filter(is_demo=False).count() == 0
    assert Ambulance.objects.count() == 16
    assert steps[-1][0] == steps[-1][1]
    koseikan = Hospital.objects.get(organisation__slug="koseikan")
    staff = User.objects.get(username="koseikan-staff")
    assert has_permission(staff, "ems.manage_acceptance", organisation_id=koseikan.organisation_id)
    assert is_coordinator(User.objects.get(username="ems-coordinator"))
    crew = User.objects.get(username="saga-fire-crew")
    assert crew.check_password(
        core_demo.credentials_path().read_text().split("password: ")[1].split()[0]
    )
