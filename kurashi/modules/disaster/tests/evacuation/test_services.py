"""The evacuation workflow: draft → pending → published / rejected, two-person rule, 解除, area
validation, the Alert revisions it records and the audit trail."""

import json
from collections.abc import Iterator

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import translation

from kurashi.core.models import AuditEvent, User
from kurashi.modules.disaster.models import Alert, EvacuationOrder
from kurashi.modules.disaster.selectors.alerts import current_alerts, municipality_levels
from kurashi.modules.disaster.services import evacuation as services
from kurashi.modules.disaster.tests.evacuation.conftest import (
    KARATSU,
    KARATSU_SQUARE,
    SAGA,
    SAGA_SQUARE,
    OrderMaker,
    content,
)


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    """Service errors are asserted in English (the msgids); pages are tested in Japanese."""
    with translation.override("en"):
        yield


def actions(order: EvacuationOrder) -> list[str]:
    return list(
        AuditEvent.objects.filter(object_type="disaster.evacuationorder", object_id=str(order.pk))
        .order_by("at", "id")
        .values_list("action", flat=True)
    )


def test_drafts_an_order_for_the_whole_municipality(drafter: User) -> None:
    order = services.draft_evacuation_order(actor=drafter, content=content())

    assert order.state == EvacuationOrder.State.DRAFT
    assert order.drafted_by == drafter
    assert order.is_whole_municipality is True
    assert order.area_geojson is None
    assert order.chain_root_id is None
    assert actions(order) == ["disaster.evacuation.draft"]
    assert Alert.objects.count() == 0


def test_draft_requires_the_permission_for_that_municipality(
    karatsu_approver: User, staff_without: User, resident: User
) -> None:
    for actor in (karatsu_approver, staff_without, resident):
        with pytest.raises(PermissionDenied):
            services.draft_evacuation_order(actor=actor, content=content())
    assert EvacuationOrder.objects.count() == 0
    assert AuditEvent.objects.filter(action__startswith="disaster.evacuation").count() == 0


def test_rejects_an_order_without_a_japanese_message(drafter: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.draft_evacuation_order(actor=drafter, content=content(message_ja="  "))

    assert error.value.message_dict == {"message_ja": ["The Japanese message is required."]}
    assert EvacuationOrder.objects.count() == 0


def test_a_partial_area_needs_districts_or_a_polygon(drafter: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.draft_evacuation_order(actor=drafter, content=content(is_whole_municipality=False))

    assert "districts" in error.value.message_dict


def test_keeps_districts_one_per_line_and_the_polygon(drafter: User) -> None:
    order = services.draft_evacuation_order(
        actor=drafter,
        content=content(
            is_whole_municipality=False,
            districts=" 兵庫町\n\n本庄町 \n",
            area_geojson=SAGA_SQUARE,
        ),
    )

    assert order.districts == "兵庫町\n本庄町"
    assert order.district_list == ["兵庫町", "本庄町"]
    assert order.area_geojson == SAGA_SQUARE


def test_whole_municipality_drops_districts_and_polygon(drafter: User) -> None:
    order = services.draft_evacuation_order(
        actor=drafter, content=content(districts="兵庫町", area_geojson=SAGA_SQUARE)
    )

    assert order.districts == ""
    assert order.area_geojson is None


@pytest.mark.parametrize(
    ("_case", "raw", "message"),
    [
        ("not json", "{nope", "The drawn area is not valid GeoJSON"),
        ("a point", '{"type": "Point", "coordinates": [130.3, 33.26]}', "not Point"),
        ("a list", "[1, 2]", "must be a GeoJSON object"),
        (
            "two features",
            json.dumps(
                {
                    "type": "FeatureCollection",
                    "features": [
                        {"type": "Feature", "geometry": SAGA_SQUARE},
                        {"type": "Feature", "geometry": SAGA_SQUARE},
                    ],
                }
            ),
            "not 2 features",
        ),
    ],
)
def test_parse_area_rejects_what_is_not_one_polygon(_case: str, raw: str, message: str) -> None:
    with pytest.raises(ValidationError) as error:
        services.parse_area_geojson(raw)

    assert message in error.value.messages[0]


def test_parse_area_unwraps_a_feature() -> None:
    raw = json.dumps({"type": "Feature", "properties": {}, "geometry": SAGA_SQUARE})

    assert services.parse_area_geojson(raw) == SAGA_SQUARE
    assert services.parse_area_geojson("  ") is None


def test_rejects_a_polygon_outside_the_municipality(drafter: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.draft_evacuation_order(
            actor=drafter,
            content=content(is_whole_municipality=False, area_geojson=KARATSU_SQUARE),
        )

    assert error.value.message_dict["area_geojson"] == [
        "The drawn area is not inside 佐賀市: 100% of it lies outside the municipality's boundary."
    ]
    assert EvacuationOrder.objects.count() == 0


def test_accepts_a_polygon_slightly_over_the_boundary(drafter: User) -> None:
    """Boundaries are simplified (~100 m) and staff draw by hand: a small overlap is tolerated."""
    from shapely.geometry import mapping

    from kurashi.core.geo import boundary_index

    boundary = boundary_index().geometry_of(SAGA)
    point = boundary.representative_point()
    # A polygon of the boundary itself grown by ~100 m everywhere.
    grown = boundary.buffer(0.001).simplify(0.0005)
    assert grown.contains(point)

    order = services.draft_evacuation_order(
        actor=drafter,
        content=content(is_whole_municipality=False, area_geojson=dict(mapping(grown))),
    )

    assert order.area_geojson is not None


def test_rejects_a_self_crossing_polygon(drafter: User) -> None:
    bow_tie = {
        "type": "Polygon",
        "coordinates": [
            [[130.29, 33.25], [130.31, 33.27], [130.31, 33.25], [130.29, 33.27], [130.29, 33.25]]
        ],
    }
    with pytest.raises(ValidationError) as error:
        services.draft_evacuation_order(
            actor=drafter, content=content(is_whole_municipality=False, area_geojson=bow_tie)
        )

    assert error.value.message_dict["area_geojson"][0].startswith("The drawn area crosses itself")


def test_rejects_coordinates_that_are_not_lon_lat(drafter: User) -> None:
    swapped = {
        "type": "Polygon",
        "coordinates": [[[33.25, 130.29], [33.25, 130.31], [33.27, 130.31], [33.25, 130.29]]],
    }
    with pytest.raises(ValidationError) as error:
        services.draft_evacuation_order(
            actor=drafter, content=content(is_whole_municipality=False, area_geojson=swapped)
        )

    assert error.value.message_dict["area_geojson"] == [
        "The drawn area's coordinates are not longitude/latitude (WGS84)."
    ]


def test_submit_moves_a_draft_to_pending(make_order: OrderMaker, drafter: User) -> None:
    order = make_order()

    order = services.submit_evacuation_order(actor=drafter, order=order)

    assert order.state == EvacuationOrder.State.PENDING
    assert order.submitted_at is not None
    assert actions(order) == ["disaster.evacuation.draft", "disaster.evacuation.submit"]


def test_only_the_drafter_submits(make_order: OrderMaker, approver: User) -> None:
    order = make_order()

    with pytest.raises(PermissionDenied):
        services.submit_evacuation_order(actor=approver, order=order)
    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.DRAFT


def test_approval_publishes_and_records_an_alert(
    make_order: OrderMaker, approver: User, drafter: User
) -> None:
    order = make_order(state="pending")

    alert = services.approve_evacuation_order(actor=approver, order=order)

    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.PUBLISHED
    assert order.approved_by == approver
    assert order.published_at is not None
    assert alert.source == Alert.Source.EVACUATION
    assert alert.msg_type == Alert.MsgType.ALERT
    assert alert.status == Alert.Status.ACTUAL
    assert alert.event_key == f"evacuation:{SAGA}:{order.pk}"
    assert alert.identifier == f"urn:kurashi:{SAGA}:evacuation:{order.pk}"
    assert alert.area_levels == {SAGA: 4}
    assert alert.level == 4
    assert alert.evacuation_order == order
    assert alert.sender_name_ja == "佐賀市"
    assert alert.area_description_ja == "佐賀市全域"
    assert alert.texts["ja"] == {
        "event": "避難指示",
        "headline": "【警戒レベル4】避難指示 佐賀市全域",
        "description": "佐賀市は、市内全域に避難指示を発令しました。",
        "instruction": "危険な場所から全員避難してください。",
    }
    assert alert.texts["en"]["headline"] == "[Alert Level 4] Evacuation order: Saga City"
    assert alert.texts["ja-x-easy"]["description"] == "みんな にげて ください。"
    assert municipality_levels() == {SAGA: 4}
    assert actions(order)[-1] == "disaster.evacuation.approve"


def test_a_prefecture_approver_may_approve(
    make_order: OrderMaker, prefecture_approver: User
) -> None:
    order = make_order(state="pending")

    services.approve_evacuation_order(actor=prefecture_approver, order=order)

    order.refresh_from_db()
    assert order.approved_by == prefecture_approver


@pytest.mark.parametrize("actor_name", ["karatsu_approver", "staff_without", "resident", "drafter"])
def test_others_cannot_approve_and_nothing_changes(
    make_order: OrderMaker, actor_name: str, request: pytest.FixtureRequest
) -> None:
    order = make_order(state="pending")
    before = actions(order)
    actor = request.getfixturevalue(actor_name)

    with pytest.raises(PermissionDenied):
        services.approve_evacuation_order(actor=actor, order=order)

    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.PENDING
    assert order.approved_by is None
    assert Alert.objects.count() == 0
    assert actions(order) == before


def test_drafter_holding_approve_cannot_approve_own_order(
    approver: User, second_approver: User
) -> None:
    order = services.draft_evacuation_order(actor=approver, content=content())
    services.submit_evacuation_order(actor=approver, order=order)

    with pytest.raises(PermissionDenied, match="second staff member"):
        services.approve_evacuation_order(actor=approver, order=order)

    services.approve_evacuation_order(actor=second_approver, order=order)
    order.refresh_from_db()
    assert order.approved_by == second_approver


def test_database_refuses_drafter_as_approver(make_order: OrderMaker, drafter: User) -> None:
    order = make_order(state="pending")

    with pytest.raises(IntegrityError), transaction.atomic():
        EvacuationOrder.objects.filter(pk=order.pk).update(state="published", approved_by=drafter)


def test_cannot_approve_a_draft(make_order: OrderMaker, approver: User) -> None:
    order = make_order()

    with pytest.raises(services.EvacuationOrderError):
        services.approve_evacuation_order(actor=approver, order=order)
    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.DRAFT
    assert Alert.objects.count() == 0


def test_second_approval_of_a_stale_copy_fails(
    make_order: OrderMaker, approver: User, second_approver: User
) -> None:
    """Both approvers opened the preview while pending; the second click changes nothing."""
    order = make_order(state="pending")
    copy_a = EvacuationOrder.objects.get(pk=order.pk)
    copy_b = EvacuationOrder.objects.get(pk=order.pk)

    services.approve_evacuation_order(actor=approver, order=copy_a)
    with pytest.raises(services.EvacuationOrderError, match="no longer waiting"):
        services.approve_evacuation_order(actor=second_approver, order=copy_b)

    order.refresh_from_db()
    assert order.approved_by == approver
    assert Alert.objects.count() == 1


def test_reject_needs_a_reason_and_keeps_it(
    make_order: OrderMaker, approver: User, drafter: User
) -> None:
    order = make_order(state="pending")
    with pytest.raises(ValidationError):
        services.reject_evacuation_order(actor=approver, order=order, reason=" ")

    order = services.reject_evacuation_order(actor=approver, order=order, reason="地区名が違う")

    assert order.state == EvacuationOrder.State.REJECTED
    assert order.rejected_by == approver
    assert order.rejection_reason == "地区名が違う"
    assert Alert.objects.count() == 0
    event = AuditEvent.objects.get(action="disaster.evacuation.reject")
    assert event.detail["reason"] == "地区名が違う"


def test_a_rejected_order_is_edited_and_submitted_again(
    make_order: OrderMaker, approver: User, drafter: User
) -> None:
    order = make_order(state="rejected", approved_by=approver)

    order = services.edit_evacuation_order(
        actor=drafter, order=order, content=content(level=5, message_ja="緊急安全確保")
    )
    order = services.submit_evacuation_order(actor=drafter, order=order)

    assert order.state == EvacuationOrder.State.PENDING
    assert order.level == 5
    assert order.message_ja == "緊急安全確保"


def test_only_the_drafter_edits(make_order: OrderMaker, approver: User) -> None:
    order = make_order()

    with pytest.raises(PermissionDenied):
        services.edit_evacuation_order(actor=approver, order=order, content=content(level=5))
    order.refresh_from_db()
    assert order.level == 4


def test_a_pending_order_cannot_be_edited(make_order: OrderMaker, drafter: User) -> None:
    order = make_order(state="pending")

    with pytest.raises(services.EvacuationOrderError):
        services.edit_evacuation_order(actor=drafter, order=order, content=content(level=5))
    order.refresh_from_db()
    assert order.level == 4


def test_withdraw_returns_a_pending_order_to_draft(make_order: OrderMaker, drafter: User) -> None:
    order = make_order(state="pending")

    order = services.withdraw_evacuation_order(actor=drafter, order=order)

    assert order.state == EvacuationOrder.State.DRAFT
    assert order.submitted_at is None


def test_an_update_supersedes_and_records_an_update_revision(
    make_order: OrderMaker, approver: User
) -> None:
    first = make_order(state="published", approved_by=approver)
    second = make_order(state="pending", replaces=first, level=5, message_ja="緊急安全確保")

    alert = services.approve_evacuation_order(actor=approver, order=second)

    first.refresh_from_db()
    assert first.state == EvacuationOrder.State.SUPERSEDED
    assert second.chain_root_id == first.pk
    assert alert.msg_type == Alert.MsgType.UPDATE
    assert alert.references is not None
    assert alert.references.evacuation_order == first
    assert alert.event_key == f"evacuation:{SAGA}:{first.pk}"
    assert alert.revision == 2
    assert municipality_levels() == {SAGA: 5}
    assert [a.identifier for a in current_alerts()] == [alert.identifier]


def test_lifting_records_a_cancel_and_clears_the_level(
    make_order: OrderMaker, approver: User
) -> None:
    first = make_order(state="published", approved_by=approver)
    lift = make_order(
        state="pending", replaces=first, level=0, message_ja="避難指示を解除しました。"
    )

    alert = services.approve_evacuation_order(actor=approver, order=lift)

    first.refresh_from_db()
    lift.refresh_from_db()
    assert first.state == EvacuationOrder.State.SUPERSEDED
    assert lift.state == EvacuationOrder.State.PUBLISHED
    assert alert.msg_type == Alert.MsgType.CANCEL
    assert alert.level == 0
    assert alert.area_levels == {SAGA: 0}
    assert alert.texts["ja"]["headline"] == "【解除】避難指示 佐賀市全域"
    assert alert.texts["ja"]["event"] == "避難指示 解除"
    assert municipality_levels() == {}


def test_lifting_needs_an_order_in_force(drafter: User) -> None:
    with pytest.raises(ValidationError) as error:
        services.draft_evacuation_order(actor=drafter, content=content(level=0))

    assert error.value.message_dict["level"] == [
        "解除 (lifting) needs the published order it lifts."
    ]


def test_cannot_update_an_order_of_another_municipality(
    make_order: OrderMaker, approver: User, karatsu_approver: User
) -> None:
    first = make_order(state="published", approved_by=approver)

    with pytest.raises(PermissionDenied):
        services.draft_evacuation_order(
            actor=karatsu_approver, content=content(municipality_code=KARATSU), replaces=first
        )


def test_approving_an_update_of_a_replaced_order_fails_and_changes_nothing(
    make_order: OrderMaker, approver: User, second_approver: User
) -> None:
    first = make_order(state="published", approved_by=approver)
    update_a = make_order(state="pending", replaces=first, level=5)
    update_b = make_order(state="pending", replaces=first, level=3)
    services.approve_evacuation_order(actor=approver, order=update_a)

    with pytest.raises(services.EvacuationOrderError, match="no longer in force"):
        services.approve_evacuation_order(actor=second_approver, order=update_b)

    update_b.refresh_from_db()
    assert update_b.state == EvacuationOrder.State.PENDING
    assert update_b.approved_by is None
    assert municipality_levels() == {SAGA: 5}
    assert Alert.objects.count() == 2


def test_an_exercise_is_recorded_as_exercise_and_never_shown(
    make_order: OrderMaker, approver: User
) -> None:
    order = make_order(state="published", approved_by=approver, is_exercise=True)

    alert = Alert.objects.get(evacuation_order=order)
    assert alert.status == Alert.Status.EXERCISE
    assert municipality_levels() == {}
    assert municipality_levels(include_exercise=True) == {SAGA: 4}


def test_an_update_keeps_the_exercise_flag(make_order: OrderMaker, approver: User) -> None:
    first = make_order(state="published", approved_by=approver, is_exercise=True)

    with pytest.raises(ValidationError) as error:
        make_order(replaces=first, is_exercise=False)

    assert "is_exercise" in error.value.message_dict
