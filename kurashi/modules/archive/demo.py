"""Demo data of the archive: the 11 Aozora texts, 60 + 60 IIIF manifest references of the Saga
prefectural library and Saga University, four sample images with IIIF tiles, a performing art
(面浮立) with a synthetic recording, a three-language transcript and restricted segments, and a
cataloguer account at the prefectural library. Idempotent."""

import io
import json
import math
import struct
import wave
from collections.abc import Callable
from datetime import date

from django.db import transaction
from PIL import Image, ImageDraw

from kurashi.core.demo import ensure_demo_account
from kurashi.core.models import Municipality, Organisation, Role
from kurashi.core.services import RoleSpec, add_membership, ensure_organisation, ensure_role
from kurashi.modules.archive import imports, services
from kurashi.modules.archive.models import Item, Segment
from kurashi.modules.archive.rights import Rights
from kurashi.modules.archive.selectors import DATA_DIR

Progress = Callable[[int, int], None]

CATALOGUER = RoleSpec(
    "archive-cataloguer",
    "アーカイブ目録担当",
    "Archive cataloguer",
    ("archive.catalogue_items", "archive.publish_items"),
)
IMAGES = (
    ("coffee.png", "コーヒーカップ（サンプル画像）", "Coffee cup (sample image)"),
    ("chelsea.png", "猫のチェルシー（サンプル画像）", "Chelsea the cat (sample image)"),
    ("camera.png", "カメラを持つ人（サンプル画像）", "Cameraman (sample image)"),
    ("rocket.jpg", "ロケットの打ち上げ（サンプル画像）", "Rocket launch (sample image)"),
)
TRANSCRIPTS = {
    "ja-x-saga": (
        "佐賀弁（方言）",
        [
            "こいから面浮立の始まるけんね。",
            "鉦と太鼓の音ば、よう聞いてみんしゃい。",
            "面ばかぶった舞い手の出てくっよ。",
        ],
    ),
    "ja": (
        "標準語",
        [
            "これから面浮立が始まります。",
            "鉦と太鼓の音をよく聞いてみてください。",
            "面をかぶった踊り手が出てきます。",
        ],
    ),
    "en": (
        "English",
        [
            "The Menburyū is about to begin.",
            "Listen to the gongs and drums.",
            "The dancers wearing masks come out.",
        ],
    ),
}


def synthetic_tone(seconds: int = 12, rate: int = 8000) -> bytes:
    """A WAV of a soft 220 Hz tone that swells every second: a stand-in for a real recording."""
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as output:
        output.setnchannels(1)
        output.setsampwidth(2)
        output.setframerate(rate)
        frames = bytearray()
        for index in range(seconds * rate):
            envelope = 0.5 + 0.5 * math.sin(2 * math.pi * index / rate)
            sample = int(6000 * envelope * math.sin(2 * math.pi * 220 * index / rate))
            frames += struct.pack("<h", sample)
        output.writeframes(bytes(frames))
    return buffer.getvalue()


def _vtt(lines: list[str]) -> str:
    cues = ["WEBVTT", "", "NOTE demo transcript written for Kurashi", ""]
    for index, text in enumerate(lines):
        cues += [f"00:00:{index * 4:02d}.000 --> 00:00:{index * 4 + 4:02d}.000", text, ""]
    return "\n".join(cues)


def _staff() -> Organisation:
    organisation = Organisation.objects.filter(slug="saga-pref-library").first()
    if organisation is None:
        organisation = ensure_organisation(
            slug="saga-pref-library",
            kind=Organisation.Kind.LIBRARY,
            name_ja="佐賀県立図書館",
            name_en="Saga Prefectural Library",
            municipality_code="412015",
        )
    role: Role = ensure_role(CATALOGUER)
    user = ensure_demo_account(username="library-staff", display_name="県立図書館 郷土資料担当")
    add_membership(actor=None, user=user, organisation=organisation, role=role)
    return organisation


def _performance(organisation: Organisation) -> Item:
    collection = services.ensure_collection(
        slug="geino",
        title_ja="佐賀の民俗芸能",
        title_en="Folk performing arts of Saga",
        description_ja="浮立・くんちなど、地域で受け継がれてきた芸能の記録。",
        description_en="Recordings of performing arts handed down in Saga's communities.",
        holder_ja="佐賀県立図書館",
        holder_en="Saga Prefectural Library",
        organisation_id=organisation.pk,
    )
    kashima = Municipality.objects.filter(code="412074").first()
    item = services.save_item(
        actor=None,
        collection=collection,
        source_key="demo:menburyu",
        data={
            "title": "面浮立（デモ記録）",
            "title_reading": "めんぶりゅう",
            "title_en": "Menburyū (demo recording)",
            "alternative_title": "浮立",
            "description": (
                "鹿島市などに伝わる面浮立のデモ記録。音声は合成音、書き起こしはデモ用に作成したものです。"
            ),
            "description_en": "Demo record of Menburyū; the audio is a synthetic tone and the "
            "transcript was written for the demo.",
            "date_text": "令和六年",
            "municipality": kashima,
            "place_name": "鹿島市",
            "latitude": 33.1036,
            "longitude": 130.0987,
            "subjects": ["浮立", "民俗芸能", "祭り"],
            "type": Item.Type.PERFORMANCE,
            "rights": Rights.CC_BY,
            "event_name": "秋祭り奉納浮立（デモ）",
            "performed_on": date(2024, 10, 13),
            "preserving_group": "面浮立保存会（デモ）",
        },
    )
    media = services.ingest_audio(data=synthetic_tone(), mime_type="audio/wav", duration=12.0)
    use = services.attach_media(item=item, media=media, label="面浮立 奉納（デモ音声）")
    for language, (label, lines) in TRANSCRIPTS.items():
        services.set_track(item_media=use, language=language, label=label, vtt=_vtt(lines))
    services.set_segments(
        item=item,
        segments=[
            (0.0, 4.0, "道行", Segment.Restriction.OPEN),
            (4.0, 8.0, "鉦・太鼓", Segment.Restriction.OPEN),
            (8.0, 12.0, "面をつけた奉納の舞（非公開）", Segment.Restriction.CLOSED),
        ],
    )
    services.save_item(
        actor=None,
        collection=collection,
        source_key="demo:saganishiki",
        data={
            "title": "佐賀錦の織り方",
            "title_reading": "さがにしきのおりかた",
            "title_en": "How Saga nishiki brocade is woven",
            "description": "佐賀錦（さがにしき）の技法の解説（目録のみのデモ記録）。",
            "date_text": "昭和五十年",
            "municipality": Municipality.objects.filter(code="412015").first(),
            "subjects": ["佐賀錦", "工芸"],
            "type": Item.Type.TEXT,
            "rights": Rights.PDL,
        },
    )
    for key in ("demo:menburyu", "demo:saganishiki"):
        stored = Item.objects.get(collection=collection, source_key=key)
        if not stored.is_public:
            services.publish_item(actor=None, item=stored)
    return item


TEST_PATTERN = ("テストパターン（表示確認用）", "Test pattern (viewer check)")


def pattern_png(width: int = 1300, height: int = 900) -> bytes:
    """A PNG of circles on a 100 px grid with coloured corners, deliberately not a multiple of
    the 512 px tiles: any stretched edge tile turns its circles into ellipses (the viewer's
    end-to-end test compares what the browser draws with this image)."""
    image = Image.new("RGB", (width, height), "white")
    draw = ImageDraw.Draw(image)
    for x in range(50, width, 100):
        for y in range(50, height, 100):
            draw.ellipse((x - 35, y - 35, x + 35, y + 35), outline="black", width=6)
    for x in range(0, width, 100):
        draw.line((x, 0, x, height), fill=(120, 120, 120), width=2)
    for y in range(0, height, 100):
        draw.line((0, y, width, y), fill=(120, 120, 120), width=2)
    for (x, y), colour in zip(
        ((0, 0), (width - 60, 0), (0, height - 60), (width - 60, height - 60)),
        ((200, 0, 0), (0, 150, 0), (0, 0, 200), (200, 120, 0)),
        strict=True,
    ):
        draw.rectangle((x, y, x + 59, y + 59), fill=colour)
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def _images() -> int:
    collection = services.ensure_collection(
        slug="samples",
        title_ja="サンプル画像（デモ）",
        title_en="Sample images (demo)",
        description_ja="画像処理と IIIF 表示を試すための CC0・パブリックドメインの写真。",
        description_en="CC0 / public-domain photographs to try the image pipeline and IIIF.",
        holder_ja="scikit-image",
        holder_en="scikit-image",
        source_url="https://scikit-image.org/",
    )
    for number, (name, title, title_en) in enumerate((*IMAGES, ("pattern.png", *TEST_PATTERN)), 1):
        data = pattern_png() if name == "pattern.png" else (DATA_DIR / "images" / name).read_bytes()
        media = services.ingest_image(data=data, filename=name)
        if not media.tiles_ready:
            services.render_tiles(media_id=media.pk)
        item = services.save_item(
            actor=None,
            collection=collection,
            source_key=f"demo:image:{name}",
            data={
                "title": title,
                "title_en": title_en,
                "type": Item.Type.IMAGE,
                "rights": Rights.PDM if name == "rocket.jpg" else Rights.CC0,
                **(
                    {"description": "表示確認用の図形（1300×900 画素、タイルの端が半端な大きさ）。"}
                    if name == "pattern.png"
                    else {}
                ),
                "subjects": ["サンプル"],
            },
        )
        services.attach_media(item=item, media=media, label=title, position=number)
        if not item.is_public:
            services.publish_item(actor=None, item=item)
    return len(IMAGES) + 1


def load_demo_archive(progress: Progress) -> int:
    steps = 5
    with transaction.atomic():
        organisation = _staff()
    progress(1, steps)
    count = len(imports.import_aozora_directory(DATA_DIR / "aozora").items)
    progress(2, steps)
    for slug, file, title, title_en, holder, holder_en, rights, origin in (
        (
            "sagalibdb",
            "saga_pref_library_first60.json",
            "佐賀県立図書館データベース（絵図・村図）",
            "Saga Prefectural Library database (maps)",
            "佐賀県立図書館",
            "Saga Prefectural Library",
            Rights.PDM,
            "https://www.sagalibdb.jp",
        ),
        (
            "ogi-nikki",
            "saga_univ_ogi_nikki_first60.json",
            "小城藩日記（佐賀大学附属図書館）",
            "Ogi domain diaries (Saga University Library)",
            "佐賀大学附属図書館",
            "Saga University Library",
            Rights.CC_BY_NC_SA,
            "https://www.dl.saga-u.ac.jp",
        ),
    ):
        collection = services.ensure_collection(
            slug=slug,
            title_ja=title,
            title_en=title_en,
            holder_ja=holder,
            holder_en=holder_en,
            organisation_id=organisation.pk if slug == "sagalibdb" else None,
            iiif_origins=[origin],
        )
        data = json.loads((DATA_DIR / "iiif" / file).read_text(encoding="utf-8"))
        count += len(
            imports.import_iiif_collection(data, collection=collection, default_rights=rights).items
        )
    progress(3, steps)
    with transaction.atomic():
        _performance(organisation)
    progress(4, steps)
    count += _images() + 2
    progress(5, steps)
    return count
