"""Staff pages: four actors (anonymous, resident, staff without the permission, staff with it,
plus staff of another municipality) for drafting and for approving; nothing changes on denial."""

import json

import pytest
from django.test import Client
from django.urls import reverse

from kurashi.core.models import AuditEvent, User
from kurashi.modules.disaster.models import Alert, EvacuationOrder
from kurashi.modules.disaster.selectors.alerts import municipality_levels
from kurashi.modules.disaster.tests.evacuation.conftest import SAGA, SAGA_SQUARE, OrderMaker

NEW_URL = "/disaster/evacuation/new/"
LIST_URL = "/disaster/evacuation/"


def form_data(**overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "action": "save",
        "municipality_code": SAGA,
        "level": "4",
        "hazard": "flood",
        "is_whole_municipality": "whole",
        "districts": "",
        "area_geojson": "",
        "households": "120",
        "people": "300",
        "message_ja": "避難指示を発令しました。",
        "message_easy_ja": "",
        "message_en": "",
    }
    data.update(overrides)
    return data


def client_for(user: User | None) -> Client:
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


def test_urls_are_named() -> None:
    assert reverse("disaster:evacuation-list") == LIST_URL
    assert reverse("disaster:evacuation-new") == NEW_URL


@pytest.mark.parametrize(
    ("actor", "status"),
    [("anonymous", 302), ("resident", 403), ("staff_without", 403), ("karatsu_other", 200)],
)
def test_drafting_is_denied_to_those_without_the_permission(
    actor: str, status: int, request: pytest.FixtureRequest, saga_city: object
) -> None:
    user = (
        None
        if actor == "anonymous"
        else request.getfixturevalue("karatsu_approver" if actor == "karatsu_other" else actor)
    )
    client = client_for(user)

    response = client.post(NEW_URL, form_data())

    if actor == "karatsu_other":
        # 唐津市 staff see only 唐津市 in the municipality list: 佐賀市 is not a valid choice.
        assert response.status_code == 400
        assert "佐賀市" not in response.content.decode()
    else:
        assert response.status_code == status
        if status == 302:
            assert response["Location"].startswith("/accounts/login/")
    assert EvacuationOrder.objects.count() == 0
    assert not AuditEvent.objects.filter(action__startswith="disaster.evacuation").exists()


def test_staff_with_the_permission_drafts_an_order(drafter: User) -> None:
    client = client_for(drafter)

    response = client.post(NEW_URL, form_data())

    order = EvacuationOrder.objects.get()
    assert response.status_code == 302
    assert response["Location"] == f"/disaster/evacuation/{order.pk}/"
    assert order.drafted_by == drafter
    assert order.hazard == "flood"
    assert (order.households, order.people) == (120, 300)
    assert order.state == EvacuationOrder.State.DRAFT


def test_the_form_offers_standard_texts_for_level_and_hazard(drafter: User) -> None:
    client = client_for(drafter)

    response = client.get(NEW_URL, {"level": "3", "hazard": "landslide"})

    assert response.status_code == 200
    page = response.content.decode()
    assert (
        "佐賀市は、土砂災害の危険が高まっているため、市町内全域に高齢者等避難（警戒レベル3）を発令しました。"
        in page
    )
    assert "佐賀市（さがし）から おしらせ です。" in page
    assert "Saga City has issued Evacuation of Elderly People, etc. (Alert Level 3)" in page


def test_fill_replaces_the_messages_without_saving(drafter: User) -> None:
    client = client_for(drafter)

    response = client.post(
        NEW_URL,
        form_data(
            action="fill",
            level="5",
            hazard="flood",
            is_whole_municipality="part",
            districts="兵庫町\n本庄町",
        ),
    )

    assert response.status_code == 200
    page = response.content.decode()
    assert "兵庫町、本庄町に緊急安全確保（警戒レベル5）を発令しました。" in page
    assert EvacuationOrder.objects.count() == 0


def test_invalid_geojson_is_reported_on_the_field(drafter: User) -> None:
    client = client_for(drafter)

    response = client.post(
        NEW_URL, form_data(is_whole_municipality="part", area_geojson='{"type": "Point"}')
    )

    assert response.status_code == 400
    assert (
        "描いた区域は GeoJSON の Polygon または MultiPolygon にしてください（Point は使えません）。"
        in response.content.decode()
    )
    assert EvacuationOrder.objects.count() == 0


def test_a_drawn_polygon_is_saved(drafter: User) -> None:
    client = client_for(drafter)

    response = client.post(
        NEW_URL,
        form_data(is_whole_municipality="part", area_geojson=json.dumps(SAGA_SQUARE)),
    )

    assert response.status_code == 302
    assert EvacuationOrder.objects.get().area_geojson == SAGA_SQUARE


def test_list_shows_the_orders_by_state(make_order: OrderMaker, drafter: User) -> None:
    make_order()
    make_order(state="pending")

    response = client_for(drafter).get(LIST_URL)

    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-state="draft">1<' in page
    assert 'data-state="pending">1<' in page
    assert 'data-state="published">0<' in page


@pytest.mark.parametrize("actor", ["anonymous", "resident", "staff_without"])
def test_list_is_denied(actor: str, request: pytest.FixtureRequest) -> None:
    user = None if actor == "anonymous" else request.getfixturevalue(actor)
    response = client_for(user).get(LIST_URL)
    assert response.status_code == (302 if user is None else 403)


def test_staff_of_another_municipality_sees_none_of_its_orders(
    make_order: OrderMaker, karatsu_approver: User
) -> None:
    order = make_order()

    assert f"#{order.pk}" not in client_for(karatsu_approver).get(LIST_URL).content.decode()
    assert client_for(karatsu_approver).get(f"/disaster/evacuation/{order.pk}/").status_code == 403


@pytest.mark.parametrize(
    ("actor", "status"),
    [
        ("anonymous", 302),
        ("resident", 403),
        ("staff_without", 403),
        ("karatsu_approver", 403),
        ("drafter", 403),
    ],
)
def test_approving_is_denied_and_nothing_changes(
    make_order: OrderMaker, actor: str, status: int, request: pytest.FixtureRequest
) -> None:
    order = make_order(state="pending")
    before = AuditEvent.objects.count()
    user = None if actor == "anonymous" else request.getfixturevalue(actor)

    response = client_for(user).post(f"/disaster/evacuation/{order.pk}/approve/")

    assert response.status_code == status
    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.PENDING
    assert order.approved_by is None
    assert Alert.objects.count() == 0
    assert AuditEvent.objects.count() == before
    assert municipality_levels() == {}


def test_approver_who_drafted_is_refused_by_the_two_person_rule(
    approver: User, second_approver: User
) -> None:
    client = client_for(approver)
    client.post(NEW_URL, form_data())
    order = EvacuationOrder.objects.get()
    client.post(f"/disaster/evacuation/{order.pk}/submit/")

    page = client.get(f"/disaster/evacuation/{order.pk}/").content.decode()
    assert 'id="approve-button"' not in page
    assert "起案した本人は承認できません。" in page
    assert client.post(f"/disaster/evacuation/{order.pk}/approve/").status_code == 403

    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.PENDING


def test_staff_with_the_permission_approves_the_preview(
    make_order: OrderMaker, second_approver: User
) -> None:
    order = make_order(state="pending", message_en="Evacuate now.")
    client = client_for(second_approver)

    preview = client.get(f"/disaster/evacuation/{order.pk}/")
    page = preview.content.decode()
    assert preview.status_code == 200
    assert 'id="approve-button"' in page
    assert "【警戒レベル4】避難指示 佐賀市全域" in page
    assert "[Alert Level 4] Evacuation order: Saga City" in page
    assert 'class="level-badge level-badge--4"' in page

    response = client.post(f"/disaster/evacuation/{order.pk}/approve/", follow=True)

    assert response.status_code == 200
    assert "承認し、住民に公開しました。" in response.content.decode()
    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.PUBLISHED
    assert municipality_levels() == {SAGA: 4}


def test_preview_shows_the_diff_against_the_order_in_force(
    make_order: OrderMaker, approver: User, second_approver: User
) -> None:
    first = make_order(state="published", approved_by=approver, message_ja="一行目\n二行目")
    update = make_order(state="pending", replaces=first, level=5, message_ja="一行目\n三行目")

    page = client_for(second_approver).get(f"/disaster/evacuation/{update.pk}/").content.decode()

    assert f"発令中の避難情報 #{first.pk} からの変更点" in page
    assert "<del>L4 避難指示</del>" in page
    assert "<ins>L5 緊急安全確保</ins>" in page
    assert "二行目</del>" in page
    assert "三行目</ins>" in page


def test_reject_from_the_page_keeps_the_reason(
    make_order: OrderMaker, second_approver: User
) -> None:
    order = make_order(state="pending")

    client_for(second_approver).post(
        f"/disaster/evacuation/{order.pk}/reject/", {"reason": "区域を確認"}
    )

    order.refresh_from_db()
    assert order.state == EvacuationOrder.State.REJECTED
    assert order.rejection_reason == "区域を確認"


def test_a_published_order_offers_update_and_lift(
    make_order: OrderMaker, approver: User, drafter: User
) -> None:
    first = make_order(state="published", approved_by=approver)
    client = client_for(drafter)

    page = client.get(f"/disaster/evacuation/{first.pk}/").content.decode()
    assert f"?replaces={first.pk}&amp;lift=1" in page

    lift_form = client.get(NEW_URL, {"replaces": first.pk, "lift": "1"}).content.decode()
    assert "佐賀市は、市町内全域に発令していた避難指示を解除しました。" in lift_form

    response = client.post(
        NEW_URL, form_data(replaces=str(first.pk), level="0", message_ja="解除しました。")
    )
    assert response.status_code == 302, response.content.decode()[-3000:]
    lift = EvacuationOrder.objects.exclude(pk=first.pk).get()
    assert lift.replaces == first
    assert lift.level == 0


def test_unknown_step_and_order_are_404(make_order: OrderMaker, approver: User) -> None:
    order = make_order()
    client = client_for(approver)
    assert client.post(f"/disaster/evacuation/{order.pk}/explode/").status_code == 404
    assert client.get("/disaster/evacuation/999999/").status_code == 404


def test_history_lists_every_step(make_order: OrderMaker, approver: User) -> None:
    order = make_order(state="published", approved_by=approver)

    page = client_for(approver).get(f"/disaster/evacuation/{order.pk}/").content.decode()

    for action in ("draft", "submit", "approve"):
        assert f"disaster.evacuation.{action}" in page
