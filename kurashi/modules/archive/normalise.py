"""One Japanese normalisation, used when indexing AND when querying, so every database behaves the
same: NFKC (ゟ → より, full/half width) → lower case → old/variant kanji folded to the new forms
(國 → 国, 澤 → 沢, 廣 → 広 …) → iteration marks expanded (々 ゝ ゞ) → katakana → hiragana →
historical kana folded (ゐ → い, ゑ → え). The original text is kept for display; only search keys
are normalised. Pure functions, no Django."""

import re
import unicodedata
from collections.abc import Iterator

import jaconv

# 旧字体/異体字 → 新字体 (常用漢字表の康熙字典体 and common name variants). Pairs of characters.
_VARIANT_PAIRS = (
    "亞亜惡悪壓圧圍囲爲為醫医壹壱稻稲飮飲隱隠營営榮栄衞衛驛駅圓円鹽塩緣縁艷艶應応歐欧毆殴櫻桜"
    "奧奥橫横溫温價価假仮畫画會会囘回壞壊懷懐繪絵擴拡殼殻覺覚學学嶽岳樂楽渴渇卷巻陷陥勸勧寬寛"
    "關関歡歓觀観顏顔歸帰氣気龜亀僞偽戲戯犧犠舊旧據拠擧挙峽峡挾挟狹狭曉暁區区驅駆勳勲徑径惠恵"
    "溪渓經経繼継莖茎螢蛍輕軽鷄鶏藝芸缺欠儉倹劍剣圈圏檢検權権獻献縣県險険顯顕驗験嚴厳效効廣広"
    "恆恒鑛鉱號号國国圀国濟済碎砕齋斎劑剤雜雑參参慘惨棧桟蠶蚕贊賛殘残絲糸齒歯兒児辭辞濕湿實実"
    "舍舎寫写釋釈壽寿收収從従澁渋獸獣縱縦肅粛處処緖緒敍叙將将燒焼稱称證証乘乗剩剰壤壌孃嬢條条"
    "淨浄疊畳讓譲釀醸觸触寢寝愼慎眞真盡尽圖図粹粋醉酔穗穂隨随髓髄樞枢數数瀨瀬聲声靜静齊斉攝摂"
    "竊窃專専戰戦淺浅潛潜纖繊踐践錢銭禪禅雙双壯壮搜捜插挿爭争總総聰聡莊荘裝装騷騒增増藏蔵臟臓"
    "卽即屬属續続墮堕體体對対帶帯滯滞臺台瀧滝擇択澤沢單単擔担膽胆團団彈弾斷断癡痴遲遅晝昼蟲虫"
    "鑄鋳廳庁聽聴敕勅鎭鎮遞逓鐵鉄轉転點点傳伝黨党盜盗燈灯當当鬪闘德徳獨独讀読屆届繩縄貳弐惱悩"
    "腦脳霸覇廢廃拜拝賣売麥麦發発髮髪拔抜蠻蛮祕秘濱浜濵浜甁瓶拂払佛仏倂併竝並變変邊辺邉辺辨弁"
    "瓣弁辯弁舖舗步歩寶宝豐豊沒没飜翻每毎萬万滿満默黙彌弥譯訳藥薬與与豫予餘余譽誉搖揺樣様謠謡"
    "來来賴頼亂乱覽覧龍竜兩両獵猟綠緑壘塁淚涙勵励禮礼隸隷靈霊齡齢戀恋爐炉勞労樓楼郞郎錄録灣湾"
    "嶋島嶌島﨑崎嵜崎髙高冨富峯峰黑黒淸清靑青涉渉戾戻曾曽揭掲稅税說説銳鋭閱閲脫脱奬奨姬姫狀状"
    "黃黄彥彦產産吳呉娛娯俠侠硏研巖巌渕淵國国晉晋埀垂嘗嘗莱莱螢蛍"
)
VARIANTS: dict[str, str] = {
    _VARIANT_PAIRS[index]: _VARIANT_PAIRS[index + 1]
    for index in range(0, len(_VARIANT_PAIRS), 2)
    if _VARIANT_PAIRS[index] != _VARIANT_PAIRS[index + 1]
}
_VARIANT_TABLE = str.maketrans(VARIANTS)

# Historical kana: fold in the search key only (no full 歴史的仮名遣い conversion).
_HISTORICAL_KANA = str.maketrans({"ゐ": "い", "ゑ": "え", "ゖ": "け", "ゕ": "か"})

# A rough voicing table for ゞ (the voiced iteration mark).
_VOICED = dict(
    zip(
        "かきくけこさしすせそたちつてとはひふへほ",
        "がぎぐげござじずぜぞだぢづでどばびぶべぼ",
        strict=True,
    )
)

_WORD_CHARACTERS = re.compile(r"[\w\u3040-\u30ff\u3400-\u9fff\uf900-\ufaff\U00020000-\U0002ffff]+")


def _katakana_to_hiragana(text: str) -> str:
    return "".join(chr(ord(char) - 0x60) if "ァ" <= char <= "ヶ" else char for char in text)


def _expand_iteration_marks(text: str) -> str:
    characters: list[str] = []
    for char in text:
        previous = characters[-1] if characters else ""
        if (char in "々〻" and previous) or (char in "ゝヽ" and previous):
            characters.append(previous)
        elif char in "ゞヾ" and previous:
            characters.append(_VOICED.get(previous, previous))
        else:
            characters.append(char)
    return "".join(characters)


def normalise(text: str) -> str:
    """The search key of `text` (see the module docstring). Idempotent."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.translate(_VARIANT_TABLE)
    text = _expand_iteration_marks(text)
    text = _katakana_to_hiragana(text)
    return text.translate(_HISTORICAL_KANA)


def words(key: str) -> list[str]:
    """Runs of letters, digits, kana and kanji in a normalised key (punctuation splits)."""
    return [word.replace("_", "") for word in _WORD_CHARACTERS.findall(key) if word.strip("_")]


def _is_ascii(text: str) -> bool:
    return text.isascii()


def index_terms(key: str) -> Iterator[str]:
    """Every term indexed for a normalised key: unigrams of non-ASCII characters, and bigrams.
    Duplicates are left to the caller."""
    for word in words(key):
        for position, char in enumerate(word):
            if not _is_ascii(char):
                yield char
            if position + 1 < len(word):
                yield word[position : position + 2]
        if len(word) == 1 and _is_ascii(word):
            yield word


def query_terms(key: str) -> list[str]:
    """The terms a normalised query needs, all of them: a one-character word is looked up as a
    unigram, a longer one through its bigrams (so 1- and 2-character queries work)."""
    terms: list[str] = []
    for word in words(key):
        if len(word) == 1:
            terms.append(word)
        else:
            terms.extend(word[position : position + 2] for position in range(len(word) - 1))
    return list(dict.fromkeys(terms))


_ROMAJI = re.compile(r"^[a-z' -]+$")


def query_variants(query: str) -> list[str]:
    """Normalised forms of a user's query: itself, and for a romaji query also its kana reading
    (kappa → かっぱ, furyuu → ふりゅう)."""
    key = normalise(query).strip()
    if not key:
        return []
    variants = [key]
    if _ROMAJI.match(key):
        kana = jaconv.alphabet2kana(key.replace("'", "").replace("-", ""))
        kana = normalise(kana)
        if kana and not kana.isascii() and kana not in variants:
            variants.append(kana)
    return variants
