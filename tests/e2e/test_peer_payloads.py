"""Every real-shaped request body others have collected, replayed signed against the running bot.

`../shared/peer-payloads/` (beside the checkout) holds 169 bodies from bolt-python,
python-slack-sdk, java-slack-sdk and Slack's docs: events, interactions, slash commands, forms,
some with the bot's own action ids, callback ids and commands swapped in. Each is sent as Slack
sends it (signed; each `event_id` made unique; every `response_url` pointed at the stub; the
workspace placeholder `THOME` as our team). Channel `CCUST1` is a customer channel the bot has
joined in one run and a channel it knows nothing about in the other. Each must be answered 2xx (or
404 for a path the bot does not serve), and nothing may be logged at ERROR or with a traceback
(but the operator's alert that the app was uninstalled from our own workspace).
"""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlencode

import pytest

from fakeslack import HOST_TEAM, SlackStub
from tests.support import REPO, BotUnderTest, reset_database, running_bot

PEER_PAYLOADS = REPO.parent / "shared" / "peer-payloads"
CHANNEL = "CCUST1"
SETTLE_S = 0.3  # quiet this long (no new Slack call, no new log record) = the request's work is done
SETTLE_MAX_S = 5.0

# The one deliberate ERROR line: the app uninstalled from our own workspace (no traceback); the
# operator must act. Payload surface -> the logger allowed to say so.
OPERATOR_ALERTS = {"event:app_uninstalled": "handlers.installs"}

_ids = itertools.count(1)


def _index() -> list[dict[str, Any]]:
    if not (PEER_PAYLOADS / "INDEX.json").is_file():
        return []
    return list(json.loads((PEER_PAYLOADS / "INDEX.json").read_text()))


INDEX = _index()
pytestmark = pytest.mark.skipif(
    not INDEX, reason=f"no peer payloads at {PEER_PAYLOADS} (CI checks ../shared/ out beside the repository)"
)


class ErrorRecords(logging.Handler):
    """Every record at ERROR or above, and every record carrying a traceback, at any level."""

    def __init__(self) -> None:
        super().__init__(level=logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        if record.levelno >= logging.ERROR or record.exc_info:
            self.records.append(record)


@pytest.fixture(scope="module")
def errors() -> Iterator[ErrorRecords]:
    handler = ErrorRecords()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


@pytest.fixture(scope="module", params=["joined", "unknown"], ids=["CCUST1 joined", "CCUST1 unknown"])
def peer_bot(
    request: pytest.FixtureRequest,
    tmp_path_factory: pytest.TempPathFactory,
    postgres_test_url: str | None,
    errors: ErrorRecords,
) -> Iterator[BotUnderTest]:
    stub = SlackStub().start()
    if postgres_test_url:
        reset_database(postgres_test_url)
        url = postgres_test_url
    else:
        url = f"sqlite:///{tmp_path_factory.mktemp('peer') / 'support-store.db'}"
    try:
        with running_bot(stub, url) as bot:
            if request.param == "joined":
                bot.join_channel(CHANNEL, "peer-customer")
                stub.wait_for(lambda: stub.posts(CHANNEL))
            yield bot
    finally:
        stub.stop()


def _retarget(value: Any, stub: SlackStub) -> Any:
    """Point every non-empty response_url (also inside `response_urls`) at the stub."""
    if isinstance(value, dict):
        return {
            k: stub.response_url(f"peer{next(_ids)}") if k == "response_url" and v else _retarget(v, stub)
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [_retarget(v, stub) for v in value]
    return value


def _as_slack_sends_it(entry: dict[str, Any], stub: SlackStub) -> tuple[bytes, str]:
    raw = (PEER_PAYLOADS / entry["file"]).read_text().replace("THOME", HOST_TEAM)
    body = _retarget(json.loads(raw), stub)
    kind = entry["kind"]
    if kind == "event":
        body = {
            "token": "deprecated",
            "team_id": HOST_TEAM,
            "api_app_id": "A0APP",
            "type": "event_callback",
            "event": body,
            "event_time": int(time.time()),
        }
        kind = "envelope"
    if kind == "envelope":
        if isinstance(body, dict) and body.get("type") == "event_callback":
            body["event_id"] = f"EvPeer{next(_ids):06d}"
        return json.dumps(body).encode(), "application/json"
    if kind == "interaction":
        return urlencode({"payload": json.dumps(body)}).encode(), "application/x-www-form-urlencoded"
    assert kind in ("command", "form"), kind
    return urlencode({k: str(v) for k, v in body.items()}).encode(), "application/x-www-form-urlencoded"


def _settle(bot: BotUnderTest, errors: ErrorRecords) -> None:
    """Wait for the work a request set off (lazy listeners, the outbox) to finish."""
    deadline = time.monotonic() + SETTLE_MAX_S
    last = (-1, -1, -1)
    quiet_since = time.monotonic()
    while time.monotonic() < deadline:
        now = (len(bot.slack.calls), len(bot.slack.responses), len(errors.records))
        if now != last:
            last, quiet_since = now, time.monotonic()
        elif time.monotonic() - quiet_since >= SETTLE_S:
            return
        time.sleep(0.05)


def _describe(record: logging.LogRecord) -> str:
    return f"{record.levelname} {record.name}: {record.getMessage()}" + (
        f" ({record.exc_info[0].__name__}: {record.exc_info[1]})" if record.exc_info and record.exc_info[0] else ""
    )


@pytest.mark.parametrize("entry", INDEX, ids=[e["file"].removesuffix(".json") for e in INDEX])
def test_a_peer_payload_is_answered_without_an_error(
    peer_bot: BotUnderTest, errors: ErrorRecords, entry: dict[str, Any]
) -> None:
    body, content_type = _as_slack_sends_it(entry, peer_bot.slack)
    errors.records.clear()
    status, answer, _ = peer_bot.request(body, content_type)
    _settle(peer_bot, errors)
    assert 200 <= status < 300 or status == 404, f"{entry['surface']} answered {status}: {answer[:300]!r}"
    expected = OPERATOR_ALERTS.get(entry["surface"])
    unexpected = [r for r in errors.records if r.exc_info or r.name != expected]
    assert [_describe(r) for r in unexpected] == []
