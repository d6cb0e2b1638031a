"""Subscribing to disaster alerts in Chromium, end to end on the real server and worker.

Two residents subscribe in the browser (one in English, one in やさしい日本語) to 佐賀市 by
e-mail, confirm through the link in the e-mail that a real SMTP server (aiosmtpd on loopback)
received, and then two staff members publish a 避難指示 for 佐賀市 through the two-person
evacuation workflow. The alert reaches the SMTP sink once per resident, each in the chosen
language, with a one-click unsubscribe link that works without a login. axe finds no WCAG
violation on the subscribe, confirm, manage and unsubscribe pages, in Japanese and English.

This module runs its own server (the session server's mail goes nowhere): EMAIL_HOST/EMAIL_PORT
point it at the sink.
"""

import email
import email.policy
import re
import secrets
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import SMTP, Envelope, Session
from playwright.sync_api import Page, expect

from e2e.axe import run_axe
from e2e.conftest import ContextFactory
from e2e.session import log_in
from kurashi.testing.server import RunningServer, ServerError, free_port, start_server

pytestmark = pytest.mark.e2e

SAGA = "412015"
MAIL_TIMEOUT = 60.0


@dataclass
class SmtpSink:
    port: int
    messages: list[EmailMessage] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [message for message in self.messages if message["To"] == address]

    def wait_for(self, address: str, subject: re.Pattern[str]) -> EmailMessage:
        deadline = time.monotonic() + MAIL_TIMEOUT
        while time.monotonic() < deadline:
            for message in self.to(address):
                if subject.search(str(message["Subject"])):
                    return message
            time.sleep(0.2)
        seen = [(m["To"], m["Subject"]) for m in self.messages]
        raise AssertionError(f"no mail to {address} matching {subject.pattern}; received {seen}")


class _Handler:
    def __init__(self, sink: SmtpSink) -> None:
        self.sink = sink

    async def handle_DATA(self, server: SMTP, session: Session, envelope: Envelope) -> str:  # noqa: N802 (aiosmtpd hook)
        data = envelope.content if isinstance(envelope.content, bytes) else b""
        message = email.message_from_bytes(data, policy=email.policy.default)
        assert isinstance(message, EmailMessage)
        with self.sink.lock:
            self.sink.messages.append(message)
        return "250 Message accepted"


@pytest.fixture(scope="module")
def smtp_sink() -> Iterator[SmtpSink]:
    sink = SmtpSink(port=free_port())
    controller = Controller(_Handler(sink), hostname="127.0.0.1", port=sink.port)
    controller.start()
    yield sink
    controller.stop()


@pytest.fixture(scope="module")
def notify_server(smtp_sink: SmtpSink) -> Iterator[RunningServer]:
    failure = None
    extra_env = {"EMAIL_HOST": "127.0.0.1", "EMAIL_PORT": str(smtp_sink.port)}
    try:
        with start_server(db_prefix="kurashi_e2e_notify", extra_env=extra_env) as running:
            yield running
    except ServerError as error:
        failure = str(error)
    if failure is not None:
        pytest.fail(f"The Kurashi server for the notify e2e test did not start.\n{failure}")


@pytest.fixture(scope="module")
def server(notify_server: RunningServer) -> str:
    """This module's server replaces the session's one for new_context."""
    return notify_server.base_url


@pytest.fixture(scope="module")
def demo_credentials(notify_server: RunningServer) -> tuple[list[str], str]:
    return notify_server.demo_credentials()


def body_of(message: EmailMessage) -> str:
    part = message.get_body(preferencelist=("plain",))
    assert part is not None
    return str(part.get_content())  # type: ignore[attr-defined]


def link_in(text: str, kind: str) -> str:
    match = re.search(rf"https?://\S+/notify/{kind}/\S+/", text)
    assert match, f"no {kind} link in:\n{text}"
    return match.group(0)


def other_language(path: str) -> str:
    """The same page in the other language (/en/… ↔ /…)."""
    return path.removeprefix("/en") if path.startswith("/en/") else "/en" + path


def subscribe_and_confirm(
    page: Page, server: str, sink: SmtpSink, *, prefix: str, address: str, language: str
) -> str:
    """Subscribe on the page in `prefix`, confirm through the e-mailed link; the manage path."""
    page.goto(f"{prefix}/notify/")
    run_axe(page, f"subscribe ({prefix or '/'})")
    form = page.locator("form.notify-form")
    form.locator("input[name=email]").fill(address)
    form.locator("select[name=language]").select_option(language)
    form.locator(f"input[name=municipalities][value='{SAGA}']").check()
    form.locator("button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_contain_text(address)

    confirmation = sink.wait_for(address, re.compile("Confirm|確認"))
    confirm_url = link_in(body_of(confirmation), "confirm")
    assert confirm_url.startswith(server)
    page.goto(confirm_url)
    run_axe(page, f"confirm ({language})")
    page.locator("main form button[type=submit]").click()
    expect(page.locator("main [role=status]")).to_be_visible()
    manage = page.locator("main a[href*='/notify/manage/']")
    href = manage.get_attribute("href")
    assert href
    return href.removeprefix(server)


def publish_evacuation_order(server: str, new_context: ContextFactory, password: str) -> None:
    """The two-person evacuation workflow (see test_disaster_evacuation.py): 避難指示 for 佐賀市."""
    drafter_context, drafter_log = new_context()
    drafter = drafter_context.new_page()
    log_in(drafter, server, "saga-city-staff", password, "/disaster/evacuation/")
    drafter.get_by_role("link", name=re.compile("新しい避難情報|Draft new")).click()
    drafter.wait_for_url(re.compile(r"/disaster/evacuation/new/"))
    drafter.locator("#id_hazard").select_option("flood")
    drafter.locator("button[name=action][value=fill]").click()
    expect(drafter.locator("#id_message_ja")).to_contain_text("洪水の危険が高まっているため")
    drafter.locator("button[name=action][value=save]").click()
    drafter.wait_for_url(re.compile(r"/disaster/evacuation/\d+/$"))
    detail_path = drafter.url.removeprefix(server)
    drafter.locator("#submit-button").click()
    expect(drafter.locator("#order-state")).to_contain_text(re.compile("承認待ち|Waiting"))

    approver_context, approver_log = new_context()
    approver = approver_context.new_page()
    log_in(approver, server, "saga-city-chief", password, detail_path)
    approver.locator("#approve-button").click()
    expect(approver.locator("#order-state")).to_contain_text(re.compile("公開|Published"))
    drafter_log.assert_clean()
    approver_log.assert_clean()


def test_subscribe_confirm_and_receive_a_published_alert_in_the_chosen_language(
    server: str,
    smtp_sink: SmtpSink,
    new_context: ContextFactory,
    demo_credentials: tuple[list[str], str],
) -> None:
    english_address = f"resident-en-{secrets.token_hex(3)}@example.test"
    easy_address = f"resident-easy-{secrets.token_hex(3)}@example.test"
    resident_context, resident_log = new_context()
    resident = resident_context.new_page()
    english_manage = subscribe_and_confirm(
        resident, server, smtp_sink, prefix="/en", address=english_address, language="en"
    )
    easy_manage = subscribe_and_confirm(
        resident, server, smtp_sink, prefix="", address=easy_address, language="ja-x-easy"
    )
    assert english_manage.startswith("/en/notify/manage/")
    assert easy_manage.startswith("/notify/manage/")

    # The manage page of each, in both languages, shows the stored choices.
    for path in (english_manage, easy_manage):
        for localised in (path, other_language(path)):
            resident.goto(localised)
            expect(resident.locator(f"input[name=municipalities][value='{SAGA}']")).to_be_checked()
            run_axe(resident, f"manage {localised[:20]}")

    publish_evacuation_order(server, new_context, demo_credentials[1])

    english = smtp_sink.wait_for(english_address, re.compile(r"^\[Alert\] Alert level 4 "))
    english_body = body_of(english)
    assert "Saga City" in english_body
    assert english["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    easy = smtp_sink.wait_for(easy_address, re.compile(r"^【おしらせ】 けいかいレベル4 "))
    easy_body = body_of(easy)
    assert "いまの じょうほう" in easy_body
    assert "メールを とめる" in easy_body
    # One message per resident for the one alert revision.
    time.sleep(2)
    assert len([m for m in smtp_sink.to(english_address) if "Alert" in m["Subject"]]) == 1
    assert len([m for m in smtp_sink.to(easy_address) if "おしらせ" in m["Subject"]]) == 1

    # One-click unsubscribe from the alert e-mail, without a login (a fresh browser context).
    visitor_context, visitor_log = new_context()
    visitor = visitor_context.new_page()
    unsubscribe_path = link_in(english_body, "unsubscribe").removeprefix(server)
    assert unsubscribe_path.startswith("/en/notify/unsubscribe/")
    visitor.goto(other_language(unsubscribe_path))
    run_axe(visitor, "unsubscribe (ja)")
    visitor.goto(unsubscribe_path)
    run_axe(visitor, "unsubscribe (en)")
    visitor.locator("main form button[type=submit]").click()
    expect(visitor.locator("main h1")).to_be_visible()
    run_axe(visitor, "unsubscribed (en)")
    visitor.goto(unsubscribe_path)
    expect(visitor.locator("main [role=status]")).to_contain_text("unsubscribed")
    visitor.goto(other_language(link_in(easy_body, "unsubscribe").removeprefix(server)))
    run_axe(visitor, "unsubscribe (en, easy resident)")

    for log in (resident_log, visitor_log):
        log.assert_clean()
