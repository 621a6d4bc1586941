"""`support-bot demo` in real headless Chromium (Debian's `chromium`, driven by Playwright): the
README's command in a subprocess, then what a customer, an engineer and the customer again do on
the page, checking what the page shows after each step. The JSON API behind the page is
tests/e2e/test_demo.py.

Skipped when `playwright` or `chromium` is missing, unless SUPPORT_BOT_REQUIRE_BROWSER=1 (.ci/run
sets it), which makes that a failure. The main test writes the README's screenshot to the path in
SUPPORT_BOT_SCREENSHOT (relative to the checkout), else into its temporary directory.
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import pytest

from tests.support import CLI, REPO, clean_environ

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # the skip (or failure) below says so
    sync_playwright = None

if TYPE_CHECKING:
    from playwright.sync_api import Browser, Locator, Page

TIMEOUT_MS = 15_000
SCREENSHOT_SIZE = {"width": 1400, "height": 900}
TITLE = "Dashboards time out since the upgrade"
DESCRIPTION = "Every dashboard with more than 10 insights spins, then fails after 60 s. Since 09:10 UTC."
REPLY = "Hi Dana, Sam here: I can reproduce it and I'm on it now."
COMMENT = "Fixed within the hour, thank you!"

if sync_playwright is not None:
    expect.set_options(timeout=TIMEOUT_MS)


# -- the browser and the demo ---------------------------------------------------------------------
def _missing() -> str | None:
    if sync_playwright is None:
        return "the browser test needs playwright (pip install -e '.[test]')"
    if shutil.which("chromium") is None:
        return "the browser test needs Debian's chromium on PATH (apt-get install chromium)"
    return None


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Headless Debian chromium (never a browser Playwright downloads)."""
    missing = _missing()
    if missing:
        if os.environ.get("SUPPORT_BOT_REQUIRE_BROWSER") == "1":
            pytest.fail(f"{missing} (SUPPORT_BOT_REQUIRE_BROWSER=1)")
        pytest.skip(missing)
    assert sync_playwright is not None
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=shutil.which("chromium"), headless=True)
        yield launched
        launched.close()


@dataclass
class RunningDemo:
    """`support-bot demo` in a subprocess: its page `url`, `started` (time.monotonic() just before
    the command was started) and `up_after` (seconds from then to the address being printed)."""

    process: subprocess.Popen[str]
    started: float
    url: str = ""
    up_after: float = 0.0
    output: list[str] = field(default_factory=list)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _start_demo(directory: Path) -> RunningDemo:
    """The README's command on a free port; returns once it printed the page's address. Raises
    AssertionError with the command's output if it exits or prints nothing within 60 s."""
    started = time.monotonic()
    process = subprocess.Popen(
        [*CLI, "demo", "--port", str(_free_port()), "--dir", str(directory)],
        env=clean_environ(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        cwd=REPO,
    )
    demo = RunningDemo(process, started)
    ready = threading.Event()

    def read() -> None:  # until EOF, so the pipe never fills
        assert process.stdout is not None
        for line in process.stdout:
            demo.output.append(line)
            address = re.search(r"open (http://127\.0\.0\.1:\d+)", line)
            if address and not demo.url:
                demo.url = address.group(1)
                demo.up_after = time.monotonic() - started
                ready.set()
        ready.set()

    threading.Thread(target=read, name="demo-output", daemon=True).start()
    ready.wait(60)
    if not demo.url:
        _stop(demo)
        raise AssertionError("support-bot demo printed no address:\n" + "".join(demo.output))
    return demo


def _stop(demo: RunningDemo) -> None:
    demo.process.send_signal(signal.SIGTERM)
    try:
        demo.process.wait(20)
    except subprocess.TimeoutExpired:
        demo.process.kill()
        demo.process.wait(10)


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[RunningDemo]:
    """A running `support-bot demo --port <free> --dir <tmp>`; a port another process took between
    the probe and the bind is retried."""
    for attempt in range(3):
        try:
            running = _start_demo(tmp_path / f"demo-{attempt}")
            break
        except AssertionError as failed:
            if "cannot listen" not in str(failed) or attempt == 2:
                raise
    yield running
    _stop(running)
    assert running.process.returncode == 0, "".join(running.output)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport=SCREENSHOT_SIZE, locale="en-US", timezone_id="UTC")
    opened = context.new_page()
    opened.set_default_timeout(TIMEOUT_MS)
    yield opened
    context.close()


# -- what the tests read on the page --------------------------------------------------------------
def as_persona(page: Page, persona: str) -> None:
    """Choose `persona` ("customer", "engineer", "cs") in the page's "Viewing as" select."""
    page.get_by_test_id("persona").select_option(persona)


def open_conversation(page: Page, name: str) -> None:
    page.get_by_test_id(f"conv-{name}").click()
    expect(page.get_by_test_id("conversation-name")).to_have_text(f"# {name}")


def message(page: Page, *texts: str) -> Locator:
    """The row in the main pane showing every one of `texts`."""
    rows = page.get_by_test_id("messages").get_by_test_id("message")
    for text in texts:
        rows = rows.filter(has_text=text)
    return rows


def card_field(card: Locator, name: str) -> Locator:
    """A ticket card's field (Severity, Status, Assignee, First response...): its name and value."""
    return card.locator(".bk-field").filter(has_text=name)


def open_thread(page: Page, row: Locator) -> Locator:
    """Hover the message, click "Reply in thread" on its menu; returns the thread pane."""
    row.hover()
    row.get_by_role("button", name="Reply in thread").click()
    thread = page.get_by_test_id("thread")
    expect(thread).to_be_visible()
    return thread


def screenshot_path(tmp_path: Path) -> Path:
    """SUPPORT_BOT_SCREENSHOT (relative to the checkout), else demo.png in the test's directory."""
    wanted = os.environ.get("SUPPORT_BOT_SCREENSHOT")
    path = (REPO / wanted) if wanted else tmp_path / "demo.png"
    path.parent.mkdir(parents=True, exist_ok=True)
    return path


# -- the tests ------------------------------------------------------------------------------------
def test_a_ticket_goes_from_the_customer_to_the_engineer_and_back_in_the_browser(
    demo: RunningDemo, page: Page, tmp_path: Path
) -> None:
    # The customer files a ticket through the modal.
    page.goto(f"{demo.url}/#persona=customer")
    expect(page.get_by_test_id("conversation-name")).to_have_text("# ext-globex")
    expect(page.get_by_test_id("sidebar").locator(".sidebar-item")).to_have_count(1)  # only their channel
    page.get_by_role("button", name="File a ticket", exact=True).click()
    modal = page.get_by_test_id("modal")
    expect(modal.locator(".modal-title")).to_have_text("File a ticket")
    modal.get_by_role("radio", name=re.compile("High")).check()
    modal.get_by_label("Title").fill(TITLE)
    modal.get_by_label("Description").fill(DESCRIPTION)
    modal.get_by_test_id("modal-submit").click()
    expect(modal).to_be_hidden()

    card = message(page, TITLE, "Severity")
    expect(card).to_be_visible()
    seconds = time.monotonic() - demo.started
    print(
        f"\nsupport-bot demo: {seconds:.1f} s from starting the command to the first ticket card on screen"
        f" (the page's address printed after {demo.up_after:.1f} s)"
    )
    number = re.search(r"Ticket #(\d+): " + re.escape(TITLE), card.inner_text())
    assert number, card.inner_text()
    ticket = number.group(1)
    expect(card_field(card, "Severity")).to_contain_text("High")
    expect(card_field(card, "Assignee")).to_contain_text("Not yet assigned")
    expect(card).to_contain_text(DESCRIPTION)

    # The engineer answers in the ticket's thread.
    as_persona(page, "engineer")
    expect(page.get_by_test_id("conv-support-triage")).to_be_visible()
    expect(page.get_by_test_id("conversation-name")).to_have_text("# ext-globex")
    thread = open_thread(page, card)
    expect(thread).to_contain_text(f"ticket #{ticket} is with the team")
    page.get_by_test_id("thread-composer").fill(REPLY)
    page.get_by_test_id("thread-composer").press("Enter")
    answer = thread.get_by_test_id("message").filter(has_text=REPLY)
    expect(answer.locator(".msg-author")).to_have_text("Sam Okafor")
    expect(card_field(card, "First response")).to_contain_text("responded in")  # the bot saw the reply
    expect(page.get_by_test_id("thread-composer")).to_have_value("")

    # The README's screenshot: the customer channel, the ticket card and its thread.
    page.locator("#intro").evaluate("intro => { intro.open = false; }")  # more room for the product
    page.mouse.move(1, 1)  # no hover menu
    card.scroll_into_view_if_needed()
    shot = screenshot_path(tmp_path)
    page.screenshot(path=str(shot))
    print(f"screenshot: {shot}")

    # In triage the engineer takes the ticket, then resolves it.
    open_conversation(page, "support-triage")
    triaged = message(page, f"ticket #{ticket} in", TITLE)
    expect(triaged).to_be_visible()
    expect(card_field(triaged, "Assignee")).to_contain_text("Not yet assigned")
    triaged.get_by_role("button", name="Take it", exact=True).click()
    expect(card_field(triaged, "Assignee")).to_contain_text("@Sam Okafor")
    triaged.get_by_role("button", name="Resolve", exact=True).click()
    expect(card_field(triaged, "Status")).to_contain_text("Resolved")
    expect(triaged.get_by_role("button", name="Resolve", exact=True)).to_have_count(0)

    # The customer rates it in the thread and is thanked.
    as_persona(page, "customer")
    expect(page.get_by_test_id("conv-support-triage")).to_have_count(0)
    expect(card_field(card, "Status")).to_contain_text("Resolved")
    thread = open_thread(page, card)
    expect(thread).to_contain_text(f"Ticket #{ticket} is resolved")
    thread.get_by_role("button", name="👍 Helpful").click()
    expect(modal.locator(".modal-title")).to_have_text("Thanks!")
    modal.get_by_role("textbox").fill(COMMENT)
    modal.get_by_test_id("modal-submit").click()
    expect(modal).to_be_hidden()

    # The team sees the rating on the triage card.
    as_persona(page, "engineer")
    open_conversation(page, "support-triage")
    expect(triaged).to_contain_text(f"Customer rating: 👍 Helpful: “{COMMENT}”")


def test_markup_typed_in_the_composer_shows_as_text_and_creates_no_element(demo: RunningDemo, page: Page) -> None:
    typed = 'Broken <script>window.pwned = 1</script> "><img src=x onerror="window.pwned = 2"> <b>bold?</b>'
    page.goto(f"{demo.url}/#persona=customer")
    expect(page.get_by_test_id("conversation-name")).to_have_text("# ext-globex")
    page.get_by_test_id("composer").fill(typed)
    page.get_by_test_id("composer").press("Enter")

    row = message(page, "Dana Reyes", "Broken")
    expect(row.locator(".msg-content")).to_have_text(typed)
    _no_typed_markup(page)

    # The bot files it as a conversation in triage, quoting it: still text there.
    as_persona(page, "engineer")
    open_conversation(page, "support-triage")
    expect(message(page, "conversation #", "Broken")).to_contain_text("<script>window.pwned = 1</script>")
    _no_typed_markup(page)


def _no_typed_markup(page: Page) -> None:
    for pane in ("messages", "thread"):
        expect(page.get_by_test_id(pane).locator("script, img, b:text('bold?'), [onerror]")).to_have_count(0)
    assert page.locator("img[src='x'], [onerror]").count() == 0
    assert page.evaluate("window.pwned") is None


def test_a_modal_keeps_what_was_typed_while_another_persona_is_viewed(demo: RunningDemo, page: Page) -> None:
    """The modal belongs to the customer: switching to the engineer hides it, switching back shows
    it again with the text typed so far (it came back empty)."""
    page.goto(f"{demo.url}/#persona=customer")
    page.get_by_role("button", name="File a ticket", exact=True).click()
    modal = page.get_by_test_id("modal")
    modal.get_by_label("Title").fill(TITLE)
    as_persona(page, "engineer")
    expect(modal).to_be_hidden()
    as_persona(page, "customer")
    expect(modal.get_by_label("Title")).to_have_value(TITLE)
