"""`support-bot demo` end to end, through the page's own JSON API: the real bot on SQLite behind
signed HTTP, the stand-in Slack, and what each persona's page shows. (The browser itself is
tests/browser/test_demo_browser.py.)"""

from __future__ import annotations

import html
import json
import re
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from config.settings import load_settings
from demo.cli import Demo, start
from demo.world import GLOBEX_CHANNEL, INITECH_CHANNEL, TRIAGE_CHANNEL, settings_env
from tests.support import run_cli


@pytest.fixture
def demo(tmp_path: Path) -> Iterator[Demo]:
    running = start(0, tmp_path, fast=False)
    try:
        yield running
    finally:
        running.stop()


def call(demo: Demo, path: str, body: dict[str, Any] | None = None) -> dict[str, Any]:
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(demo.url + path, data=data, method="POST" if data else "GET")
    req.add_header("Content-Type", "application/json")
    with urllib.request.urlopen(req, timeout=30) as response:
        return json.loads(response.read())


def state(demo: Demo, persona: str, conversation: str, thread: str = "") -> dict[str, Any]:
    return call(demo, f"/api/state?persona={persona}&conversation={conversation}&thread={thread}")


def sql(demo: Demo, query: str, **params: Any) -> list[Any]:
    with demo.runtime.db.engine.connect() as conn:
        return list(conn.execute(text(query), params))


def wait_page(demo: Demo, persona: str, conversation: str, needle: str, key: str = "main_html") -> dict[str, Any]:
    """Poll the persona's page until `needle` shows in `key`."""
    return demo.stub.wait_for(
        lambda: (s := state(demo, persona, conversation)) and needle in (s.get(key) or "") and s, timeout=20
    )


def control(fragment: str, label: str, value: str | None = None) -> dict[str, str]:
    """The data-* attributes of the button whose visible label is `label` (and value `value`) in
    the page's HTML."""
    for match in re.finditer(r"<button([^>]*)>(.*?)</button>", fragment, re.S):
        attrs = {k: html.unescape(v) for k, v in re.findall(r'data-([\w-]+)="([^"]*)"', match.group(1))}
        shown = html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).strip()
        if shown == label and value in (None, attrs.get("value")):
            return attrs
    raise AssertionError(f"no button {label!r} on the page")


def fields(modal: str) -> set[str]:
    return set(re.findall(r'name="([^"]+/[^"]+)"', modal))


def test_a_customer_files_a_ticket_through_the_page_and_the_engineer_sees_it(demo: Demo) -> None:
    page = wait_page(demo, "customer", GLOBEX_CHANNEL, "File a ticket")
    assert [i["id"] for i in page["sidebar"]] == [GLOBEX_CHANNEL]  # a customer sees only their channel
    button = control(page["main_html"], "File a ticket")
    answer = call(demo, "/api/action", {"persona": "customer", **_action(button)})
    assert answer == {"ok": True}
    page = wait_page(demo, "customer", GLOBEX_CHANNEL, "severity", key="modal_html")
    assert {"severity/severity", "title/title", "description/description"} <= fields(page["modal_html"])

    empty = {"persona": "customer", "view_id": page["modal_id"], "values": {}}
    refused = call(demo, "/api/submit", empty)
    assert refused["ok"] and set(refused["errors"]) >= {"severity"}
    assert 'data-error-for="severity"' in state(demo, "customer", GLOBEX_CHANNEL)["modal_html"]

    values = {"severity/severity": ["high"], "title/title": ["Exports <b>fail</b>"], "description/description": []}
    assert call(demo, "/api/submit", {**empty, "values": values}) == {"ok": True, "errors": {}}
    number, title = demo.stub.wait_for(
        lambda: sql(demo, "SELECT id, title FROM tickets WHERE channel_id = :c", c=GLOBEX_CHANNEL)
    )[0]
    assert title == "Exports <b>fail</b>"
    page = wait_page(demo, "customer", GLOBEX_CHANNEL, f"#{number}")
    assert page["modal_html"] is None
    assert "<b>fail</b>" not in page["main_html"] and "&lt;b&gt;fail&lt;/b&gt;" in page["main_html"]
    triage = wait_page(demo, "engineer", TRIAGE_CHANNEL, f"#{number}")
    assert control(triage["main_html"], "Take it", str(number))


def test_the_engineer_answers_in_the_thread_takes_and_resolves_and_the_customer_rates(demo: Demo) -> None:
    page = wait_page(demo, "customer", GLOBEX_CHANNEL, "File a ticket")
    call(demo, "/api/message", {"persona": "customer", "conversation": GLOBEX_CHANNEL, "text": "/ticket Exports fail"})
    page = wait_page(demo, "customer", GLOBEX_CHANNEL, "severity", key="modal_html")
    values = {"severity/severity": ["critical"], "title/title": ["Exports fail"], "description/description": ["x"]}
    call(demo, "/api/submit", {"persona": "customer", "view_id": page["modal_id"], "values": values})
    number, card_ts = demo.stub.wait_for(
        lambda: sql(
            demo, "SELECT id, thread_ts FROM tickets WHERE channel_id = :c AND thread_ts IS NOT NULL", c=GLOBEX_CHANNEL
        )
    )[0]

    reply = {"persona": "engineer", "conversation": GLOBEX_CHANNEL, "text": "Looking now", "thread_ts": card_ts}
    assert call(demo, "/api/message", reply) == {"ok": True}
    demo.stub.wait_for(lambda: sql(demo, "SELECT 1 FROM tickets WHERE first_response_at IS NOT NULL"))
    thread = state(demo, "customer", GLOBEX_CHANNEL, thread=card_ts)["thread_html"]
    assert "Looking now" in thread and "Sam Okafor" in thread

    triage = wait_page(demo, "engineer", TRIAGE_CHANNEL, f"#{number}")["main_html"]
    call(demo, "/api/action", {"persona": "engineer", **_action(control(triage, "Take it", str(number)))})
    demo.stub.wait_for(lambda: sql(demo, "SELECT 1 FROM tickets WHERE assignee_id = 'U0SAM'"))
    triage = wait_page(demo, "engineer", TRIAGE_CHANNEL, "Sam Okafor")["main_html"]
    call(demo, "/api/action", {"persona": "engineer", **_action(control(triage, "Resolve", str(number)))})
    demo.stub.wait_for(lambda: sql(demo, "SELECT 1 FROM tickets WHERE status = 'resolved'"))

    rating = demo.stub.wait_for(
        lambda: "Helpful" in (t := state(demo, "customer", GLOBEX_CHANNEL, thread=card_ts)["thread_html"] or "") and t
    )
    call(demo, "/api/action", {"persona": "customer", **_action(control(rating, "👍 Helpful"))})
    demo.stub.wait_for(lambda: sql(demo, "SELECT 1 FROM tickets WHERE rating IS NOT NULL"))


def test_what_a_customer_types_is_shown_as_text_never_as_markup(demo: Demo) -> None:
    wait_page(demo, "customer", GLOBEX_CHANNEL, "File a ticket")
    typed = 'Broken <script>alert(1)</script> "><img src=x onerror=alert(2)> & <https://evil.example|click>'
    call(demo, "/api/message", {"persona": "customer", "conversation": GLOBEX_CHANNEL, "text": typed})
    page = wait_page(demo, "customer", GLOBEX_CHANNEL, "Broken")
    shown = page["main_html"]
    assert "<script" not in shown and "<img" not in shown and "evil.example" not in re.findall(r'href="([^"]*)"', shown)
    assert "&lt;script&gt;" in shown
    stored = demo.stub.wait_for(lambda: sql(demo, "SELECT title, description FROM tickets WHERE source = 'message'"))
    assert any("<script>alert(1)</script>" in f"{title} {description}" for title, description in stored)


def test_the_seeded_conversation_is_in_triage_and_a_ticket_reaction_files_it(demo: Demo) -> None:
    page = wait_page(demo, "engineer", INITECH_CHANNEL, "signup funnel")
    ts = re.search(r'data-ts="([^"]+)"[^>]*>(?:(?!data-ts=).)*signup funnel', page["main_html"], re.S)
    assert ts, "the seeded customer message is on the page"
    wait_page(demo, "engineer", TRIAGE_CHANNEL, "signup funnel")
    answer = call(
        demo,
        "/api/op",
        {"persona": "engineer", "op": "react", "conversation": INITECH_CHANNEL, "ts": ts.group(1), "name": "ticket"},
    )
    assert answer == {"ok": True}
    assert demo.stub.reactions[(INITECH_CHANNEL, ts.group(1))]["ticket"] == ["U0SAM"]


def test_onboarding_from_the_page_posts_the_checklist_and_app_home_renders(demo: Demo) -> None:
    wait_page(demo, "cs", GLOBEX_CHANNEL, "File a ticket")
    call(demo, "/api/message", {"persona": "cs", "conversation": GLOBEX_CHANNEL, "text": "/onboard"})
    page = wait_page(demo, "cs", GLOBEX_CHANNEL, "company", key="modal_html")
    values = {
        "company/company": ["Globex"],
        "monthly_events/monthly_events": ["1000000"],
        "maus/maus": [],
        "monthly_spend/monthly_spend": ["2500"],
        "cloud_provider/cloud_provider": ["aws"],
        "plan/plan": ["scale"],
        "cs_owner/cs_owner": ["U0PRIYA"],
    }
    assert fields(page["modal_html"]) >= set(values)
    answer = call(demo, "/api/submit", {"persona": "cs", "view_id": page["modal_id"], "values": values})
    assert answer == {"ok": True, "errors": {}}
    wait_page(demo, "cs", GLOBEX_CHANNEL, "of 5")
    home = demo.stub.wait_for(lambda: "Opening" not in (h := state(demo, "cs", "home")["main_html"]) and h)
    assert 'class="bk-unknown"' not in home


def test_the_page_refuses_what_a_persona_cannot_do(demo: Demo) -> None:
    wait_page(demo, "customer", GLOBEX_CHANNEL, "File a ticket")
    outside = call(demo, "/api/message", {"persona": "customer", "conversation": TRIAGE_CHANNEL, "text": "hi"})
    assert outside == {"ok": False, "error": "Dana Reyes is not in that conversation"}
    unknown = call(demo, "/api/message", {"persona": "customer", "conversation": GLOBEX_CHANNEL, "text": "/deploy"})
    assert unknown["ok"] is False and "/ticket" in unknown["error"]
    gone = call(demo, "/api/submit", {"persona": "customer", "view_id": "V999", "values": {}})
    assert gone == {"ok": False, "error": "that form is no longer open"}
    with pytest.raises(urllib.error.HTTPError) as bad:
        urllib.request.urlopen(urllib.request.Request(demo.url + "/api/message", data=b"[1", method="POST"), timeout=10)
    assert bad.value.code == 400


def test_the_page_and_its_assets_are_served_with_a_strict_content_policy(demo: Demo) -> None:
    with urllib.request.urlopen(demo.url + "/", timeout=10) as response:
        body = response.read().decode()
        policy = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in policy and "app.js" in body
    for asset in re.findall(r'(?:src|href)="(/static/[^"]+)"', body):
        with urllib.request.urlopen(demo.url + asset, timeout=10) as response:
            assert response.status == 200
    with pytest.raises(urllib.error.HTTPError) as missing:
        urllib.request.urlopen(demo.url + "/static/..%2Fweb.py", timeout=10)
    assert missing.value.code == 404
    assert '<link rel="icon" href="data:,">' in body  # no /favicon.ico request, no 404 in the console
    with pytest.raises(urllib.error.HTTPError) as unknown:
        call(demo, "/api/nope", {"persona": "customer"})
    assert unknown.value.code == 404 and json.loads(unknown.value.read())["error"] == "no such call: nope"


def test_fast_mode_settings_load_and_shrink_the_clocks() -> None:
    slow = load_settings(settings_env("http://127.0.0.1:9/api/", "sqlite:///x.db", fast=False))
    fast = load_settings(settings_env("http://127.0.0.1:9/api/", "sqlite:///x.db", fast=True))
    assert max(fast.sla_targets.values()).total_seconds() <= 120 < min(slow.sla_targets.values()).total_seconds()


def test_a_taken_port_is_one_line_and_exit_2(tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("demo", "--port", str(port), "--dir", str(tmp_path), env={})
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"support-bot: --port: cannot listen on 127.0.0.1:{port} (Address already in use)"
    ]


def _action(attrs: dict[str, str]) -> dict[str, Any]:
    return {"where": attrs["where"], "block_id": attrs["block-id"], "action_id": attrs["action-id"]}


def test_slash_command_text_reaches_the_bot_encoded_like_slack_sends_it(demo: Demo) -> None:
    """Slack encodes &, < and > in a command's text as in a message's; the demo sent them raw, so
    `/ticket a < b & <c>` lost its angle brackets in the form's title."""
    wait_page(demo, "customer", GLOBEX_CHANNEL, "File a ticket")
    typed = "Exports  <fail> for a < b & c"
    answer = call(
        demo, "/api/message", {"persona": "customer", "conversation": GLOBEX_CHANNEL, "text": f"/ticket\t{typed}"}
    )
    assert answer == {"ok": True}
    modal = wait_page(demo, "customer", GLOBEX_CHANNEL, "severity", key="modal_html")["modal_html"]
    title = re.search(r'<input[^>]*name="title/title"[^>]*>', modal)
    assert title and html.unescape(re.search(r'value="([^"]*)"', title.group(0)).group(1)) == typed


def test_the_api_answers_bad_shapes_with_400_and_unknown_targets_with_a_refusal(demo: Demo) -> None:
    wait_page(demo, "customer", GLOBEX_CHANNEL, "File a ticket")
    base = {"persona": "customer", "conversation": GLOBEX_CHANNEL}
    for path, body in [
        ("/api/message", {**base, "text": "hi", "thread_ts": ["1"]}),
        ("/api/message", {**base, "text": {"a": 1}}),
        ("/api/submit", {"persona": "customer", "view_id": "V1", "values": [1]}),
        ("/api/submit", {"persona": "customer", "view_id": "V1", "values": {"title/title": "x"}}),
        ("/api/action", {"persona": "customer", "where": ["m"], "block_id": "b", "action_id": "a"}),
        ("/api/action", {"persona": "customer", "where": "m:C:1", "block_id": "b", "action_id": "a", "value": {}}),
    ]:
        with pytest.raises(urllib.error.HTTPError) as bad:
            call(demo, path, body)
        assert bad.value.code == 400, (path, body)
        assert json.loads(bad.value.read())["ok"] is False
    gone = call(demo, "/api/message", {**base, "text": "hello?", "thread_ts": "1234.5678"})
    assert gone == {"ok": False, "error": "that thread is gone"}
    assert "hello?" not in json.dumps(demo.stub.messages.get(GLOBEX_CHANNEL))
    triage = wait_page(demo, "engineer", TRIAGE_CHANNEL, "signup funnel")["main_html"]
    take = _action(control(triage, "Take it"))
    assert call(demo, "/api/action", {"persona": "customer", **take}) == {
        "ok": False,
        "error": "Dana Reyes is not in that conversation",
    }
