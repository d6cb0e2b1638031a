"""The portal's reads: levels per municipality, the emergency switch, one municipality's
situation and the emergency page's data."""

import pytest
from django.utils import timezone

from kurashi.core.models import User
from kurashi.modules.disaster.models import (
    Alert,
    Bulletin,
    EvacuationOrder,
    FieldReport,
    Shelter,
)
from kurashi.modules.disaster.selectors import portal
from kurashi.modules.disaster.selectors.alerts import municipality_levels
from kurashi.modules.disaster.tests.portal.conftest import (
    KARATSU,
    SAGA,
    TOSU,
    make_alert,
    make_shelter,
)
from kurashi.testing import make_user

pytestmark = pytest.mark.django_db


def _contrast(first: str, second: str) -> float:
    def luminance(colour: str) -> float:
        channels = [int(colour[i : i + 2], 16) / 255 for i in (1, 3, 5)]
        linear = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
        return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]

    high, low = sorted((luminance(first), luminance(second)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def test_level_colours_are_the_official_ones_with_readable_text() -> None:
    fills = {level: style.fill for level, style in portal.LEVEL_STYLES.items() if level}

    assert fills == {5: "#0c000c", 4: "#aa00aa", 3: "#ff2800", 2: "#f2e700", 1: "#ffffff"}
    for style in portal.LEVEL_STYLES.values():
        assert _contrast(style.fill, style.ink) >= 4.5, style


def test_levels_are_the_highest_of_several_alerts() -> None:
    make_alert({SAGA: 3, KARATSU: 2})
    make_alert({SAGA: 4})
    make_alert({TOSU: 1})

    situation = portal.get_situation()

    assert situation.levels == {SAGA: 4, KARATSU: 2, TOSU: 1}
    assert situation.levels == municipality_levels()
    assert situation.highest_level == 4
    assert situation.is_emergency is True
    assert [m.code for m in situation.affected] == [SAGA, KARATSU, TOSU]
    assert len(situation.municipalities) == 20


def test_exercise_and_test_alerts_are_left_out() -> None:
    make_alert({SAGA: 5}, status=Alert.Status.EXERCISE)
    make_alert({KARATSU: 4}, status=Alert.Status.TEST)

    situation = portal.get_situation()

    assert situation.levels == {}
    assert situation.alerts == ()
    assert portal.is_emergency_active() is False


def test_a_cancel_lifts_the_level() -> None:
    alert = make_alert({SAGA: 4})
    assert portal.is_emergency_active() is True

    make_alert({SAGA: 4}, event_key=alert.event_key, cancel=True)

    assert portal.get_situation().levels == {}
    assert portal.is_emergency_active() is False


def test_an_update_that_lowers_one_municipality_to_zero_no_longer_lists_it() -> None:
    alert = make_alert({SAGA: 3, KARATSU: 3})

    make_alert({SAGA: 0, KARATSU: 2}, event_key=alert.event_key)

    situation = portal.get_situation()
    by_code = {m.code: m for m in situation.municipalities}
    assert situation.levels == {KARATSU: 2}
    assert by_code[SAGA].alerts == ()
    assert [row.municipalities[0].code for row in situation.alert_rows] == [KARATSU]


def test_emergency_starts_at_level_4() -> None:
    make_alert({SAGA: 3})
    assert portal.is_emergency_active() is False

    make_alert({KARATSU: 4})

    assert portal.is_emergency_active() is True


def test_open_shelters_are_counted_per_municipality() -> None:
    make_shelter(SAGA)
    make_shelter(SAGA)
    make_shelter(SAGA, open_state=Shelter.OpenState.NOT_OPEN)
    make_shelter(KARATSU, open_state=Shelter.OpenState.CLOSED)

    counts = {m.code: m.open_shelters for m in portal.get_situation().municipalities}

    assert counts[SAGA] == 2
    assert counts[KARATSU] == 0


def _bulletin() -> Bulletin:
    now = timezone.now()
    return Bulletin.objects.create(
        type_code="VPWW53",
        control_title="気象警報・注意報",
        control_status=Bulletin.ControlStatus.NORMAL,
        control_datetime=now,
        editorial_office="佐賀地方気象台",
        head_title="佐賀県気象警報・注意報",
        report_datetime=now,
        event_id="",
        info_type=Bulletin.InfoType.ISSUED,
        sha256="0" * 64,
        raw_xml="<Report/>",
    )


def _staff() -> tuple[User, User]:
    return make_user(), make_user()


def test_municipality_situation_gathers_what_is_in_force_for_it() -> None:
    from kurashi.core.models import Municipality

    alert = make_alert({SAGA: 4, KARATSU: 2})
    make_alert({KARATSU: 3})
    drafter, approver = _staff()
    order = EvacuationOrder.objects.create(
        municipality_code=SAGA,
        level=4,
        hazard="flood",
        message_ja="避難指示",
        state="published",
        drafted_by=drafter,
        approved_by=approver,
        published_at=timezone.now(),
    )
    EvacuationOrder.objects.create(
        municipality_code=SAGA,
        level=3,
        hazard="flood",
        message_ja="下書き",
        drafted_by=drafter,
    )
    full = make_shelter(SAGA, name="い定員一杯", crowding=Shelter.Crowding.FULL)
    free = make_shelter(SAGA, name="ろ空き", crowding=Shelter.Crowding.AVAILABLE)
    make_shelter(SAGA, name="未開設", open_state=Shelter.OpenState.NOT_OPEN)
    make_shelter(KARATSU, name="唐津")
    published = FieldReport.objects.create(
        category="flooding",
        text="道路が冠水",
        latitude=33.25,
        longitude=130.3,
        municipality_code=SAGA,
        state="published",
        published_at=timezone.now(),
        receipt_token_hash="a" * 64,
    )
    FieldReport.objects.create(
        category="flooding",
        text="未確認",
        latitude=33.25,
        longitude=130.3,
        municipality_code=SAGA,
        receipt_token_hash="b" * 64,
    )

    page = portal.get_municipality_situation(Municipality.objects.get(code=SAGA))

    assert page.level == 4
    assert page.alerts == (alert,)
    assert [(e.level, [(k.kind, k.name_ja) for k in e.kinds]) for e in page.entries] == [
        (4, [("heavy_rain_warning", "大雨警報")])
    ]
    assert page.orders == (order,)
    assert page.open_shelters == (free, full)
    assert page.reports == (published,)


def test_municipality_shelters_can_be_limited_to_a_hazard() -> None:
    from kurashi.core.models import Municipality

    tsunami = make_shelter(SAGA, name="高台", for_tsunami=True)
    make_shelter(SAGA, name="低地", for_flood=True)

    page = portal.get_municipality_situation(Municipality.objects.get(code=SAGA), hazard="tsunami")

    assert page.open_shelters == (tsunami,)


def test_emergency_data_lists_level_4_first_and_caps_the_shelters() -> None:
    make_alert({TOSU: 3})
    make_alert({SAGA: 4})
    make_alert({KARATSU: 5})
    for number in range(portal.EMERGENCY_SHELTERS_PER_MUNICIPALITY + 3):
        make_shelter(SAGA, name=f"避難所{number:02}")
    make_shelter(TOSU, name="鳥栖の避難所")

    data = portal.get_emergency_data()

    assert [entry.municipality.code for entry in data.urgent] == [KARATSU, SAGA]
    assert [entry.municipality.code for entry in data.others] == [TOSU]
    saga = data.urgent[1]
    assert len(saga.shelters) == portal.EMERGENCY_SHELTERS_PER_MUNICIPALITY
    assert saga.more_shelters == 3
    assert data.others[0].shelters == ()  # shelters are listed only where L4+ is in force
    assert [style.level for style in data.levels_shown] == [5, 4, 3]
