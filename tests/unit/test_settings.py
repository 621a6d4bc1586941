"""Settings from the environment: durations, defaults, overrides, and errors that name the setting."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest

from config.settings import ConfigError, Mode, load_settings, normalize_database_url, parse_duration
from tickets.severity import Severity

BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE"}


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("30s", timedelta(seconds=30)),
        ("15m", timedelta(minutes=15)),
        ("2h", timedelta(hours=2)),
        ("7d", timedelta(days=7)),
        (" 4h ", timedelta(hours=4)),
        ("36500d", timedelta(days=36500)),
    ],
)
def test_parse_duration(raw: str, expected: timedelta) -> None:
    assert parse_duration(raw) == expected


@pytest.mark.parametrize("raw", ["", "0m", "2w", "h", "1.5h", "-3m", "10", "36501d", "9999999d", "99999999999999d"])
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


def test_intake_and_response_clock_settings() -> None:
    defaults = load_settings(BASE_ENV)
    assert defaults.intake_mode == "all"
    assert defaults.ask_cooldown == timedelta(hours=1)
    assert defaults.message_grouping == timedelta(minutes=2)
    assert defaults.sla_untriaged == defaults.sla_targets[Severity.MEDIUM]
    assert defaults.next_response_targets == defaults.sla_targets
    chosen = load_settings(
        {
            **BASE_ENV,
            "SUPPORT_INTAKE": " Ask ",
            "SUPPORT_ASK_COOLDOWN": "30m",
            "SUPPORT_MESSAGE_GROUPING": "45s",
            "SUPPORT_SLA_MEDIUM": "4h",
            "SUPPORT_NEXT_RESPONSE_HIGH": "1h",
        }
    )
    assert (chosen.intake_mode, chosen.ask_cooldown, chosen.message_grouping) == (
        "ask",
        timedelta(minutes=30),
        timedelta(seconds=45),
    )
    assert chosen.sla_untriaged == timedelta(hours=4)  # follows Medium unless set
    assert chosen.next_response_targets[Severity.HIGH] == timedelta(hours=1)
    assert chosen.next_response_targets[Severity.MEDIUM] == timedelta(hours=4)


@pytest.mark.parametrize(
    ("name", "value"),
    [("SUPPORT_INTAKE", "sometimes"), ("SUPPORT_ASK_COOLDOWN", "soon"), ("SUPPORT_NEXT_RESPONSE_LOW", "0m")],
)
def test_a_bad_intake_setting_is_named(name: str, value: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE_ENV, name: value})
    assert error.value.setting == name


def test_every_setting_read_is_documented() -> None:
    """Each environment variable the settings read appears in docs/settings.md and in .env.example
    (the per-severity families by their first member in docs/settings.md)."""
    root = Path(__file__).resolve().parents[2]
    source = (root / "config" / "settings.py").read_text()
    names = set(re.findall(r'"((?:SUPPORT|SLACK)_[A-Z_]+)"', source)) - {"SUPPORT_SLA_", "SUPPORT_NEXT_RESPONSE_"}
    per_severity = {f"{family}{s.name}" for family in ("SUPPORT_SLA_", "SUPPORT_NEXT_RESPONSE_") for s in Severity}
    reference, example = (root / "docs" / "settings.md").read_text(), (root / ".env.example").read_text()
    documented = set(re.findall(r"`((?:SUPPORT|SLACK)_[A-Z_]+)`", reference))
    assert sorted(names - documented) == []
    assert "SUPPORT_NEXT_RESPONSE_CRITICAL" in documented and "SUPPORT_SLA_LOW" in documented
    assert sorted(n for n in names | per_severity if n not in example) == []


@pytest.mark.parametrize(
    ("name", "value", "refused"),
    [
        ("SLACK_BOT_TOKEN", "xoxb-your-bot-token", True),  # .env.example's
        ("SLACK_BOT_TOKEN", "xoxb-...", True),
        ("SLACK_BOT_TOKEN", "xoxb-1111-2222-abcDEF", False),
        ("SLACK_APP_TOKEN", "xapp-your-app-token", True),
        ("SLACK_APP_TOKEN", "xapp-1-A0APP-1-abc", False),
    ],
)
def test_placeholder_tokens_are_refused(name: str, value: str, refused: bool) -> None:
    env = {**BASE_ENV, "SLACK_APP_TOKEN": "xapp-1-A0APP-1-abc", name: value}
    if refused:
        with pytest.raises(ConfigError, match="placeholder") as error:
            load_settings(env, Mode.SOCKET)
        assert error.value.setting == name
    else:
        assert load_settings(env, Mode.SOCKET) is not None


def test_webhook_and_pagerduty_settings() -> None:
    assert load_settings(BASE_ENV).webhook_url is None and load_settings(BASE_ENV).pagerduty_routing_key is None
    assert load_settings(BASE_ENV).pagerduty_url == "https://events.pagerduty.com/v2/enqueue"
    settings = load_settings(
        {
            **BASE_ENV,
            "SUPPORT_WEBHOOK_URL": "https://hooks.example.com/support?token=t0ken",
            "SUPPORT_WEBHOOK_SECRET": "wh-secret",
            "SUPPORT_PAGERDUTY_ROUTING_KEY": "pd-routing-key",
            "SUPPORT_PAGERDUTY_URL": "http://127.0.0.1:9/v2/enqueue",
        }
    )
    assert settings.webhook_url == "https://hooks.example.com/support?token=t0ken"
    assert settings.webhook_secret == "wh-secret" and settings.pagerduty_routing_key == "pd-routing-key"
    assert settings.pagerduty_url == "http://127.0.0.1:9/v2/enqueue"
    assert not {"t0ken", "wh-secret", "pd-routing-key"} & set(re.findall(r"[\w-]+", repr(settings)))


@pytest.mark.parametrize(
    ("env", "named", "says"),
    [
        ({"SUPPORT_WEBHOOK_URL": "https://example.com/hook"}, "SUPPORT_WEBHOOK_SECRET", "is not set"),
        ({"SUPPORT_WEBHOOK_SECRET": "s3cret"}, "SUPPORT_WEBHOOK_URL", "is not set"),
        (
            {"SUPPORT_WEBHOOK_URL": "ftp://example.com/x", "SUPPORT_WEBHOOK_SECRET": "s"},
            "SUPPORT_WEBHOOK_URL",
            "http(s)",
        ),
        ({"SUPPORT_WEBHOOK_URL": "example.com/hook", "SUPPORT_WEBHOOK_SECRET": "s"}, "SUPPORT_WEBHOOK_URL", "http(s)"),
        ({"SUPPORT_PAGERDUTY_URL": "events.pagerduty.com"}, "SUPPORT_PAGERDUTY_URL", "http(s)"),
    ],
)
def test_a_bad_webhook_or_pagerduty_setting_is_one_line_naming_it(env: dict[str, str], named: str, says: str) -> None:
    with pytest.raises(ConfigError) as error:
        load_settings({**BASE_ENV, **env})
    assert error.value.setting == named and says in error.value.problem
    assert "\n" not in str(error.value) and "s3cret" not in str(error.value)
