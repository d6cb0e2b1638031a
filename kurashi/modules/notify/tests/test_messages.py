"""Messages rendered from what is in force per municipality, in every language (issue 14 point 3):
every family × level × kind × new/update/cancel, no Japanese outside place names in the other
languages, English as the fallback, the recipient's own municipalities only."""

import re
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from kurashi.modules.notify import messages
from kurashi.modules.notify.messages import render_message
from kurashi.modules.notify.models import Notice as StoredNotice
from kurashi.modules.notify.notices import (
    SOURCE_MUNICIPALITY,
    AreaState,
    KindInForce,
    Notice,
    areas_from_json,
)
from kurashi.modules.notify.public import dispatch_notice
from kurashi.modules.notify.tests.conftest import SmtpSink
from kurashi.modules.notify.tests.factories import make_subscription

LANGUAGES = (
    "ja",
    "ja-x-easy",
    "en",
    "zh-Hans",
    "zh-Hant",
    "ko",
    "vi",
    "tl",
    "ne",
    "id",
    "my",
    "pt",
)
KANA = re.compile(r"[\u3040-\u30ff\uff66-\uff9f]")
IDEOGRAPHS = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
# Languages written without Chinese characters: no ideograph may appear outside place names.
WITHOUT_IDEOGRAPHS = ("en", "ko", "vi", "tl", "ne", "id", "my", "pt")

SAGA = ("412015", "佐賀市", "さがし", "Saga City")
KARATSU = ("412023", "唐津市", "からつし", "Karatsu City")


def area(
    municipality: tuple[str, str, str, str],
    kinds: tuple[KindInForce, ...] = (),
    lifted: tuple[KindInForce, ...] = (),
    instruction: str = "stay_informed",
) -> AreaState:
    code, name_ja, name_kana, name_en = municipality
    return AreaState(
        code=code,
        name_ja=name_ja,
        name_kana=name_kana,
        name_en=name_en,
        level=max((kind.level for kind in kinds), default=0),
        kinds=kinds,
        lifted=lifted,
        instruction=instruction,
    )


# (family, kind as issued) for every family and level Kurashi handles.
CASES: list[tuple[str, KindInForce]] = [
    ("weather", KindInForce("heavy_rain_advisory", 2, "heavy_rain", "大雨注意報")),
    (
        "weather",
        KindInForce("heavy_rain_warning", 3, "heavy_rain", "大雨警報", conditions=("inundation",)),
    ),
    (
        "weather",
        KindInForce(
            "heavy_rain_emergency_warning",
            5,
            "heavy_rain",
            "大雨特別警報",
            conditions=("landslide", "inundation"),
        ),
    ),
    ("weather", KindInForce("flood_warning", 3, "flood", "洪水警報")),
    ("weather", KindInForce("storm_surge_warning", 4, "storm_surge", "高潮警報")),
    ("weather", KindInForce("thunderstorm_advisory", 0, "other", "雷注意報")),
    (
        "weather",
        KindInForce("l4_heavy_rain_danger_warning", 4, "heavy_rain", "レベル４大雨危険警報"),
    ),
    (
        "weather",
        KindInForce("l5_landslide_emergency_warning", 5, "landslide", "レベル５土砂災害特別警報"),
    ),
    ("landslide", KindInForce("landslide_alert", 4, "landslide", "土砂災害警戒情報")),
    (
        "flood",
        KindInForce(
            "river_flood_warning",
            3,
            "flood",
            "六角川氾濫警戒情報",
            place_ja="六角川",
            place_en="Rokkaku River",
        ),
    ),
    (
        "flood",
        KindInForce("river_flood_occurred", 5, "flood", "六角川氾濫発生情報", place_ja="六角川"),
    ),
    ("tsunami", KindInForce("tsunami_advisory", 2, "tsunami", "津波注意報")),
    ("tsunami", KindInForce("tsunami_warning", 4, "tsunami", "津波警報")),
    ("tsunami", KindInForce("tsunami_major_warning", 5, "tsunami", "大津波警報")),
    ("earthquake", KindInForce("seismic_intensity", 0, "earthquake", "震度５弱", value="5-")),
    ("tornado", KindInForce("tornado_alert", 0, "tornado", "竜巻注意情報")),
    ("flash", KindInForce("linear_rainband", 0, "heavy_rain", "線状降水帯発生")),
    ("flash", KindInForce("record_short_heavy_rain", 0, "heavy_rain", "記録的短時間大雨情報")),
    (
        "evacuation",
        KindInForce("evacuation_elderly", 3, "flood", "高齢者等避難", source=SOURCE_MUNICIPALITY),
    ),
    (
        "evacuation",
        KindInForce("evacuation_order", 4, "landslide", "避難指示", source=SOURCE_MUNICIPALITY),
    ),
    (
        "evacuation",
        KindInForce(
            "emergency_safety", 5, "heavy_rain", "緊急安全確保", source=SOURCE_MUNICIPALITY
        ),
    ),
    ("weather", KindInForce("other", 2, "heavy_rain", "未知の注意報")),
]
INSTRUCTIONS = {0: "stay_informed", 2: "check_route", 3: "evacuate_elderly", 4: "evacuate_all"}


def _without_places(text: str, *places: AreaState) -> str:
    for place in places:
        text = text.replace(place.name_ja, "")
    return text.replace("六角川", "")


@pytest.mark.parametrize(("family", "kind"), CASES)
def test_every_family_level_and_kind_renders_in_every_language(
    family: str, kind: KindInForce
) -> None:
    instruction = "safety_now" if kind.level == 5 else INSTRUCTIONS.get(kind.level, "stay_informed")
    for msg_type in ("Alert", "Update", "Cancel"):
        for language in LANGUAGES:
            _check_rendering(family, kind, msg_type, language, instruction)


def _check_rendering(
    family: str, kind: KindInForce, msg_type: str, language: str, instruction: str
) -> None:
    case = f"{family} {kind.kind} {msg_type} {language}"
    if msg_type == "Cancel":
        karatsu = area(KARATSU, lifted=(kind,), instruction="lifted")
    else:
        karatsu = area(KARATSU, kinds=(kind,), instruction=instruction)

    rendered = render_message(
        language=language,
        msg_type=msg_type,
        level=karatsu.level,
        texts={
            "ja": {"description": "市からのお知らせ（日本語のみ）"},
            "en": {"description": "From the city."},
        },
        web_url="/disaster/m/412023/",
        areas=(karatsu,),
        family=family,
        municipality_codes=("412023",),
        unsubscribe_url="https://kurashi.example/notify/u/1/",
    )

    label = messages.kind_label(kind, language)
    assert label, case
    assert label in rendered.subject, case
    assert rendered.body.count(label) == 1, case  # the headline appears once
    assert "https://kurashi.example/notify/u/1/" in rendered.body, case
    if language == "ja":
        assert kind.name_ja in rendered.body, case
        assert "唐津市" in rendered.body, case
    elif language == "ja-x-easy":
        assert "からつし" in rendered.body, case
    else:
        assert "Karatsu City (唐津市)" in rendered.body, case
        rest = _without_places(rendered.subject + rendered.body, karatsu)
        assert not KANA.search(rest), (case, rest)
        if language in WITHOUT_IDEOGRAPHS:
            assert not IDEOGRAPHS.search(rest), (case, rest)
    if msg_type == "Cancel":
        assert messages.frame(language, "lifted").split("{kinds}")[0] in rendered.body, case
        assert messages.instruction_text("lifted", language) in rendered.body, case
    elif kind.level:
        equivalent = kind.source != SOURCE_MUNICIPALITY
        level = messages.level_label(kind.level, language, equivalent=equivalent)
        assert level in rendered.body, case
        assert messages.instruction_text(instruction, language) in rendered.body, case


def test_a_jma_level_is_an_equivalent_and_only_an_order_names_the_level() -> None:
    jma = area(
        SAGA,
        (KindInForce("heavy_rain_emergency_warning", 5, "heavy_rain", "大雨特別警報"),),
        instruction="safety_now",
    )
    order = area(
        SAGA,
        (
            KindInForce(
                "emergency_safety", 5, "heavy_rain", "緊急安全確保", source=SOURCE_MUNICIPALITY
            ),
        ),
        instruction="safety_now",
    )

    from_jma = render_message(
        language="ja", msg_type="Alert", level=5, texts={}, web_url="/", areas=(jma,)
    )
    from_order = render_message(
        language="ja", msg_type="Alert", level=5, texts={}, web_url="/", areas=(order,)
    )

    assert "【警戒レベル5相当】大雨特別警報" in from_jma.body
    assert "緊急安全確保" not in from_jma.body
    assert "【警戒レベル5】緊急安全確保" in from_order.body
    assert "相当" not in from_order.body


def test_a_recipient_reads_only_the_kinds_of_its_own_municipality() -> None:
    saga = area(
        SAGA,
        (
            KindInForce("heavy_rain_emergency_warning", 5, "heavy_rain", "大雨特別警報"),
            KindInForce("flood_warning", 3, "flood", "洪水警報"),
        ),
        instruction="safety_now",
    )
    karatsu = area(
        KARATSU,
        (KindInForce("heavy_rain_advisory", 2, "heavy_rain", "大雨注意報"),),
        instruction="check_route",
    )

    for language, advisory, emergency, level_5_action in (
        ("ja", "大雨注意報", "特別警報", "直ちに身の安全を確保"),
        ("en", "Heavy Rain Advisory", "Emergency", "Secure your safety immediately"),
        ("vi", "Thông tin lưu ý mưa to", "đặc biệt", "ngay lập tức"),
    ):
        rendered = render_message(
            language=language,
            msg_type="Alert",
            level=5,
            texts={},
            web_url="/disaster/",
            areas=(saga, karatsu),
            municipality_codes=("412023",),
        )
        assert advisory in rendered.subject
        assert emergency not in rendered.body
        assert level_5_action not in rendered.body
        assert "佐賀市" not in rendered.body


def test_english_is_the_fallback_for_a_missing_phrase(monkeypatch: pytest.MonkeyPatch) -> None:
    table = messages.terms()
    trimmed = {**table, "kinds": {**table["kinds"]}}
    trimmed["kinds"]["flood_warning"] = {
        key: value for key, value in table["kinds"]["flood_warning"].items() if key != "tl"
    }
    monkeypatch.setattr(messages, "terms", lambda: trimmed)
    karatsu = area(
        KARATSU,
        (KindInForce("flood_warning", 3, "flood", "洪水警報"),),
        instruction="evacuate_elderly",
    )

    rendered = render_message(
        language="tl", msg_type="Alert", level=3, texts={}, web_url="/", areas=(karatsu,)
    )

    assert "Flood Warning" in rendered.body
    assert "洪水警報" not in rendered.body


def test_an_unknown_language_is_written_in_english() -> None:
    karatsu = area(KARATSU, (KindInForce("flood_warning", 3, "flood", "洪水警報"),))

    rendered = render_message(
        language="fr", msg_type="Alert", level=3, texts={}, web_url="/", areas=(karatsu,)
    )

    assert rendered.language == "en"
    assert "Flood Warning" in rendered.body


def test_the_lift_notice_names_what_was_lifted_and_where() -> None:
    lifted = KindInForce(
        "heavy_rain_warning", 3, "heavy_rain", "大雨警報", conditions=("inundation",)
    )
    karatsu = area(KARATSU, lifted=(lifted,), instruction="lifted")

    ja = render_message(
        language="ja", msg_type="Cancel", level=0, texts={}, web_url="/", areas=(karatsu,)
    )
    en = render_message(
        language="en", msg_type="Cancel", level=0, texts={}, web_url="/", areas=(karatsu,)
    )

    assert ja.subject == "【解除・取消】 唐津市：大雨警報（浸水害）は解除されました。"
    assert "警報・注意報は解除されました" in ja.body
    assert (
        en.subject
        == "[Lifted / Cancelled] Karatsu City (唐津市): Lifted: Heavy Rain Warning (Inundation)."
    )


def test_sender_texts_fall_back_to_english_not_japanese() -> None:
    rendered = render_message(
        language="ko",
        msg_type="Alert",
        level=4,
        texts={
            "ja": {"event": "お知らせ", "headline": "日本語"},
            "en": {"event": "Notice", "headline": "In English"},
        },
        web_url="/",
    )

    assert "In English" in rendered.body
    assert "日本語" not in rendered.body


@pytest.mark.usefixtures("reference_data")
def test_each_subscriber_is_sent_the_kinds_of_its_own_municipality(
    smtp_sink: SmtpSink, notice_factory: Callable[..., Notice]
) -> None:
    saga = area(
        SAGA,
        (KindInForce("heavy_rain_emergency_warning", 5, "heavy_rain", "大雨特別警報"),),
        instruction="safety_now",
    )
    karatsu = area(
        KARATSU,
        (KindInForce("heavy_rain_advisory", 2, "heavy_rain", "大雨注意報"),),
        instruction="check_route",
    )
    make_subscription(codes=("412023",), language="en", min_level=2, email="karatsu@example.test")
    make_subscription(codes=("412015",), language="vi", min_level=2, email="saga@example.test")
    make_subscription(
        codes=("412023",), language="ja", min_level=2, email="karatsu-ja@example.test"
    )

    dispatch_notice(
        notice_factory(
            level=5,
            area_levels={"412015": 5, "412023": 2},
            family="weather",
            areas=(saga, karatsu),
            sent=datetime(2019, 8, 28, 5, 50, tzinfo=UTC),
        )
    )

    assert areas_from_json(StoredNotice.objects.get().content["areas"]) == (saga, karatsu)
    (to_karatsu,) = smtp_sink.to("karatsu@example.test")
    body = to_karatsu.get_body().get_content()  # type: ignore[union-attr]
    assert to_karatsu["Subject"] == (
        "[Alert] Alert level 2 Karatsu City (唐津市): Heavy Rain Advisory"
    )
    assert "Check your shelter and the way to it on the hazard map." in body
    assert "Emergency" not in body
    assert "Saga City" not in body
    (to_saga,) = smtp_sink.to("saga@example.test")
    assert to_saga["Subject"] == (
        "[Cảnh báo] Tương đương cấp độ cảnh giác 5 Saga City (佐賀市): Cảnh báo đặc biệt mưa to"
    )
    (to_karatsu_ja,) = smtp_sink.to("karatsu-ja@example.test")
    body_ja = to_karatsu_ja.get_body().get_content()  # type: ignore[union-attr]
    assert "唐津市：【警戒レベル2】大雨注意報" in body_ja
    assert "特別警報" not in body_ja
