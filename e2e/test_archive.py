"""The digital archive in a real browser on the demo data: search by reading, the item page with
the deep-zoom viewer drawing IIIF tiles, the reading view with ruby, the player with its
transcript, the staff form; axe finds no WCAG 2.1 A/AA violation on browse, search, item, text
and player pages. Every test ends with a clean browser log (console errors, CSP violations)."""

import re

import pytest
from playwright.sync_api import Page, expect

from e2e.axe import run_axe
from e2e.conftest import BrowserLog

pytestmark = pytest.mark.e2e


def search_for(page: Page, query: str) -> None:
    page.goto("/archive/")
    page.get_by_label("アーカイブを検索").fill(query)
    page.get_by_role("button", name="検索", exact=True).click()
    page.wait_for_url(re.compile(r"/archive/search/\?q="))


def test_search_by_reading_finds_the_performing_art_and_the_player_shows_the_transcript(
    page: Page, log: BrowserLog
) -> None:
    search_for(page, "ふりゅう")
    expect(page.locator("h1")).to_contain_text("ふりゅう")
    run_axe(page, "search page")
    page.get_by_role("link", name="面浮立（デモ記録）").click()
    expect(page.locator("h1")).to_have_text("面浮立（デモ記録）")
    transcript = page.locator(".archive-transcript").first
    expect(transcript).to_contain_text("こいから面浮立の始まるけんね。")
    assert "奉納" not in " ".join(page.locator(".archive-transcript li").all_inner_texts())
    expect(page.locator("audio track")).to_have_count(3)
    page.wait_for_function("document.querySelector('audio').readyState >= 1")
    page.locator(".archive-seek").nth(1).click()
    page.wait_for_function("document.querySelector('audio').currentTime >= 3.5")
    run_axe(page, "player page")
    log.assert_clean()


def test_item_page_draws_iiif_tiles_in_the_deep_zoom_viewer(page: Page, log: BrowserLog) -> None:
    page.goto("/archive/collections/samples/")
    run_axe(page, "collection page")
    page.get_by_role("link", name="コーヒーカップ（サンプル画像）").click()
    viewer = page.locator(".archive-zoom--live")
    expect(viewer).to_be_visible()
    expect(viewer.locator("img.leaflet-tile-loaded").first).to_be_visible()
    tile = (
        viewer.locator("img.leaflet-tile-loaded[src*='/archive/iiif/']").first.get_attribute("src")
        or ""
    )
    assert re.search(r"/archive/iiif/[0-9a-f]{64}/\d+,\d+,\d+,\d+/\d+,\d+/0/default\.jpg$", tile), (
        tile
    )
    ld = page.locator('script[type="application/ld+json"]').text_content() or ""
    assert '"license"' in ld
    assert "creativecommons.org" in ld
    assert (
        page.locator('meta[property="og:title"]').get_attribute("content")
        == "コーヒーカップ（サンプル画像）"
    )
    viewer.focus()
    page.keyboard.press("+")  # keyboard zoom
    run_axe(page, "item page")
    manifest = page.request.get(
        page.locator("a", has_text="IIIF Presentation 3.0").get_attribute("href") or ""
    )
    assert manifest.json()["type"] == "Manifest"
    log.assert_clean()


def test_reading_view_renders_ruby_and_annotations(page: Page, log: BrowserLog) -> None:
    search_for(page, "ももたろう")
    page.get_by_role("link", name="桃太郎", exact=True).click()
    page.get_by_role("link", name="本文を読む").click()
    expect(page.locator("article.archive-text h1")).to_have_text("桃太郎")
    ruby = page.locator("article.archive-text ruby").filter(has_text="家来")
    expect(ruby.first.locator("rt")).to_have_text("けらい")
    expect(page.locator(".archive-text__footer")).to_contain_text("底本")
    run_axe(page, "reading view")
    page.goto("/archive/")
    run_axe(page, "browse page")
    page.goto("/en/archive/search/?q=kappa")
    expect(page.locator(".archive-card").first).to_contain_text("On the Kappa")
    run_axe(page, "English search page")
    log.assert_clean()


def test_cataloguer_saves_a_draft_and_publishes_it(
    page: Page, log: BrowserLog, server: str, demo_credentials: tuple[list[str], str]
) -> None:
    page.goto("/accounts/login/?next=/archive/staff/items/new/")
    page.locator("input[name=username]").fill("library-staff")
    page.locator("input[name=password]").fill(demo_credentials[1])
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"{server}/archive/staff/items/new/")
    run_axe(page, "cataloguing form")
    page.locator("#id_collection").select_option(label="佐賀の民俗芸能")
    page.locator("#id_title").fill("唐津くんちの曳山")
    page.locator("#id_title_reading").fill("カタカナ以外の漢字")
    page.locator("#id_type").select_option("image")
    page.locator("#id_rights").select_option("cc-by")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".error").first).to_contain_text("ひらがなかカタカナ")
    page.locator("#id_title_reading").fill("からつくんちのひきやま")
    page.get_by_role("button", name="保存").click()
    expect(page.locator(".messages")).to_contain_text("下書き")
    page.get_by_label("操作").select_option("publish")
    page.get_by_role("button", name="状態を変更").click()
    expect(page.locator(".messages")).to_contain_text("状態を変更しました")
    search_for(page, "ひきやま")
    expect(page.locator(".archive-card").first).to_contain_text("唐津くんちの曳山")
    log.assert_clean()
