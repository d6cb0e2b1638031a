"""Ingestion into the per-municipality state and the Alert revisions, for the Saga cases."""

from datetime import UTC, datetime

import pytest
import time_machine

from kurashi.core.models import AuditEvent
from kurashi.modules.disaster.models import Alert, AreaWarning, Bulletin
from kurashi.modules.disaster.selectors.alerts import current_alerts, municipality_levels
from kurashi.modules.disaster.selectors.jma import current_warnings, warnings_by_municipality
from kurashi.modules.disaster.services.jma import ingest_document
from kurashi.modules.disaster.tests.jma.builders import fixture, saga_vpww53, variant

pytestmark = pytest.mark.django_db

ROKKAKU = fixture("official_16_02_02_220728_VXKOii.xml")
TSUNAMI_ON = fixture("official_32-39_12_07_250206_VTSE41.xml")  # 訓練
TSUNAMI_OFF = fixture("official_32-39_12_13_250206_VTSE41.xml")  # 訓練
ARIAKE = {"412015", "412082", "414255", "412074", "414417"}
GENKAI = {"412023", "413879", "412058"}


def state(*, exercise: bool = False) -> dict[str, list[tuple[str, int]]]:
    found: dict[str, list[tuple[str, int]]] = {}
    for warning in current_warnings(exercise=exercise):
        found.setdefault(warning.municipality_code, []).append((warning.kind_name, warning.level))
    return found


def ingest(data: bytes, name: str = "test.xml") -> dict[str, object]:
    return ingest_document(data=data, source="cli", source_name=name).summary()


def test_rokkaku_vxko_sets_level_3_in_exactly_the_five_municipalities() -> None:
    result = ingest(ROKKAKU)

    assert result["status"] == "created"
    assert result["outcome"] == "applied"
    expected = {"412066", "412091", "414239", "414247", "414255"}  # 武雄 嬉野 大町 江北 白石
    assert state() == {code: [("六角川氾濫警戒情報", 3)] for code in expected}
    assert municipality_levels() == dict.fromkeys(expected, 3)
    warning = current_warnings().get(municipality_code="412066")
    assert warning.family == "flood:890904000100"
    assert warning.hazard == "flood"
    assert warning.since == datetime(2021, 8, 13, 6, 10, tzinfo=UTC)
    alert = current_alerts().get()
    assert alert.event_key == "jma:flood:890904000100"
    assert (alert.msg_type, alert.status, alert.level, alert.hazard) == (
        "Alert",
        "Actual",
        3,
        "flood",
    )
    assert alert.area_levels == dict.fromkeys(expected, 3)
    assert alert.sender_name_ja == "佐賀地方気象台"
    assert alert.bulletin_id == result["bulletin_id"]
    assert alert.texts["en"]["headline"] == (
        "River flood warning (Rokkaku River) (Level 3 equivalent) for Takeo City, Ureshino City, "
        "Omachi Town, Kohoku Town, Shiroishi Town"
    )
    assert alert.texts["ja"]["headline"] == "六角川氾濫警戒情報"
    assert "【警戒レベル３相当情報［洪水］】" in alert.texts["ja"]["description"]
    assert alert.texts["ja-x-easy"]["headline"].startswith("たけおし、うれしのし")
    assert "ろっかくがわ" in alert.texts["ja-x-easy"]["headline"]


def test_the_same_file_twice_changes_nothing() -> None:
    first = ingest(ROKKAKU)
    counts = (Bulletin.objects.count(), AreaWarning.objects.count(), Alert.objects.count())

    second = ingest(ROKKAKU)

    assert second["status"] == "duplicate"
    assert second["bulletin_id"] == first["bulletin_id"]
    assert (Bulletin.objects.count(), AreaWarning.objects.count(), Alert.objects.count()) == counts


def test_vxse53_2011_sets_the_observed_intensity_of_the_three_saga_cities() -> None:
    result = ingest(fixture("official_32-39_11_05_240613_VXSE53.xml"))

    assert result["outcome"] == "applied"
    with time_machine.travel(datetime(2011, 3, 11, 6, 0, tzinfo=UTC)):
        assert state() == {
            "412015": [("震度1", 0)],  # 佐賀市
            "412104": [("震度1", 0)],  # 神埼市
            "414255": [("震度1", 0)],  # 白石町
        }


def test_vxse53_noto_sets_the_intensity_per_saga_municipality_and_expires_after_a_day() -> None:
    ingest(fixture("real2024noto_WInfoL.xml"))

    with time_machine.travel(datetime(2024, 1, 1, 8, 0, tzinfo=UTC)):
        assert state() == {
            "412015": [("震度2", 0)],
            "412082": [("震度1", 0)],
            "412104": [("震度2", 0)],
            "413453": [("震度1", 0)],
            "413461": [("震度1", 0)],
            "414255": [("震度2", 0)],
        }
        alert = current_alerts().get()
        assert alert.hazard == "earthquake"
        assert (
            alert.texts["en"]["headline"]
            == "Seismic intensity 2 for Saga City, Kanzaki City, Shiroishi Town"
        )
    with time_machine.travel(datetime(2024, 1, 2, 8, 0, tzinfo=UTC)):
        assert state() == {}
    assert municipality_levels() == {}  # intensities carry no 警戒レベル


def test_tsunami_exercise_pair_builds_and_lifts_exercise_state_only() -> None:
    on = ingest(TSUNAMI_ON)

    assert on["control_status"] == "訓練"
    assert state() == {}
    assert municipality_levels() == {}
    assert list(current_alerts()) == []
    exercise = state(exercise=True)
    assert exercise == {
        **{code: [("津波警報", 4)] for code in ARIAKE},
        **{code: [("津波注意報", 2)] for code in GENKAI},
    }
    assert municipality_levels(include_exercise=True) == {
        **dict.fromkeys(ARIAKE, 4),
        **dict.fromkeys(GENKAI, 2),
    }
    alert = current_alerts(include_exercise=True).get()
    assert (alert.status, alert.event_key) == ("Exercise", "jma:tsunami:気象庁本庁:exercise")
    assert AreaWarning.objects.filter(is_exercise=False).count() == 0

    off = ingest(TSUNAMI_OFF)

    assert off["outcome"] == "applied"
    assert state(exercise=True) == {}
    cancel = Alert.objects.get(is_current=True)
    assert (cancel.msg_type, cancel.status, cancel.level) == ("Cancel", "Exercise", 0)
    assert cancel.references is not None
    assert list(current_alerts(include_exercise=True)) == []


def test_tsunami_pair_as_actual_reaches_residents_and_is_lifted() -> None:
    ingest(variant(TSUNAMI_ON, status="通常"))

    assert municipality_levels() == {**dict.fromkeys(ARIAKE, 4), **dict.fromkeys(GENKAI, 2)}
    alert = current_alerts().get()
    assert (alert.level, alert.hazard, alert.status) == (4, "tsunami", "Actual")
    saga = current_warnings().get(municipality_code="412015")
    assert (saga.kind_name, saga.detail, saga.last_kind_name) == ("津波警報", "３ｍ", "津波警報")

    ingest(variant(TSUNAMI_OFF, status="通常"))

    assert state() == {}
    assert municipality_levels() == {}
    assert Alert.objects.get(is_current=True).msg_type == "Cancel"


def test_noto_major_tsunami_alarm_puts_an_advisory_on_the_genkai_coast_until_lifted() -> None:
    ingest(fixture("real2024noto_TsunamiAlarm.xml"))

    assert state() == {code: [("津波注意報", 2)] for code in GENKAI}

    ingest(fixture("real2024noto_canceledTsunamiAlarm.xml"))

    assert state() == {}


def test_out_of_prefecture_bulletins_are_stored_without_saga_state() -> None:
    for name in (
        "official_15_14_01_170216_VPWW53.xml",
        "official_17_01_01_190529_VXWW50.xml",
        "official_19_03_01_130906_VPHW50.xml",
    ):
        assert ingest(fixture(name))["outcome"] == "not_saga"

    assert Bulletin.objects.count() == 3
    assert AreaWarning.objects.count() == 0
    assert Alert.objects.count() == 0


@pytest.mark.parametrize(
    "name",
    [
        "official_57_03_01_240401_VPFT50.xml",
        "official_62_01_01_130412_VPNO50.xml",
        "official_81_01_04_250630_VPWP50.xml",
        "official_33_12_01_240613_VXSE52.xml",
        "official_32-39_12_03_250206_VTSE51.xml",
    ],
)
def test_information_only_types_are_stored_without_state(name: str) -> None:
    result = ingest(fixture(name))

    assert (result["status"], result["outcome"]) == ("created", "no_state")
    assert AreaWarning.objects.count() == 0


def test_cancellation_retracts_the_warnings_and_cancels_the_alert() -> None:
    ingest(ROKKAKU)

    result = ingest(variant(ROKKAKU, info_type="取消"))

    assert result["outcome"] == "retracted"
    assert state() == {}
    assert municipality_levels() == {}
    original = Bulletin.objects.get(info_type="発表")
    assert original.superseded_by_id == result["bulletin_id"]
    cancel = Alert.objects.get(is_current=True)
    assert cancel.msg_type == "Cancel"
    assert cancel.references is not None
    assert cancel.references.bulletin_id == original.pk
    assert cancel.identifier.endswith(":cancel")
    assert list(current_alerts()) == []


def test_cancelling_a_newer_report_restores_the_state_it_replaced() -> None:
    ingest(
        saga_vpww53(
            report_datetime="2024-07-25T10:26:00+09:00",
            kinds={"412015": [("大雨注意報", "10", "発表")]},
        )
    )
    newer = saga_vpww53(
        report_datetime="2024-07-25T13:14:00+09:00", kinds={"412015": [("大雨警報", "03", "発表")]}
    )
    ingest(newer)
    assert state() == {"412015": [("大雨警報", 3)]}

    ingest(variant(newer, info_type="取消"))

    assert state() == {"412015": [("大雨注意報", 2)]}
    latest = Alert.objects.get(is_current=True)
    assert (latest.msg_type, latest.area_levels) == ("Update", {"412015": 2})
    assert [a.msg_type for a in Alert.objects.order_by("revision")] == [
        "Alert",
        "Update",
        "Cancel",
        "Update",
    ]


def test_correction_replaces_the_corrected_state() -> None:
    issued = saga_vpww53(
        report_datetime="2024-07-25T10:26:00+09:00", kinds={"412023": [("大雨警報", "03", "発表")]}
    )
    ingest(issued)
    corrected = saga_vpww53(
        report_datetime="2024-07-25T10:26:00+09:00",
        kinds={"412023": [("大雨注意報", "10", "発表")]},
        info_type="訂正",
    )

    result = ingest(corrected)

    assert result["outcome"] == "applied"
    assert state() == {"412023": [("大雨注意報", 2)]}
    assert Bulletin.objects.get(info_type="発表").superseded_by_id == result["bulletin_id"]
    assert Alert.objects.get(is_current=True).msg_type == "Update"


def test_a_newer_report_lifts_what_it_no_longer_lists_and_an_older_one_is_stale() -> None:
    ingest(
        saga_vpww53(
            report_datetime="2024-07-25T10:26:00+09:00",
            kinds={
                "412015": [("大雨警報", "03", "発表"), ("雷注意報", "14", "発表")],
                "412023": [("高潮注意報", "19", "発表")],
            },
        )
    )
    ingest(
        saga_vpww53(
            report_datetime="2024-07-25T13:14:00+09:00",
            kinds={
                "412015": [("大雨警報", "03", "解除"), ("雷注意報", "14", "継続")],
                "412023": [("高潮注意報", "19", "解除")],
            },
        )
    )

    assert state() == {"412015": [("雷注意報", 0)]}
    assert municipality_levels() == {}

    stale = ingest(
        saga_vpww53(
            report_datetime="2024-07-25T09:00:00+09:00",
            kinds={"412066": [("大雨警報", "03", "発表")]},
        )
    )

    assert stale["outcome"] == "stale"
    assert state() == {"412015": [("雷注意報", 0)]}


def test_an_identical_state_records_no_new_alert_revision() -> None:
    kinds = {"412015": [("大雨注意報", "10", "発表")]}
    ingest(saga_vpww53(report_datetime="2024-07-25T10:26:00+09:00", kinds=kinds))

    again = ingest(
        saga_vpww53(
            report_datetime="2024-07-25T11:00:00+09:00",
            kinds={"412015": [("大雨注意報", "10", "継続")]},
        )
    )

    assert again["outcome"] == "unchanged"
    assert Alert.objects.count() == 1


def test_exercise_and_actual_states_do_not_touch_each_other() -> None:
    ingest(ROKKAKU)
    exercise = variant(
        saga_vpww53(
            report_datetime="2024-07-25T10:26:00+09:00",
            kinds={"412066": [("大雨特別警報", "33", "発表")]},
        ),
        status="訓練",
    )

    ingest(exercise)

    assert municipality_levels()["412066"] == 3
    assert municipality_levels(include_exercise=True)["412066"] == 5
    assert state(exercise=True) == {"412066": [("大雨特別警報", 5)]}
    exercise_alert = Alert.objects.get(status="Exercise")
    assert exercise_alert.event_key == "jma:weather:佐賀地方気象台:exercise"
    assert current_alerts().get().status == "Actual"


def test_test_status_bulletins_produce_test_alerts() -> None:
    ingest(variant(ROKKAKU, status="試験"))

    assert Alert.objects.get().status == "Test"
    assert AreaWarning.objects.get(municipality_code="412066").is_exercise is True
    assert list(current_alerts()) == []


def test_r06_kinds_hide_the_parallel_old_format_for_the_same_hazard() -> None:
    ingest(
        saga_vpww53(
            report_datetime="2024-07-25T10:26:00+09:00",
            kinds={"412015": [("大雨警報", "03", "発表"), ("雷注意報", "14", "発表")]},
        )
    )
    r06 = saga_vpww53(
        report_datetime="2024-07-25T10:26:00+09:00",
        kinds={"412015": [("レベル３大雨警報", "03", "発表")]},
    ).replace("気象特別警報・警報・注意報".encode(), "気象警報・注意報（Ｒ０６）（大雨）".encode())
    ingest(r06)

    shown = [(w.kind_name, w.level) for w in warnings_by_municipality()["412015"]]
    assert shown == [("レベル３大雨警報", 3), ("雷注意報", 0)]


def test_staff_uploads_are_audited_but_feed_ingestion_is_not() -> None:
    ingest_document(data=ROKKAKU, source="upload", source_name="a.xml")
    ingest_document(data=TSUNAMI_ON, source="feed", source_name="https://example.test/b.xml")

    assert list(AuditEvent.objects.values_list("action", flat=True)) == ["disaster.jma.ingest"]
