"""Settings from the environment, parsed once into a frozen dataclass.

Every problem is a `ConfigError` naming the setting, so start-up can stop with one clear line.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import timedelta
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING

from tickets.intake import IntakeMode
from tickets.severity import SEVERITY_LEVELS, Severity
from tickets.sla import BusinessHours, parse_business_hours

if TYPE_CHECKING:
    from config.routing import Routing

DEFAULT_SLACK_API_BASE_URL = "https://slack.com/api/"
DEFAULT_DIGEST_SCHEDULE = "0 9 * * mon"
DEFAULT_PAGERDUTY_URL = "https://events.pagerduty.com/v2/enqueue"
_HTTP_URL = re.compile(r"^https?://[^\s/]+(/\S*)?$")
_ONCALL_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
_DURATION = re.compile(r"^\s*(\d+)\s*([smhd])\s*$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")


class ConfigError(Exception):
    """A setting is missing or malformed."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"{setting}: {problem}")
        self.setting = setting
        self.problem = problem


class Mode(StrEnum):
    HTTP = "http"  # serving Slack over HTTP: needs the signing secret
    SOCKET = "socket"  # Socket Mode: needs the app-level token
    DATABASE = "database"  # CLI commands that only read or migrate the database


MAX_DURATION = timedelta(days=36500)  # 100 years: "never", as far as a support desk goes


def parse_duration(value: str) -> timedelta:
    """'30s', '15m', '2h', '7d' → timedelta. Raises ValueError on anything else (zero, or longer
    than MAX_DURATION)."""
    match = _DURATION.match(value or "")
    if not match:
        raise ValueError(f"{value!r} is not a duration like 30s, 15m, 2h or 7d")
    amount = int(match.group(1))
    if amount <= 0:
        raise ValueError(f"{value!r} must be longer than zero")
    try:
        duration = timedelta(**{_UNITS[match.group(2)]: amount})
    except OverflowError:
        duration = None
    if duration is None or duration > MAX_DURATION:
        # A clock set that far ahead would overflow a datetime (year 9999) when a ticket is stamped.
        raise ValueError(f"{value!r} is too long (at most {MAX_DURATION.days}d)")
    return duration


def normalize_database_url(url: str) -> str:
    """Accept the usual postgres:// spellings and point them at the psycopg 3 driver."""
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


@dataclass(frozen=True)
class Settings:
    database_url: str
    slack_bot_token: str | None = field(default=None, repr=False)
    slack_signing_secret: str | None = field(default=None, repr=False)
    slack_app_token: str | None = field(default=None, repr=False)
    slack_api_base_url: str = DEFAULT_SLACK_API_BASE_URL
    triage_channel: str | None = None
    port: int = 3000
    sla_targets: Mapping[Severity, timedelta] = field(
        default_factory=lambda: {s: lvl.default_first_response for s, lvl in SEVERITY_LEVELS.items()}
    )
    auto_migrate: bool = True
    log_level: str = "INFO"
    business_hours: BusinessHours | None = None
    oncall: str | None = None  # a user (U…/W…) or user group (S…) id
    critical_update_every: timedelta = timedelta(minutes=30)
    digest_channel: str | None = None
    digest_schedule: str = DEFAULT_DIGEST_SCHEDULE
    leader_timeout: timedelta = timedelta(seconds=30)
    processes: int = 1  # `serve`: serving processes sharing the port (PostgreSQL only beyond 1)
    slack_client_id: str | None = None
    slack_client_secret: str | None = field(default=None, repr=False)
    # Outside Slack (issue 18): ticket events POSTed, signed, to a webhook; Critical breaches paged.
    webhook_url: str | None = field(default=None, repr=False)  # may carry a token in its path
    webhook_secret: str | None = field(default=None, repr=False)
    pagerduty_routing_key: str | None = field(default=None, repr=False)
    pagerduty_url: str = DEFAULT_PAGERDUTY_URL
    # Product areas and their routes (SUPPORT_ROUTING_FILE, docs/routing.md); None: one area, triage_channel.
    routing: Routing | None = None
    # How long after /onboard a customer gets the routing file's `onboarding` tier (docs/routing.md).
    onboarding_window: timedelta = timedelta(days=60)

    @property
    def oauth_enabled(self) -> bool:
        """Multi-workspace mode: customer orgs can install the app (OAuth distribution)."""
        return bool(self.slack_client_id and self.slack_client_secret)

    # Every customer message heard (issue 16): the default intake mode of a customer channel, the
    # "track this?" cooldown, the window in which one customer's messages join one conversation,
    # the response target of a conversation with no severity yet, and the next-response targets.
    intake_mode: IntakeMode = IntakeMode.ALL
    ask_cooldown: timedelta = timedelta(hours=1)
    message_grouping: timedelta = timedelta(minutes=2)
    sla_untriaged: timedelta = SEVERITY_LEVELS[Severity.MEDIUM].default_first_response
    next_response_targets: Mapping[Severity, timedelta] = field(
        default_factory=lambda: {s: lvl.default_first_response for s, lvl in SEVERITY_LEVELS.items()}
    )

    # Tickets waiting on the customer (issue 18): the reminder, then the close, from when it started waiting.
    pending_remind: timedelta = timedelta(days=5)
    pending_close: timedelta = timedelta(days=7)

    dashboard_nudge_after: timedelta = timedelta(days=7)
    dashboard_nudge_every: timedelta = timedelta(days=3)
    dashboard_nudge_max: int = 5
    max_customer_members: int = 8


def _required(env: Mapping[str, str], name: str, hint: str) -> str:
    value = (env.get(name) or "").strip()
    if not value:
        raise ConfigError(name, f"is not set ({hint})")
    return value


def is_placeholder_token(value: str, prefix: str) -> bool:
    """A placeholder (`xoxb-your-bot-token`, `xapp-...`) rather than a token: no digit after the
    prefix. Slack's bot and app-level tokens always hold digits there (`xoxb-<team>-<bot>-…`,
    `xapp-1-<app>-<number>-…`)."""
    return not any(c.isdigit() for c in value[len(prefix) :])


def _token(env: Mapping[str, str], name: str, prefix: str) -> str:
    value = _required(env, name, f"a token starting with {prefix}")
    if not value.startswith(prefix) or any(c.isspace() for c in value):
        raise ConfigError(name, f"must be a token starting with {prefix}")
    if is_placeholder_token(value, prefix):
        raise ConfigError(name, f"is a placeholder (no digits after {prefix}); put the app's real token here")
    return value


def _bool(env: Mapping[str, str], name: str, default: bool) -> bool:
    raw = (env.get(name) or "").strip().lower()
    if not raw:
        return default
    if raw in ("1", "true", "yes", "on"):
        return True
    if raw in ("0", "false", "no", "off"):
        return False
    raise ConfigError(name, f"must be true or false, not {raw!r}")


def _duration(env: Mapping[str, str], name: str, default: timedelta) -> timedelta:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        return parse_duration(raw)
    except ValueError as exc:
        raise ConfigError(name, str(exc)) from None


def _count(env: Mapping[str, str], name: str, default: int, minimum: int = 0) -> int:
    raw = (env.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(name, f"must be a whole number, not {raw!r}") from None
    if value < minimum:
        raise ConfigError(name, f"must be at least {minimum}, not {value}")
    return value


def _business_hours(env: Mapping[str, str]) -> BusinessHours | None:
    raw = (env.get("SUPPORT_BUSINESS_HOURS") or "").strip()
    if not raw:
        return None
    try:
        return parse_business_hours(raw)
    except ValueError as exc:
        raise ConfigError("SUPPORT_BUSINESS_HOURS", f"{exc} (e.g. 'Mon-Fri 09:00-18:00 Europe/London')") from None


def _digest_schedule(env: Mapping[str, str]) -> str:
    from apscheduler.triggers.cron import CronTrigger

    raw = " ".join((env.get("SUPPORT_DIGEST_SCHEDULE") or DEFAULT_DIGEST_SCHEDULE).split())
    try:
        CronTrigger.from_crontab(raw)
    except ValueError as exc:
        raise ConfigError("SUPPORT_DIGEST_SCHEDULE", f"is not a crontab line like '0 9 * * mon' ({exc})") from None
    return raw


def _intake_mode(env: Mapping[str, str]) -> IntakeMode:
    raw = (env.get("SUPPORT_INTAKE") or "").strip().lower()
    if not raw:
        return IntakeMode.ALL
    try:
        return IntakeMode(raw)
    except ValueError:
        raise ConfigError("SUPPORT_INTAKE", f"must be all, ask or explicit, not {raw!r}") from None


def _webhook(env: Mapping[str, str]) -> tuple[str | None, str | None]:
    """SUPPORT_WEBHOOK_URL and SUPPORT_WEBHOOK_SECRET: both (an http(s) URL and a secret) or neither."""
    url = (env.get("SUPPORT_WEBHOOK_URL") or "").strip() or None
    secret = (env.get("SUPPORT_WEBHOOK_SECRET") or "").strip() or None
    if bool(url) != bool(secret):
        missing = "SUPPORT_WEBHOOK_SECRET" if url else "SUPPORT_WEBHOOK_URL"
        raise ConfigError(missing, "is not set (webhooks need SUPPORT_WEBHOOK_URL and SUPPORT_WEBHOOK_SECRET)")
    if url is not None and not _HTTP_URL.match(url):
        raise ConfigError("SUPPORT_WEBHOOK_URL", "must be an http(s) URL such as https://example.com/support-hook")
    return url, secret


def _routing(env: Mapping[str, str], oncall: str | None) -> Routing | None:
    """SUPPORT_ROUTING_FILE: the path of the routing file (docs/routing.md), or None when unset.
    `oncall`: SUPPORT_ONCALL, which a round_robin area without its own `oncall` takes turns in."""
    from config.routing import check_round_robin, load_routing  # config.routing builds on ConfigError

    raw = (env.get("SUPPORT_ROUTING_FILE") or "").strip()
    if not raw:
        return None
    routing = load_routing(Path(raw))
    check_round_robin(routing, Path(raw), oncall)
    return routing


def _port(raw: str | None, name: str = "PORT") -> int:
    if raw is None or not str(raw).strip():
        return 3000
    try:
        port = int(str(raw).strip())
    except ValueError:
        raise ConfigError(name, f"must be a port number, not {raw!r}") from None
    if not 0 < port < 65536:
        raise ConfigError(name, f"must be between 1 and 65535, not {port}")
    return port


def load_settings(env: Mapping[str, str], mode: Mode = Mode.HTTP) -> Settings:
    """Read and check every setting `mode` needs; raise ConfigError on the first problem."""
    database_url = normalize_database_url(
        (env.get("DATABASE_URL") or "").strip() or f"sqlite:///{Path.cwd() / 'support-store.db'}"
    )
    if not re.match(r"^(sqlite|postgresql)(\+\w+)?://", database_url):
        raise ConfigError("DATABASE_URL", "must be a sqlite:/// or postgresql:// URL")

    log_level = (env.get("LOG_LEVEL") or "INFO").strip().upper()
    if log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("LOG_LEVEL", "must be DEBUG, INFO, WARNING or ERROR")

    sla_targets = {
        severity: _duration(env, f"SUPPORT_SLA_{severity.name}", level.default_first_response)
        for severity, level in SEVERITY_LEVELS.items()
    }
    next_response_targets = {
        severity: _duration(env, f"SUPPORT_NEXT_RESPONSE_{severity.name}", sla_targets[severity])
        for severity in SEVERITY_LEVELS
    }
    digest_channel = (env.get("SUPPORT_DIGEST_CHANNEL") or "").strip() or None
    if digest_channel is not None and not _CHANNEL_ID.match(digest_channel):
        raise ConfigError("SUPPORT_DIGEST_CHANNEL", "must be a channel ID such as C0123456789, not a name")
    pending_remind = _duration(env, "SUPPORT_PENDING_REMIND", timedelta(days=5))
    pending_close = _duration(env, "SUPPORT_PENDING_CLOSE", timedelta(days=7))
    if pending_close <= pending_remind:
        raise ConfigError(
            "SUPPORT_PENDING_CLOSE", "must be longer than SUPPORT_PENDING_REMIND (the reminder comes before the close)"
        )
    processes = _count(env, "SUPPORT_PROCESSES", 1, minimum=1)
    if processes > 1 and database_url.startswith("sqlite"):
        raise ConfigError("SUPPORT_PROCESSES", "must be 1 with SQLite (one process per database); use PostgreSQL")
    common = dict(
        processes=processes,
        digest_channel=digest_channel,
        database_url=database_url,
        log_level=log_level,
        sla_targets=sla_targets,
        next_response_targets=next_response_targets,
        pending_remind=pending_remind,
        pending_close=pending_close,
        sla_untriaged=_duration(env, "SUPPORT_SLA_UNTRIAGED", sla_targets[Severity.MEDIUM]),
        intake_mode=_intake_mode(env),
        ask_cooldown=_duration(env, "SUPPORT_ASK_COOLDOWN", timedelta(hours=1)),
        message_grouping=_duration(env, "SUPPORT_MESSAGE_GROUPING", timedelta(minutes=2)),
        auto_migrate=_bool(env, "SUPPORT_AUTO_MIGRATE", True),
        dashboard_nudge_after=_duration(env, "SUPPORT_DASHBOARD_NUDGE_AFTER", timedelta(days=7)),
        dashboard_nudge_every=_duration(env, "SUPPORT_DASHBOARD_NUDGE_EVERY", timedelta(days=3)),
        dashboard_nudge_max=_count(env, "SUPPORT_DASHBOARD_NUDGE_MAX", 5),
        max_customer_members=_count(env, "SUPPORT_MAX_CUSTOMER_MEMBERS", 8, minimum=1),
        business_hours=_business_hours(env),
        critical_update_every=_duration(env, "SUPPORT_CRITICAL_UPDATE_EVERY", timedelta(minutes=30)),
        digest_schedule=_digest_schedule(env),
        leader_timeout=_duration(env, "SUPPORT_LEADER_TIMEOUT", timedelta(seconds=30)),
        onboarding_window=_duration(env, "SUPPORT_ONBOARDING_WINDOW", timedelta(days=60)),
    )
    if mode == Mode.DATABASE:
        return Settings(**common)

    base_url = (env.get("SLACK_API_BASE_URL") or "").strip() or DEFAULT_SLACK_API_BASE_URL
    if not _HTTP_URL.match(base_url):
        raise ConfigError("SLACK_API_BASE_URL", "must be an http(s) URL such as https://slack.com/api/")
    if not base_url.endswith("/"):
        base_url += "/"

    bot_token = _token(env, "SLACK_BOT_TOKEN", "xoxb-")
    signing_secret = (
        _required(env, "SLACK_SIGNING_SECRET", "from the app's Basic Information page")
        if mode == Mode.HTTP
        else (env.get("SLACK_SIGNING_SECRET") or None)
    )
    app_token = _token(env, "SLACK_APP_TOKEN", "xapp-") if mode == Mode.SOCKET else None
    triage = _required(env, "SUPPORT_TRIAGE_CHANNEL", "the channel ID of the internal triage channel")
    oncall = (env.get("SUPPORT_ONCALL") or "").strip() or None
    if oncall is not None and not _ONCALL_ID.match(oncall):
        raise ConfigError("SUPPORT_ONCALL", "must be a user ID (U…) or a user group ID (S…)")

    if not _CHANNEL_ID.match(triage):
        raise ConfigError("SUPPORT_TRIAGE_CHANNEL", "must be a channel ID such as C0123456789, not a name")

    client_id = (env.get("SLACK_CLIENT_ID") or "").strip() or None
    client_secret = (env.get("SLACK_CLIENT_SECRET") or "").strip() or None
    if bool(client_id) != bool(client_secret):
        missing = "SLACK_CLIENT_SECRET" if client_id else "SLACK_CLIENT_ID"
        raise ConfigError(missing, "is not set (OAuth distribution needs SLACK_CLIENT_ID and SLACK_CLIENT_SECRET)")
    if client_id and not re.match(r"^\d+\.\d+$", client_id):
        raise ConfigError("SLACK_CLIENT_ID", "must look like 1234567890.1234567890 (Basic Information page)")

    webhook_url, webhook_secret = _webhook(env)
    pagerduty_url = (env.get("SUPPORT_PAGERDUTY_URL") or "").strip() or DEFAULT_PAGERDUTY_URL
    if not _HTTP_URL.match(pagerduty_url):
        raise ConfigError("SUPPORT_PAGERDUTY_URL", "must be an http(s) URL such as " + DEFAULT_PAGERDUTY_URL)

    return Settings(
        **common,
        routing=_routing(env, oncall),
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
        pagerduty_routing_key=(env.get("SUPPORT_PAGERDUTY_ROUTING_KEY") or "").strip() or None,
        pagerduty_url=pagerduty_url,
        slack_client_id=client_id,
        slack_client_secret=client_secret,
        slack_bot_token=bot_token,
        slack_signing_secret=signing_secret,
        slack_app_token=app_token,
        slack_api_base_url=base_url,
        triage_channel=triage,
        oncall=oncall,
        port=_port(env.get("PORT")),
    )


def port_override(raw: str | int | None, current: int) -> int:
    """The --port flag, checked like PORT."""
    return current if raw is None else _port(str(raw), "--port")
