"""Closed (sacred) and unconsented parts of a performance stay closed in every output: the search
index (API and page, totals and snippets), OAI-PMH, the item page with its JSON-LD, the WebVTT
file and the IIIF manifest. Regression for issue 17 defect 1: the words of the closed 8–12 s cue
of 面浮立 were indexed, so `/api/v1/archive/search?q=踊り手` found it."""

import json

import pytest
from django.test import Client

from kurashi.core.models import Municipality
from kurashi.modules.archive import services
from kurashi.modules.archive.demo import synthetic_tone
from kurashi.modules.archive.models import Item, Segment
from kurashi.modules.archive.tests.factories import make_collection, make_item
from kurashi.modules.archive.views.oai import oai_identifier

VTT = (
    "WEBVTT\n\n"
    "00:00:00.000 --> 00:00:04.000\nこれから面浮立が始まります。\n\n"
    "00:00:04.000 --> 00:00:08.000\n鉦と太鼓の音をよく聞いてください。\n\n"
    "00:00:08.000 --> 00:00:12.000\n面をかぶった踊り手が出てきます。\n"
)
CLOSED_WORDS = ("踊り手", "おどりて", "odorite")


def performance(*, segments_first: bool) -> Item:
    item = make_item(
        "面浮立",
        collection=make_collection("geino", title_ja="民俗芸能"),
        title_reading="めんぶりゅう",
        type=Item.Type.PERFORMANCE,
        municipality=Municipality.objects.get(code="412074"),
        subjects=["浮立"],
    )
    media = services.ingest_audio(
        data=synthetic_tone(seconds=12), mime_type="audio/wav", duration=12.0
    )
    use = services.attach_media(item=item, media=media, label="奉納")
    closed = [(8.0, 12.0, "奉納の舞", Segment.Restriction.CLOSED)]
    if segments_first:
        services.set_segments(item=item, segments=closed)
    services.set_track(item_media=use, language="ja", label="標準語", vtt=VTT)
    if not segments_first:  # the demo's order: the track is indexed before the part is closed
        services.set_segments(item=item, segments=closed)
    return item


@pytest.mark.django_db
@pytest.mark.parametrize("segments_first", [False, True], ids=["closed-after", "closed-before"])
def test_closed_cue_is_in_no_public_output(
    client: Client, municipalities: None, segments_first: bool
) -> None:
    item = performance(segments_first=segments_first)
    # the open cues are searchable, so the index did take the transcript
    found = client.get("/api/v1/archive/search", {"q": "太鼓"}).json()
    assert [hit["id"] for hit in found["items"]] == [item.pk]
    for word in CLOSED_WORDS:
        api = client.get("/api/v1/archive/search", {"q": word}).json()
        assert api["total"] == 0, (word, api)
        page = client.get("/archive/search/", {"q": word}).content.decode()
        assert f"/archive/items/{item.pk}/" not in page  # (the page repeats the query itself)
    pages = [
        client.get(f"/archive/items/{item.pk}/").content.decode(),
        client.get(f"/archive/items/{item.pk}/manifest.json").content.decode(),
        client.get(
            "/archive/oai",
            {"verb": "GetRecord", "identifier": oai_identifier(item), "metadataPrefix": "oai_dc"},
        ).content.decode(),
        client.get(
            "/archive/oai", {"verb": "ListRecords", "metadataPrefix": "dcndl_simple"}
        ).content.decode(),
    ]
    track = item.media.get().tracks.get()
    pages.append(client.get(f"/archive/items/{item.pk}/tracks/{track.pk}.vtt").content.decode())
    for body in pages:
        assert "踊り手" not in body
    item_page = pages[0]
    ld = item_page.split('<script type="application/ld+json">')[1].split("</script>")[0]
    assert "鉦と太鼓" in json.loads(ld)["transcript"]  # the open part is there
    assert "鉦と太鼓" in pages[-1]


@pytest.mark.django_db
def test_reopening_a_part_makes_its_words_findable_again(
    client: Client, municipalities: None
) -> None:
    item = performance(segments_first=False)
    services.set_segments(item=item, segments=[(8.0, 12.0, "奉納の舞", Segment.Restriction.OPEN)])
    api = client.get("/api/v1/archive/search", {"q": "踊り手"}).json()
    assert [hit["id"] for hit in api["items"]] == [item.pk]
