import json
from pathlib import Path

import pytest
from django.core.exceptions import ValidationError

from kurashi.core.codes import is_valid_code
from kurashi.core.models import AuditEvent, Membership, Municipality, Organisation, Prefecture
from kurashi.core.services import (
    DATA_DIR,
    RoleSpec,
    add_membership,
    ensure_organisation,
    ensure_role,
    load_municipalities,
    remove_membership,
)
from kurashi.core.tests.saga import SAGA_MUNICIPALITIES
from kurashi.testing import make_role, make_user


def test_database_holds_exactly_the_20_saga_municipalities(db: None) -> None:
    rows = [
        (m.code, m.name_ja, m.name_kana, m.name_en, m.kind)
        for m in Municipality.objects.order_by("code")
    ]
    assert rows == [tuple(row) for row in SAGA_MUNICIPALITIES]


def test_every_municipality_code_has_a_valid_check_digit(db: None) -> None:
    codes = list(Municipality.objects.values_list("code", flat=True))
    assert len(codes) == 20
    assert [code for code in codes if not is_valid_code(code)] == []


def test_every_municipality_belongs_to_saga_prefecture_with_a_boundary(db: None) -> None:
    prefecture = Prefecture.objects.get()
    assert (prefecture.code, prefecture.name_ja, prefecture.name_en) == (
        "410004",
        "佐賀県",
        "Saga Prefecture",
    )
    assert Municipality.objects.filter(prefecture=prefecture).count() == 20
    assert Municipality.objects.filter(boundary_geojson__isnull=True).count() == 0
    saga = Municipality.objects.get(code="412015")
    assert saga.boundary_geojson["type"] in {"Polygon", "MultiPolygon"}
    # 佐賀県庁 (33.2494, 130.2988) lies inside 佐賀市's bounding box.
    assert saga.min_lon < 130.2988 < saga.max_lon  # type: ignore[operator]
    assert saga.min_lat < 33.2494 < saga.max_lat  # type: ignore[operator]


def test_municipality_keeps_jma_forecast_area_codes(db: None) -> None:
    karatsu = Municipality.objects.get(code="412023")
    assert (karatsu.jma_class20_code, karatsu.jma_class15_code, karatsu.jma_class10_code) == (
        "4120200",
        "410021",
        "410020",
    )


def test_loading_municipalities_again_changes_no_row_count(db: None) -> None:
    before = list(Municipality.objects.order_by("code").values_list("pk", "code", "name_ja"))

    assert load_municipalities() == 20

    assert (
        list(Municipality.objects.order_by("code").values_list("pk", "code", "name_ja")) == before
    )
    assert Prefecture.objects.count() == 1


def test_rejects_boundary_of_unknown_municipality_and_changes_nothing(
    db: None, tmp_path: Path
) -> None:
    collection = json.loads((DATA_DIR / "saga-municipalities.geojson").read_text(encoding="utf-8"))
    collection["features"][0]["properties"]["N03_007"] = "40130"  # 福岡市, not in Saga
    boundaries = tmp_path / "boundaries.geojson"
    boundaries.write_text(json.dumps(collection), encoding="utf-8")
    Municipality.objects.filter(code="412015").update(name_en="unchanged marker")

    with pytest.raises(ValidationError, match="401307"):
        load_municipalities(boundaries_path=boundaries)

    assert Municipality.objects.get(code="412015").name_en == "unchanged marker"
    assert Municipality.objects.count() == 20


def test_rejects_code_list_with_a_wrong_check_digit(db: None, tmp_path: Path) -> None:
    codes = (DATA_DIR / "saga_area_codes.csv").read_text(encoding="utf-8")
    broken = tmp_path / "codes.csv"
    broken.write_text(codes.replace("412015,佐賀市", "412016,佐賀市"), encoding="utf-8")

    with pytest.raises(ValueError, match="412016"):
        load_municipalities(codes_path=broken)


def test_rejects_missing_boundary(db: None, tmp_path: Path) -> None:
    collection = json.loads((DATA_DIR / "saga-municipalities.geojson").read_text(encoding="utf-8"))
    collection["features"] = [
        f for f in collection["features"] if f["properties"]["N03_007"] != "41441"
    ]
    boundaries = tmp_path / "boundaries.geojson"
    boundaries.write_text(json.dumps(collection), encoding="utf-8")

    with pytest.raises(ValidationError, match="414417"):
        load_municipalities(boundaries_path=boundaries)


def test_ensure_role_holds_exactly_the_listed_permissions(db: None) -> None:
    spec = RoleSpec("reporter", "担当", "Reporter", ("core.manage_members",))
    ensure_role(spec)
    role = ensure_role(RoleSpec("reporter", "担当", "Reporter", ("plan.report_progress",)))

    assert [f"{p.content_type.app_label}.{p.codename}" for p in role.permissions.all()] == [
        "plan.report_progress"
    ]


def test_ensure_role_rejects_unknown_permission(db: None) -> None:
    with pytest.raises(ValidationError, match=r"core\.fly"):
        ensure_role(RoleSpec("pilot", "操縦", "Pilot", ("core.fly",)))


def test_ensure_organisation_updates_in_place(db: None) -> None:
    first = ensure_organisation(
        slug="karatsu-fire",
        kind=Organisation.Kind.FIRE_HQ,
        name_ja="唐津市消防本部",
        municipality_code="412023",
        jurisdiction_codes=("412023", "413879"),
    )
    second = ensure_organisation(
        slug="karatsu-fire",
        kind=Organisation.Kind.FIRE_HQ,
        name_ja="唐津市消防本部",
        name_en="Karatsu City Fire Department",
        municipality_code="412023",
        jurisdiction_codes=("412023",),
    )

    assert second.pk == first.pk
    assert Organisation.objects.filter(slug="karatsu-fire").count() == 1
    assert second.name_en == "Karatsu City Fire Department"
    assert list(second.jurisdiction.values_list("code", flat=True)) == ["412023"]


def test_ensure_organisation_rejects_invalid_slug_and_saves_nothing(db: None) -> None:
    with pytest.raises(ValidationError) as error:
        ensure_organisation(
            slug="not a slug!",
            kind=Organisation.Kind.HOSPITAL,
            name_ja="病院",
            municipality_code="412015",
        )

    assert list(error.value.message_dict) == ["slug"]

    assert Organisation.objects.filter(name_ja="病院").exists() is False


def test_refuses_municipality_organisation_without_municipality(db: None) -> None:
    with pytest.raises(ValidationError, match="core_organisation_municipality_has_municipality"):
        ensure_organisation(slug="nowhere", kind=Organisation.Kind.MUNICIPALITY, name_ja="どこか")

    assert Organisation.objects.filter(slug="nowhere").exists() is False


def test_add_membership_is_idempotent_and_audited_once(karatsu: Organisation) -> None:
    actor = make_user("admin")
    user = make_user("new-staff")
    role = make_role(code="staff")

    first = add_membership(actor=actor, user=user, organisation=karatsu, role=role)
    second = add_membership(actor=actor, user=user, organisation=karatsu, role=role)

    assert second.pk == first.pk
    assert Membership.objects.filter(user=user).count() == 1
    events = list(AuditEvent.objects.filter(action="core.membership.add"))
    assert [(e.actor_id, e.object_id, e.organisation_id, e.detail) for e in events] == [
        (actor.pk, str(first.pk), karatsu.pk, {"user": "new-staff", "role": "staff"})
    ]


def test_remove_membership_deletes_the_row_and_audits_it(karatsu: Organisation) -> None:
    actor = make_user("admin")
    user = make_user("leaving")
    membership = Membership.objects.create(
        user=user, organisation=karatsu, role=make_role(code="staff")
    )
    membership_id = membership.pk

    remove_membership(actor=actor, membership=membership)

    assert Membership.objects.filter(pk=membership_id).exists() is False
    event = AuditEvent.objects.get(action="core.membership.remove")
    assert (event.actor_id, event.object_type, event.object_id, event.organisation_id) == (
        actor.pk,
        "core.membership",
        str(membership_id),
        karatsu.pk,
    )
    assert event.detail == {"user": "leaving", "role": "staff"}
