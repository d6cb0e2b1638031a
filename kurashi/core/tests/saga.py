"""The 20 municipalities of Saga Prefecture, written out by hand as the tests' reference.

Source: kurashi/core/data/saga_area_codes.csv (全国地方公共団体コード, 総務省). Kept as a literal
table so that a corrupted CSV or loader is caught instead of compared with itself.
"""

from typing import NamedTuple


class Row(NamedTuple):
    code: str
    name_ja: str
    name_kana: str
    name_en: str
    kind: str


SAGA_MUNICIPALITIES = (
    Row("412015", "佐賀市", "さがし", "Saga City", "city"),
    Row("412023", "唐津市", "からつし", "Karatsu City", "city"),
    Row("412031", "鳥栖市", "とすし", "Tosu City", "city"),
    Row("412040", "多久市", "たくし", "Taku City", "city"),
    Row("412058", "伊万里市", "いまりし", "Imari City", "city"),
    Row("412066", "武雄市", "たけおし", "Takeo City", "city"),
    Row("412074", "鹿島市", "かしまし", "Kashima City", "city"),
    Row("412082", "小城市", "おぎし", "Ogi City", "city"),
    Row("412091", "嬉野市", "うれしのし", "Ureshino City", "city"),
    Row("412104", "神埼市", "かんざきし", "Kanzaki City", "city"),
    Row("413275", "吉野ヶ里町", "よしのがりちょう", "Yoshinogari Town", "town"),
    Row("413411", "基山町", "きやまちょう", "Kiyama Town", "town"),
    Row("413453", "上峰町", "かみみねちょう", "Kamimine Town", "town"),
    Row("413461", "みやき町", "みやきちょう", "Miyaki Town", "town"),
    Row("413879", "玄海町", "げんかいちょう", "Genkai Town", "town"),
    Row("414018", "有田町", "ありたちょう", "Arita Town", "town"),
    Row("414239", "大町町", "おおまちちょう", "Omachi Town", "town"),
    Row("414247", "江北町", "こうほくまち", "Kohoku Town", "town"),
    Row("414255", "白石町", "しろいしちょう", "Shiroishi Town", "town"),
    Row("414417", "太良町", "たらちょう", "Tara Town", "town"),
)
SAGA_CODES = tuple(row.code for row in SAGA_MUNICIPALITIES)
