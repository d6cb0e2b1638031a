"""Demo data of field reports: the moderator role and memberships, and the demo reports."""

import pytest

from kurashi.core import hooks
from kurashi.core.models import Membership, Organisation
from kurashi.core.permissions import has_permission
from kurashi.modules.disaster.models.reports import FieldReport
from kurashi.modules.disaster.services.reports import load_demo_moderators, load_demo_reports
from kurashi.testing import make_organisation, make_user

pytestmark = pytest.mark.django_db


def noop(done: int, total: int) -> None:
    pass


def test_loaders_are_registered_after_the_demo_staff() -> None:
    moderators = hooks.demo_loaders.get("disaster-report-moderators")
    reports = hooks.demo_loaders.get("disaster-reports")
    staff = hooks.demo_loaders.get("demo-staff")

    assert moderators is not None
    assert reports is not None
    assert staff is not None
    assert staff.order < moderators.order < reports.order


def test_map_layer_is_registered() -> None:
    layer = hooks.map_layers.get("reports")

    assert layer is not None
    assert (layer.geojson_url_name, layer.kind) == ("disaster:reports-geojson", "points")


def test_demo_moderators_of_saga_and_karatsu(db: None) -> None:
    saga = make_organisation(municipality_code="412015", slug="municipality-412015")
    karatsu = make_organisation(municipality_code="412023", slug="municipality-412023")
    saga_staff, karatsu_staff = make_user("saga-city-staff"), make_user("karatsu-staff")

    load_demo_moderators(noop)
    load_demo_moderators(noop)  # idempotent

    assert Membership.objects.filter(role__code="report-moderator").count() == 2
    assert has_permission(saga_staff, "disaster.moderate_report", municipality_code="412015")
    assert not has_permission(saga_staff, "disaster.moderate_report", municipality_code="412023")
    assert has_permission(karatsu_staff, "disaster.moderate_report", municipality_code="412023")
    assert {saga.pk, karatsu.pk} == set(Organisation.objects.values_list("pk", flat=True))


def test_demo_reports_are_idempotent_and_inside_saga() -> None:
    first = load_demo_reports(noop)
    second = load_demo_reports(noop)

    assert first == second == FieldReport.objects.count() == 7
    states = sorted(FieldReport.objects.values_list("state", flat=True))
    assert states.count("published") == 3
    assert states.count("received") == 4
    assert set(FieldReport.objects.values_list("municipality_code", flat=True)) == {
        "412015",
        "412023",
        "412066",
        "412082",
    }
