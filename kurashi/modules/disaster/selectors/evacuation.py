"""Reads of evacuation information: the staff lists, what residents will see (the public texts in
each language), the approval preview with its diff, the audit history, and the orders in force."""

import difflib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.translation import gettext_noop

from kurashi.core.models import AuditEvent, Municipality, User
from kurashi.core.permissions import grant_for
from kurashi.modules.disaster.models import EvacuationOrder, Hazard

DRAFT_PERMISSION = "disaster.draft_evacuation_order"
APPROVE_PERMISSION = "disaster.approve_evacuation_order"
EXPORT_PERMISSION = "disaster.export_lalert"

# Languages of the public texts of an order, in the order they are shown.
ORDER_LANGUAGES = ("ja", "ja-x-easy", "en")


@dataclass(frozen=True)
class LevelInfo:
    level: int
    css_class: str  # official 警戒レベル colour (L5 black, L4 purple, L3 red), see evacuation.css
    colour: str  # the official RGB, for L-Alert and the API
    name: dict[str, str]  # per language
    instruction: dict[str, str]


LEVELS: dict[int, LevelInfo] = {
    5: LevelInfo(
        level=5,
        css_class="level-badge--5",
        colour="#0c000c",
        name={
            "ja": "緊急安全確保",
            "ja-x-easy": "いのちを まもって",
            "en": "Emergency safety measures",
        },
        instruction={
            "ja": "命の危険があります。直ちに身の安全を確保してください。",
            "ja-x-easy": "いのちが あぶない です。すぐに いのちを まもって ください。",
            "en": "Your life is in danger. Secure your safety immediately.",
        },
    ),
    4: LevelInfo(
        level=4,
        css_class="level-badge--4",
        colour="#aa00aa",
        name={"ja": "避難指示", "ja-x-easy": "みんな にげて", "en": "Evacuation order"},
        instruction={
            "ja": "危険な場所から全員避難してください。",
            "ja-x-easy": "あぶない ところに いる 人は、みんな にげて ください。",
            "en": "Everyone in a dangerous place must evacuate.",
        },
    ),
    3: LevelInfo(
        level=3,
        css_class="level-badge--3",
        colour="#ff2800",
        name={
            "ja": "高齢者等避難",
            "ja-x-easy": "おとしより などは にげて",
            "en": "Evacuation of elderly people, etc.",
        },
        instruction={
            "ja": "危険な場所から高齢者等は避難してください。",
            "ja-x-easy": "おとしより や しょうがいの ある 人は、あぶない ところから にげて ください。",
            "en": "Elderly people and others who need time to evacuate must leave dangerous places.",
        },
    ),
    0: LevelInfo(
        level=0,
        css_class="level-badge--0",
        colour="#ffffff",
        name={"ja": "解除", "ja-x-easy": "おわり", "en": "Lifted"},
        instruction={
            "ja": "引き続き、今後の情報に注意してください。",
            "ja-x-easy": "これからの おしらせにも ちゅうい して ください。",
            "en": "Keep watching for further information.",
        },
    ),
}

HAZARD_NAMES: dict[str, dict[str, str]] = {
    Hazard.HEAVY_RAIN: {"ja": "大雨", "ja-x-easy": "おおあめ", "en": "heavy rain"},
    Hazard.LANDSLIDE: {"ja": "土砂災害", "ja-x-easy": "がけくずれ", "en": "landslides"},
    Hazard.FLOOD: {"ja": "洪水", "ja-x-easy": "かわの みずが あふれること", "en": "flooding"},
    Hazard.STORM_SURGE: {"ja": "高潮", "ja-x-easy": "たかしお", "en": "storm surge"},
    Hazard.STORM: {"ja": "暴風", "ja-x-easy": "つよい かぜ", "en": "violent winds"},
    Hazard.HIGH_WAVES: {"ja": "高波", "ja-x-easy": "たかい なみ", "en": "high waves"},
    Hazard.SNOW: {"ja": "大雪", "ja-x-easy": "おおゆき", "en": "heavy snow"},
    Hazard.TORNADO: {"ja": "竜巻", "ja-x-easy": "たつまき", "en": "tornadoes"},
    Hazard.HEAT: {"ja": "熱中症", "ja-x-easy": "ねっちゅうしょう", "en": "heat stroke"},
    Hazard.EARTHQUAKE: {"ja": "地震", "ja-x-easy": "じしん", "en": "earthquakes"},
    Hazard.TSUNAMI: {"ja": "津波", "ja-x-easy": "つなみ", "en": "tsunami"},
    Hazard.FIRE: {"ja": "大規模な火事", "ja-x-easy": "おおきな かじ", "en": "a large fire"},
    Hazard.OTHER: {"ja": "災害", "ja-x-easy": "さいがい", "en": "disaster"},
}

_MESSAGE_TEMPLATES: dict[int, dict[str, str]] = {
    3: {
        "ja": "{municipality}は、{hazard}の危険が高まっているため、{area}に高齢者等避難（警戒レベル3）を"
        "発令しました。高齢者や障害のある方など避難に時間のかかる方とその支援者は、危険な場所から避難して"
        "ください。その他の方も、避難の準備をしてください。",
        "ja-x-easy": "{municipality}から おしらせ です。{area}で {hazard}が おきる かもしれません。"
        "おとしより や しょうがいの ある 人は、あぶない ところから にげて ください。"
        "ほかの 人も、にげる じゅんびを して ください。（けいかい レベル 3）",
        "en": "{municipality} has issued Evacuation of Elderly People, etc. (Alert Level 3) for "
        "{area} because the risk of {hazard} is increasing. Elderly people, people with "
        "disabilities and others who need time to evacuate, and those who support them, should "
        "leave dangerous places now. Everyone else should prepare to evacuate.",
    },
    4: {
        "ja": "{municipality}は、{hazard}の危険が高まっているため、{area}に避難指示（警戒レベル4）を"
        "発令しました。危険な場所にいる方は、全員、ただちに避難してください。",
        "ja-x-easy": "{municipality}から おしらせ です。{area}で {hazard}が おきる かもしれません。"
        "あぶない ところに いる 人は、みんな すぐに にげて ください。（けいかい レベル 4）",
        "en": "{municipality} has issued an Evacuation Order (Alert Level 4) for {area} because "
        "the risk of {hazard} is high. Everyone in a dangerous place must evacuate immediately.",
    },
    5: {
        "ja": "{municipality}は、{area}に緊急安全確保（警戒レベル5）を発令しました。{hazard}による"
        "災害が発生しているか、発生が切迫しています。命の危険があります。ただちに身の安全を確保してください。",
        "ja-x-easy": "{municipality}から おしらせ です。{area}で {hazard}の さいがいが おきて います。"
        "いのちが あぶない です。すぐに いのちを まもって ください。（けいかい レベル 5）",
        "en": "{municipality} has issued Emergency Safety Measures (Alert Level 5) for {area}. A "
        "disaster caused by {hazard} is happening or about to happen. Your life is in danger. "
        "Secure your safety immediately.",
    },
    0: {
        "ja": "{municipality}は、{area}に発令していた{previous}を解除しました。引き続き、今後の情報に"
        "注意してください。",
        "ja-x-easy": "{municipality}から おしらせ です。{area}の 「{previous}」の おしらせは "
        "おわりました。これからの おしらせにも ちゅうい して ください。",
        "en": "{municipality} has lifted the {previous} for {area}. Keep watching for further "
        "information.",
    },
}


@dataclass(frozen=True)
class MunicipalityNames:
    code: str
    ja: str
    kana: str
    en: str

    def in_language(self, language: str) -> str:
        if language == "en":
            return self.en
        if language == "ja-x-easy":
            return f"{self.ja}（{self.kana}）"
        return self.ja


def municipality_names(code: str) -> MunicipalityNames:
    municipality = Municipality.objects.filter(code=code).first()
    if municipality is None:
        return MunicipalityNames(code=code, ja=code, kana=code, en=code)
    return MunicipalityNames(
        code=code, ja=municipality.name_ja, kana=municipality.name_kana, en=municipality.name_en
    )


def area_phrase(
    *, language: str, is_whole_municipality: bool, districts: list[str], has_polygon: bool
) -> str:
    """How the area is named in the message text of `language`."""
    if is_whole_municipality:
        return {"ja": "市町内全域", "ja-x-easy": "まちの ぜんぶ", "en": "the whole municipality"}[
            language
        ]
    parts: list[str] = []
    if districts:
        separator = ", " if language == "en" else "、"
        parts.append(separator.join(districts))
    if has_polygon:
        parts.append(
            {
                "ja": "地図で示した区域",
                "ja-x-easy": "ちずで しめした ところ",
                "en": "the area shown on the map",
            }[language]
        )
    joiner = {"ja": "及び", "ja-x-easy": "と", "en": " and "}[language]
    return joiner.join(parts)


def default_messages(
    *,
    municipality_code: str,
    level: int,
    hazard: str,
    is_whole_municipality: bool = True,
    districts: list[str] | None = None,
    has_polygon: bool = False,
    previous_level: int | None = None,
) -> dict[str, str]:
    """Standard message texts per language for a level and hazard, for the drafter to edit
    (written texts, never machine translation). Keys: message_ja, message_easy_ja, message_en."""
    names = municipality_names(municipality_code)
    templates = _MESSAGE_TEMPLATES.get(level, _MESSAGE_TEMPLATES[4])
    hazard_names = HAZARD_NAMES.get(hazard, HAZARD_NAMES[Hazard.OTHER])
    previous = LEVELS.get(previous_level or 4, LEVELS[4]).name
    texts: dict[str, str] = {}
    for language in ORDER_LANGUAGES:
        texts[language] = templates[language].format(
            municipality=names.in_language(language),
            hazard=hazard_names[language],
            area=area_phrase(
                language=language,
                is_whole_municipality=is_whole_municipality,
                districts=districts or [],
                has_polygon=has_polygon,
            ),
            previous=previous[language] if language != "en" else previous[language].lower(),
        )
    return {
        "message_ja": texts["ja"],
        "message_easy_ja": texts["ja-x-easy"],
        "message_en": texts["en"],
    }


def _message(order: EvacuationOrder, language: str) -> str:
    return {
        "ja": order.message_ja,
        "ja-x-easy": order.message_easy_ja,
        "en": order.message_en,
    }[language]


def _lifted_level(order: EvacuationOrder) -> int:
    """The level an order lifts (解除) or, for other orders, its own level."""
    if order.is_lift and order.replaces is not None:
        return order.replaces.level
    return order.level


def public_texts(order: EvacuationOrder) -> dict[str, dict[str, str]]:
    """Exactly what residents are told, per language present: event, headline, description,
    instruction. Languages whose message is empty are left out (Japanese is always there)."""
    names = municipality_names(order.municipality_code)
    info = LEVELS[order.level]
    lifted = LEVELS.get(_lifted_level(order), LEVELS[4])
    area_ja = area_description_ja(order, names=names)
    texts: dict[str, dict[str, str]] = {}
    for language in ORDER_LANGUAGES:
        message = _message(order, language).strip()
        if not message:
            continue
        municipality = names.in_language(language)
        if order.is_lift:
            event = f"{lifted.name[language]} {info.name[language]}"
            if language == "en":
                headline = f"[Lifted] {lifted.name['en']}: {municipality}"
            elif language == "ja-x-easy":
                headline = f"【おわり】{lifted.name[language]} {municipality}"
            else:
                headline = f"【解除】{lifted.name['ja']} {area_ja}"
        else:
            event = info.name[language]
            if language == "en":
                headline = f"[Alert Level {order.level}] {info.name['en']}: {municipality}"
            elif language == "ja-x-easy":
                headline = f"【けいかい レベル {order.level}】{info.name[language]} {municipality}"
            else:
                headline = f"【警戒レベル{order.level}】{info.name['ja']} {area_ja}"
        texts[language] = {
            "event": event,
            "headline": headline,
            "description": message,
            "instruction": info.instruction[language],
        }
    return texts


def area_description_ja(order: EvacuationOrder, *, names: MunicipalityNames | None = None) -> str:
    names = names or municipality_names(order.municipality_code)
    if order.is_whole_municipality:
        return f"{names.ja}全域"
    parts = ["、".join(order.district_list)] if order.district_list else []
    if order.area_geojson:
        parts.append("地図で示した区域")
    return f"{names.ja}（{'及び'.join(parts)}）"


@dataclass(frozen=True)
class FieldChange:
    label: str
    before: str
    after: str


@dataclass(frozen=True)
class TextDiff:
    language: str
    lines: list[tuple[str, str]]  # (kind: "same" | "added" | "removed", text)


@dataclass(frozen=True)
class OrderPreview:
    order: EvacuationOrder
    municipality: MunicipalityNames
    level: LevelInfo
    lifted_level: LevelInfo | None
    texts: dict[str, dict[str, str]]
    area_description_ja: str
    districts: list[str]
    area_geojson: dict[str, Any] | None
    boundary_geojson: dict[str, Any] | None
    replaces: EvacuationOrder | None
    changes: list[FieldChange]
    text_diffs: list[TextDiff]


def _area_summary(order: EvacuationOrder) -> str:
    return area_description_ja(order)


def _diff_lines(before: str, after: str) -> list[tuple[str, str]]:
    lines: list[tuple[str, str]] = []
    for line in difflib.ndiff(before.splitlines() or [""], after.splitlines() or [""]):
        code, text = line[:2], line[2:]
        if code == "  ":
            lines.append(("same", text))
        elif code == "+ ":
            lines.append(("added", text))
        elif code == "- ":
            lines.append(("removed", text))
    return lines


def order_preview(order: EvacuationOrder) -> OrderPreview:
    """What the approver checks: the public texts per language, the level (colour AND text), the
    area, and what changes against the order it replaces."""
    names = municipality_names(order.municipality_code)
    boundary = (
        Municipality.objects.filter(code=order.municipality_code)
        .values_list("boundary_geojson", flat=True)
        .first()
    )
    previous = order.replaces
    texts = public_texts(order)
    changes: list[FieldChange] = []
    text_diffs: list[TextDiff] = []
    if previous is not None:
        before_texts = public_texts(previous)
        compared = (
            (
                gettext_noop("Level"),
                f"L{previous.level} {LEVELS[previous.level].name['ja']}",
                f"L{order.level} {LEVELS[order.level].name['ja']}",
            ),
            (
                gettext_noop("Hazard"),
                HAZARD_NAMES[previous.hazard]["ja"],
                HAZARD_NAMES[order.hazard]["ja"],
            ),
            (gettext_noop("Area"), _area_summary(previous), _area_summary(order)),
            (
                gettext_noop("Households"),
                str(previous.households or "–"),
                str(order.households or "–"),
            ),
            (gettext_noop("People"), str(previous.people or "–"), str(order.people or "–")),
            (gettext_noop("Exercise"), str(previous.is_exercise), str(order.is_exercise)),
        )
        changes = [FieldChange(label, a, b) for label, a, b in compared if a != b]
        for language in ORDER_LANGUAGES:
            before = before_texts.get(language, {}).get("description", "")
            after = texts.get(language, {}).get("description", "")
            if before != after:
                text_diffs.append(TextDiff(language=language, lines=_diff_lines(before, after)))
    return OrderPreview(
        order=order,
        municipality=names,
        level=LEVELS[order.level],
        lifted_level=LEVELS[_lifted_level(order)] if order.is_lift else None,
        texts=texts,
        area_description_ja=area_description_ja(order, names=names),
        districts=order.district_list,
        area_geojson=order.area_geojson,
        boundary_geojson=boundary,
        replaces=previous,
        changes=changes,
        text_diffs=text_diffs,
    )


def _scope(user: User | Any) -> Q:
    draft = grant_for(user, DRAFT_PERMISSION)
    approve = grant_for(user, APPROVE_PERMISSION)
    return draft.as_q(municipality_field="municipality_code") | approve.as_q(
        municipality_field="municipality_code"
    )


def can_see_orders(user: User | Any) -> bool:
    return bool(grant_for(user, DRAFT_PERMISSION)) or bool(grant_for(user, APPROVE_PERMISSION))


def list_orders(
    *, user: User | Any, municipality_code: str = "", state: str = ""
) -> QuerySet[EvacuationOrder]:
    """Orders of the municipalities where `user` drafts or approves, newest first."""
    orders = EvacuationOrder.objects.filter(_scope(user)).select_related(
        "drafted_by", "approved_by", "replaces"
    )
    if municipality_code:
        orders = orders.filter(municipality_code=municipality_code)
    if state:
        orders = orders.filter(state=state)
    return orders.order_by("-created_at", "-id")


def count_orders_by_state(*, user: User | Any, municipality_code: str = "") -> dict[str, int]:
    orders = EvacuationOrder.objects.filter(_scope(user))
    if municipality_code:
        orders = orders.filter(municipality_code=municipality_code)
    counts = dict.fromkeys(EvacuationOrder.State.values, 0)
    for state in orders.values_list("state", flat=True):
        counts[state] += 1
    return counts


def get_order(order_id: int) -> EvacuationOrder:
    """One order or EvacuationOrder.DoesNotExist."""
    return EvacuationOrder.objects.select_related(
        "drafted_by", "approved_by", "rejected_by", "replaces"
    ).get(pk=order_id)


def list_chain(order: EvacuationOrder) -> list[EvacuationOrder]:
    """Every order of the chain `order` belongs to, first first."""
    root = order.chain_root_pk
    return list(
        EvacuationOrder.objects.filter(Q(pk=root) | Q(chain_root_id=root))
        .select_related("drafted_by", "approved_by")
        .order_by("created_at", "id")
    )


def list_order_history(order: EvacuationOrder) -> list[AuditEvent]:
    """The audit trail of one order (drafted, edited, submitted, approved/rejected …)."""
    return list(
        AuditEvent.objects.filter(
            object_type=EvacuationOrder._meta.label_lower, object_id=str(order.pk)
        ).order_by("at", "id")
    )


def list_orders_in_force(
    *, municipality_code: str = "", include_exercise: bool = False
) -> QuerySet[EvacuationOrder]:
    """Published orders that raise a level (解除 orders are published but lift, not raise)."""
    orders = EvacuationOrder.objects.filter(state=EvacuationOrder.State.PUBLISHED).exclude(
        level=EvacuationOrder.Level.LIFTED
    )
    if municipality_code:
        orders = orders.filter(municipality_code=municipality_code)
    if not include_exercise:
        orders = orders.filter(is_exercise=False)
    return orders.order_by("municipality_code", "-level", "-published_at")


def list_municipality_choices(*, user: User | Any, permission: str) -> list[tuple[str, str]]:
    """(code, name) of the municipalities where `user` holds `permission`."""
    grant = grant_for(user, permission)
    municipalities = Municipality.objects.filter(grant.as_q(municipality_field="code"))
    return [(m.code, m.name) for m in municipalities.order_by("code")]


def boundaries_for_map(codes: list[str]) -> dict[str, Any]:
    """{code: boundary GeoJSON geometry} of the given municipalities, for the drawing map."""
    return {
        code: geometry
        for code, geometry in Municipality.objects.filter(code__in=codes).values_list(
            "code", "boundary_geojson"
        )
        if geometry
    }
