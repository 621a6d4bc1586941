"""Slack's request signing, and the credentials a bot pointed at the stub is configured with.

Slack signs each request to the app with `v0=HMAC-SHA256(signing secret, "v0:<timestamp>:<body>")`
(https://api.slack.com/authentication/verifying-requests-from-slack); Bolt refuses anything else.
"""

from __future__ import annotations

import hashlib
import hmac
import time

from fakeslack.workspace import TRIAGE

SIGNING_SECRET = "test-signing-secret-0123456789abcdef"
BOT_TOKEN = "xoxb-1111-2222-testtokenvalue"

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


def sign(body: bytes, timestamp: int, secret: str = SIGNING_SECRET) -> str:
    """The `X-Slack-Signature` header value for `body` sent at `timestamp` (Unix seconds)."""
    base = b"v0:" + str(timestamp).encode() + b":" + body
    return "v0=" + hmac.new(secret.encode(), base, hashlib.sha256).hexdigest()


def signed_headers(
    body: bytes, content_type: str, extra: dict[str, str] | None = None, *, secret: str = SIGNING_SECRET
) -> dict[str, str]:
    """The headers Slack sends with `body`, signed now; `extra` (e.g. retry headers) is added last."""
    ts = int(time.time())
    return {
        "Content-Type": content_type,
        "X-Slack-Request-Timestamp": str(ts),
        "X-Slack-Signature": sign(body, ts, secret),
        **(extra or {}),
    }


def retry_headers(n: int = 1, reason: str = "http_timeout") -> dict[str, str]:
    """The headers of Slack's `n`th redelivery of an event it thinks was not answered in time."""
    return {"X-Slack-Retry-Num": str(n), "X-Slack-Retry-Reason": reason}


def bot_env(slack: object, database_url: str, **extra: str) -> dict[str, str]:
    """The settings (environment variables) of a support-bot that talks to the stub at `slack`
    (a running `SlackStub`, or anything else with a `url`, or the Web API base URL itself) and keeps
    its data at `database_url` (an SQLAlchemy URL). `extra` adds or overrides variables."""
    url = slack if isinstance(slack, str) else slack.url  # type: ignore[attr-defined]
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_BASE_URL": url,
        "DATABASE_URL": database_url,
        "SUPPORT_TRIAGE_CHANNEL": TRIAGE,
        **extra,
    }
