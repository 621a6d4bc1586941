"""Pure parts: settings parsing, escaping, ticket rules, Block Kit builders, log redaction."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.logs import RedactSecrets
from config.settings import ConfigError, Mode, load_settings, normalize_database_url, parse_duration
from services.export import csv_safe
from tickets.model import TicketInfo
from tickets.rules import Status, apply_thread_reply, humanize_duration, title_from_message, validate_ticket_fields
from tickets.severity import SEVERITY_LEVELS, Severity, parse_severity
from ui.blocks import ModalContext, build_ticket_ack, build_ticket_card, build_ticket_modal, escape_text

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)
BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        (" 4h ", timedelta(hours=4)),
    ],
)
def test_parse_duration(raw: str, expected: timedelta) -> None:
    assert parse_duration(raw) == expected


@pytest.mark.parametrize("raw", ["", "0m", "2w", "h", "1.5h", "-3m", "10"])
def test_parse_duration_rejects(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_duration(raw)


def test_settings_defaults() -> None:
    settings = load_settings(BASE_ENV)
    assert settings.port == 3000
    assert settings.slack_api_base_url == "https://slack.com/api/"
    assert settings.database_url.startswith("sqlite:///") and settings.database_url.endswith("support-store.db")
    assert settings.sla_targets[Severity.CRITICAL] == timedelta(minutes=30)
    assert settings.auto_migrate is True
    assert "xoxb" not in repr(settings)  # secrets never show up in a repr (and so in a log)


def test_settings_overrides() -> None:
    settings = load_settings(
        {
            **BASE_ENV,
            "PORT": "8080",
            "SUPPORT_SLA_LOW": "3d",
            "SLACK_API_BASE_URL": "http://127.0.0.1:9/api",
            "DATABASE_URL": "postgres://u@h/db",
        }
    )
    assert settings.port == 8080
    assert settings.sla_targets[Severity.LOW] == timedelta(days=3)
    assert settings.slack_api_base_url == "http://127.0.0.1:9/api/"
    assert settings.database_url == "postgresql+psycopg://u@h/db"


def test_settings_name_the_broken_setting() -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE_ENV, "SUPPORT_SLA_CRITICAL": "fast"})
    assert error.value.setting == "SUPPORT_SLA_CRITICAL"
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE_ENV}, Mode.SOCKET)
    assert error.value.setting == "SLACK_APP_TOKEN"


def test_database_mode_needs_no_slack_settings() -> None:
    assert load_settings({"DATABASE_URL": "sqlite:///x.db"}, Mode.DATABASE).slack_bot_token is None


def test_normalize_database_url() -> None:
    assert normalize_database_url("postgresql://a@b/c") == "postgresql+psycopg://a@b/c"
    assert normalize_database_url("sqlite:///x") == "sqlite:///x"


@pytest.mark.parametrize(
    ("typed", "shown"),
    [
        ("<!channel> hi", "&lt;!channel&gt; hi"),
        ("<@U123> & <!subteam^S1>", "&lt;@U123&gt; &amp; &lt;!subteam^S1&gt;"),
        ("a < b > c", "a &lt; b &gt; c"),
        ("ping @here now", "ping @\u2060here now"),
        ("mail me@herewego.com", "mail me@herewego.com"),
    ],
)
def test_escape_text(typed: str, shown: str) -> None:
    assert escape_text(typed) == shown


def test_first_staff_reply_is_first_response() -> None:
    outcome = apply_thread_reply(status=Status.OPEN, first_response_at=None, from_staff=True, at=T0)
    assert (outcome.first_response_at, outcome.status) == (T0, Status.IN_PROGRESS)
    later = apply_thread_reply(
        status=Status.IN_PROGRESS, first_response_at=T0, from_staff=True, at=T0 + timedelta(hours=1)
    )
    assert later.first_response_at == T0


def test_customer_reply_reopens_resolved_or_waiting() -> None:
    for status in (Status.RESOLVED, Status.WAITING_ON_CUSTOMER):
        outcome = apply_thread_reply(status=status, first_response_at=T0, from_staff=False, at=T0)
        assert outcome.status == Status.IN_PROGRESS
    outcome = apply_thread_reply(status=Status.OPEN, first_response_at=None, from_staff=False, at=T0)
    assert (outcome.status, outcome.first_response_at) == (Status.OPEN, None)


def test_validate_ticket_fields() -> None:
    assert validate_ticket_fields("ok", "") == {}
    assert set(validate_ticket_fields("", None)) == {"title"}
    assert set(validate_ticket_fields("x" * 151, "y" * 3001)) == {"title", "description"}


def test_title_from_message_and_durations() -> None:
    assert title_from_message("\n  first line  \nsecond") == "first line"
    assert len(title_from_message("x" * 500)) == 150
    assert humanize_duration(timedelta(minutes=30)) == "30 min"
    assert humanize_duration(timedelta(hours=26)) == "1 d 2 h"
    assert parse_severity(" High ") == Severity.HIGH and parse_severity("urgent") is None


def test_modal_fits_slack_limits() -> None:
    view = build_ticket_modal(ModalContext("C1"), title="t" * 400)
    assert len(view["title"]["text"]) <= 24 and len(view["submit"]["text"]) <= 24
    assert len(view["blocks"]) <= 100 and len(view["private_metadata"]) <= 3000
    severity = next(b for b in view["blocks"] if b.get("block_id") == "severity")
    for option in severity["element"]["options"]:
        assert len(option["text"]["text"]) <= 75 and len(option["description"]["text"]) <= 75
    title = next(b for b in view["blocks"] if b.get("block_id") == "title")
    assert len(title["element"]["initial_value"]) == title["element"]["max_length"] == 150
    assert ModalContext.decode(view["private_metadata"]) == ModalContext("C1", "command")
    assert ModalContext.decode("not json") is None


def test_ticket_card_and_ack() -> None:
    info = TicketInfo(
        number=7,
        channel_id="C1",
        severity=Severity.CRITICAL,
        title="Down <!here>",
        description="",
        reporter_id="U1",
        status=Status.OPEN,
        assignee_id=None,
        created_at=T0,
        first_response_at=None,
    )
    text, blocks = build_ticket_card(info)
    assert text == "Ticket #7 (Critical): Down &lt;!here&gt;"
    assert [b["type"] for b in blocks] == ["section", "section", "actions", "context"]  # no empty description
    actions = [e["action_id"] for e in blocks[2]["elements"]]
    assert actions == ["ticket_take", "ticket_waiting", "ticket_resolve", "ticket_reassign", "ticket_more"]
    assert "Not yet assigned" in str(blocks)
    ack = build_ticket_ack(info, SEVERITY_LEVELS[Severity.CRITICAL].default_first_response)
    assert "30 min" in ack and "<@U1>" in ack


def test_csv_safe() -> None:
    assert csv_safe("=1+1") == "'=1+1" and csv_safe("@SUM") == "'@SUM" and csv_safe("-2") == "'-2"
    assert csv_safe("fine") == "fine" and csv_safe(3) == 3


def test_redaction_filter_scrubs_tokens() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s and %s", ("xoxb-123-abc", "sekrit-value"), None
    )
    RedactSecrets(("sekrit-value",)).filter(record)
    assert record.getMessage() == "token [redacted] and [redacted]"


def test_background_with_no_waiting_room_holds_the_caller_until_a_worker_is_free() -> None:
    """The after-ack pool: a submit waits for a free worker (bounded), then runs its task anyway."""
    import threading

    from services.deps import Background

    pool = Background("test", 1, "failed", max_waiting=0, wait_s=10)
    release, ran = threading.Event(), []
    pool.submit(lambda: (release.wait(10), ran.append("first")))
    second = threading.Thread(target=pool.submit, args=(lambda: ran.append("second"),))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # the only worker is busy and nothing may wait behind it
    release.set()
    second.join(10)
    assert not second.is_alive()
    pool.drain()
    assert ran == ["first", "second"]

    short = Background("test", 1, "failed", max_waiting=0, wait_s=0.05)
    blocker = threading.Event()
    short.submit(blocker.wait, 10)
    short.submit(ran.append, "queued after the wait")  # returns after 50 ms, and is not dropped
    blocker.set()
    short.drain()
    assert ran[-1] == "queued after the wait"
    pool.stop()
    short.stop()
