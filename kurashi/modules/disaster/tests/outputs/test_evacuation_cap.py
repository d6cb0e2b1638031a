"""Published evacuation orders as CAP: Alert, Update and Cancel (解除) all validate, with the
drawn polygon and the Evacuate / Shelter / AllClear responses."""

from typing import Any

from lxml import etree

from kurashi.core.models import User
from kurashi.modules.disaster.models import Alert
from kurashi.modules.disaster.outputs.cap import alert_to_cap, validate_cap
from kurashi.modules.disaster.tests.evacuation.conftest import SAGA_SQUARE

NS = {"cap": "urn:oasis:names:tc:emergency:cap:1.2"}


def test_an_evacuation_chain_is_valid_cap(make_order: Any, approver: User) -> None:
    first = make_order(
        state="published",
        approved_by=approver,
        is_whole_municipality=False,
        districts="兵庫町",
        area_geojson=SAGA_SQUARE,
    )
    update = make_order(state="published", approved_by=approver, replaces=first, level=5)
    lift = make_order(
        state="published", approved_by=approver, replaces=update, level=0, message_ja="解除"
    )

    documents = []
    for order in (first, update, lift):
        xml = alert_to_cap(Alert.objects.get(evacuation_order=order))
        validate_cap(xml)
        documents.append(etree.fromstring(xml))

    assert [d.findtext("cap:msgType", namespaces=NS) for d in documents] == [
        "Alert",
        "Update",
        "Cancel",
    ]
    assert [d.findtext("cap:info/cap:responseType", namespaces=NS) for d in documents] == [
        "Evacuate",
        "Shelter",
        "AllClear",
    ]
    assert documents[0].findall("cap:info/cap:category", NS)[-1].text == "Safety"
    assert documents[0].find("cap:info/cap:area/cap:polygon", NS) is not None
    languages = [
        i.findtext("cap:language", namespaces=NS) for i in documents[0].findall("cap:info", NS)
    ]
    assert languages[:3] == ["ja-JP", "ja-JP-x-easy", "en-US"]
    assert len(languages) == 12
    # An order names itself (避難指示 at level 4, not a JMA 相当) and carries the city's words.
    first_ja = documents[0].find("cap:info", NS)
    assert first_ja.findtext("cap:event", namespaces=NS) == "避難指示"
    assert first_ja.findtext("cap:headline", namespaces=NS) == "警戒レベル4 避難指示"
    english = documents[0].findall("cap:info", NS)[2]
    assert english.findtext("cap:event", namespaces=NS) == "Evacuation Order"
    assert english.findtext("cap:senderName", namespaces=NS) == "Saga City"
    assert documents[0].findtext("cap:info/cap:senderName", namespaces=NS) == "佐賀市"
