"""The curated reading dictionary (Saga user dictionary): words dictionary tokenisers misread
(浮立 → ウキリツ instead of ふりゅう) and local names. A word found in an item's title,
alternative title or subjects adds its reading to the item's reading field in the index, so
ふりゅう, フリュウ and furyuu find 浮立. Extend it as cataloguers meet new words."""

READINGS: dict[str, str] = {
    "浮立": "ふりゅう",
    "面浮立": "めんぶりゅう",
    "天衝舞浮立": "てんつくまいふりゅう",
    "佐賀錦": "さがにしき",
    "唐津くんち": "からつくんち",
    "くんち": "くんち",
    "肥前国風土記": "ひぜんのくにふどき",
    "吉野ヶ里": "よしのがり",
    "有田焼": "ありたやき",
    "伊万里": "いまり",
    "武雄": "たけお",
    "嬉野": "うれしの",
    "小城羊羹": "おぎようかん",
    "小城": "おぎ",
    "鍋島": "なべしま",
    "松浦佐用姫": "まつらさよひめ",
    "河童": "かっぱ",
    "昔話": "むかしばなし",
    "民話": "みんわ",
    "絵図": "えず",
    "村図": "そんず",
    "日記": "にっき",
}


def readings_in(*texts: str) -> list[str]:
    """Readings of the dictionary words occurring in `texts` (longest words first)."""
    found = []
    for word in sorted(READINGS, key=len, reverse=True):
        if any(word in text for text in texts):
            found.append(READINGS[word])
    return found
