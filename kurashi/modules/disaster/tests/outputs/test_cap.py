"""CAP 1.2: every message produced validates against the OASIS XSD (incl. Update and Cancel with
their references), one info per language, +09:00 times without fractions, JISX0402 geocodes."""

import uuid
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.test import Client, override_settings
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from kurashi.core.models import User
from kurashi.modules.disaster.area_states import group_states, states_of
from kurashi.modules.disaster.models import Alert, Hazard
from kurashi.modules.disaster.outputs.cap import (
    CAP_LANGUAGES,
    CapValidationError,
    alert_to_cap,
    validate_cap,
)
from kurashi.modules.disaster.tests.outputs.conftest import SENT, AlertMaker
from kurashi.testing import make_member, make_organisation

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}
SAGA_CODES = ["412015", "412023", "412031", "412058", "413411", "414417"]
LANGUAGES = ["ja", "ja-x-easy", "en", "zh-Hans", "ko", "vi"]
TIME_PATTERN = r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+09:00$"


def parse(xml: bytes) -> Any:
    return etree.fromstring(xml)


def texts_of(root: Any, path: str) -> list[str]:
    return [element.text for element in root.findall(path, NS)]


def test_a_jma_alert_is_valid_cap_with_one_info_per_language(make_alert: AlertMaker) -> None:
    alert = make_alert()

    xml = alert_to_cap(alert)

    validate_cap(xml)
    root = parse(xml)
    assert texts_of(root, "cap:identifier") == [alert.identifier]
    assert texts_of(root, "cap:sender") == ["kurashi@pref.saga.example"]
    assert texts_of(root, "cap:sent") == ["2026-07-10T04:15:30+09:00"]
    assert texts_of(root, "cap:status") == ["Actual"]
    assert texts_of(root, "cap:msgType") == ["Alert"]
    assert texts_of(root, "cap:scope") == ["Public"]
    assert root.find("cap:references", NS) is None
    assert texts_of(root, "cap:info/cap:language") == list(CAP_LANGUAGES.values())
    info = root.find("cap:info", NS)
    assert texts_of(info, "cap:category") == ["Met"]
    assert texts_of(info, "cap:event") == ["大雨警報"]
    assert texts_of(info, "cap:responseType") == ["Prepare"]
    assert texts_of(info, "cap:urgency") == ["Expected"]
    assert texts_of(info, "cap:severity") == ["Severe"]
    assert texts_of(info, "cap:certainty") == ["Likely"]
    assert texts_of(info, "cap:senderName") == ["佐賀地方気象台"]
    assert texts_of(info, "cap:headline") == ["警戒レベル3相当 大雨警報"]
    assert texts_of(info, "cap:description") == ["佐賀市：【警戒レベル3相当】大雨警報"]
    assert texts_of(info, "cap:instruction") == [
        "危険な場所から高齢者等は避難してください。ほかの人も避難の準備をしてください。"
    ]
    assert texts_of(info, "cap:web")[0].startswith("http://127.0.0.1:8000/disaster/")
    assert texts_of(info, "cap:area/cap:areaDesc") == ["佐賀市"]
    assert texts_of(info, "cap:area/cap:geocode/cap:valueName") == ["JISX0402"]
    assert texts_of(info, "cap:area/cap:geocode/cap:value") == ["412015"]
    english = root.findall("cap:info", NS)[2]
    assert texts_of(english, "cap:event") == ["Heavy Rain Warning"]
    assert texts_of(english, "cap:senderName") == ["Japan Meteorological Agency"]
    assert texts_of(english, "cap:area/cap:areaDesc") == ["Saga City (佐賀市)"]


def test_update_and_cancel_reference_the_previous_revision(make_alert: AlertMaker) -> None:
    first = make_alert()
    update = make_alert(sent=SENT + timedelta(minutes=30), area_levels={"412015": 4})
    cancel = make_alert(sent=SENT + timedelta(hours=2), cancel=True)

    for alert, msg_type, previous in ((update, "Update", first), (cancel, "Cancel", update)):
        xml = alert_to_cap(alert)
        validate_cap(xml)
        root = parse(xml)
        assert texts_of(root, "cap:msgType") == [msg_type]
        assert texts_of(root, "cap:references") == [
            f"kurashi@pref.saga.example,{previous.identifier},{previous.sent.astimezone(ZoneInfo('Asia/Tokyo')).replace(microsecond=0).isoformat()}"
        ]
    cancel_root = parse(alert_to_cap(cancel))
    assert texts_of(cancel_root, "cap:info/cap:responseType") == ["AllClear"] * 12
    assert texts_of(cancel_root, "cap:info/cap:urgency") == ["Past"] * 12
    # The lift names what was lifted, in every language.
    assert texts_of(cancel_root, "cap:info/cap:headline")[:3] == [
        "大雨警報は解除されました。",
        "おおあめ けいほう は おわりました。",
        "Lifted: Heavy Rain Warning.",
    ]


@override_settings(CAP_SENDER="bousai@pref.saga.lg.jp")
def test_sender_is_configurable(make_alert: AlertMaker) -> None:
    assert texts_of(parse(alert_to_cap(make_alert())), "cap:sender") == ["bousai@pref.saga.lg.jp"]


def test_an_exercise_carries_its_status_and_a_note(make_alert: AlertMaker) -> None:
    root = parse(alert_to_cap(make_alert(status=Alert.Status.EXERCISE)))
    assert texts_of(root, "cap:status") == ["Exercise"]
    assert texts_of(root, "cap:note") == [
        "訓練・試験のための情報です。実際の災害情報ではありません。"
    ]


def test_a_polygon_becomes_lat_lon_pairs_closed(make_alert: AlertMaker) -> None:
    square = {
        "type": "Polygon",
        "coordinates": [[[130.29, 33.25], [130.31, 33.25], [130.31, 33.27], [130.29, 33.27]]],
    }
    xml = alert_to_cap(make_alert(area_geojson=square))

    validate_cap(xml)
    polygon = texts_of(parse(xml), "cap:info/cap:area/cap:polygon")[0]
    assert polygon == (
        "33.250000,130.290000 33.250000,130.310000 33.270000,130.310000 "
        "33.270000,130.290000 33.250000,130.290000"
    )


def test_validate_cap_reports_the_schema_errors() -> None:
    bad = (
        b'<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>x</identifier>'
        b"<sender>s</sender><sent>2026-07-10T04:15:30Z</sent><status>Actual</status>"
        b"<msgType>Alert</msgType><scope>Public</scope></alert>"
    )
    with pytest.raises(CapValidationError) as error:
        validate_cap(bad)
    assert any("sent" in message for message in error.value.errors)
    with pytest.raises(CapValidationError, match="not well-formed"):
        validate_cap(b"<alert")


def test_every_language_tag_is_a_valid_xs_language(make_alert: AlertMaker) -> None:
    texts = {language: {"event": f"event {language}", "headline": "h"} for language in LANGUAGES}
    xml = alert_to_cap(make_alert(texts=texts))

    validate_cap(xml)
    assert texts_of(parse(xml), "cap:info/cap:language") == list(CAP_LANGUAGES.values())


text_values = st.text(
    alphabet=st.characters(blacklist_categories=("Cs", "Cc")), min_size=0, max_size=40
)
text_blocks = st.fixed_dictionaries(
    {},
    optional={
        "event": text_values,
        "headline": text_values,
        "description": text_values,
        "instruction": text_values,
    },
)


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    hazard=st.sampled_from(list(Hazard.values)),
    levels=st.dictionaries(st.sampled_from(SAGA_CODES), st.integers(0, 5), min_size=1, max_size=4),
    texts=st.dictionaries(st.sampled_from(LANGUAGES), text_blocks, min_size=1, max_size=6),
    status=st.sampled_from(list(Alert.Status.values)),
    source=st.sampled_from(list(Alert.Source.values)),
    revisions=st.integers(1, 3),
    cancel_last=st.booleans(),
    expires_hours=st.none() | st.integers(1, 48),
    sent=st.datetimes(
        min_value=datetime(2020, 1, 1),  # noqa: DTZ001 (hypothesis wants naive bounds)
        max_value=datetime(2035, 12, 31),  # noqa: DTZ001
        timezones=st.just(ZoneInfo("UTC")),
    ),
)
def test_every_generated_message_validates_against_the_xsd(
    make_alert: AlertMaker,
    hazard: str,
    levels: dict[str, int],
    texts: dict[str, dict[str, str]],
    status: str,
    source: str,
    revisions: int,
    cancel_last: bool,
    expires_hours: int | None,
    sent: datetime,
) -> None:
    key = f"prop:{uuid.uuid4().hex}"
    for revision in range(revisions):
        alert = make_alert(
            event_key=key,
            identifier=f"{key}:{revision}",
            hazard=hazard,
            area_levels=levels,
            texts=texts,
            status=status,
            source=source,
            sent=sent + timedelta(minutes=revision),
            effective=sent,
            expires=sent + timedelta(hours=expires_hours) if expires_hours else None,
            cancel=cancel_last and revision == revisions - 1 and revision > 0,
        )
        xml = alert_to_cap(alert)
        validate_cap(xml)
        root = parse(xml)
        for path in ("cap:sent", "cap:info/cap:effective", "cap:info/cap:expires"):
            for value in texts_of(root, path):
                assert value.endswith("+09:00")
                assert "." not in value
        groups = group_states(states_of(alert))
        assert len(root.findall("cap:info", NS)) == len(CAP_LANGUAGES) * len(groups)
        if revision:
            assert texts_of(root, "cap:references")[0].split(",")[1] == f"{key}:{revision - 1}"


def test_public_url_serves_the_cap_document(make_alert: AlertMaker, client: Client) -> None:
    alert = make_alert()

    response = client.get(f"/disaster/cap/{alert.identifier}.xml")

    assert response.status_code == 200
    assert response["Content-Type"] == "application/cap+xml"
    assert "max-age=30" in response["Cache-Control"]
    validate_cap(response.content)


def test_exercise_cap_is_hidden_from_the_public_and_shown_to_staff(
    make_alert: AlertMaker, client: Client
) -> None:
    alert = make_alert(status=Alert.Status.EXERCISE)
    url = f"/disaster/cap/{alert.identifier}.xml"

    assert client.get(url).status_code == 404
    staff: User = make_member(make_organisation(municipality_code="412015"))
    client.force_login(staff)
    response = client.get(url)
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]


def test_unknown_identifier_is_404(db: None, client: Client) -> None:
    assert client.get("/disaster/cap/urn:kurashi:nope.xml").status_code == 404
