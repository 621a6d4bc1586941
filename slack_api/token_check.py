"""The start-up check of the bot token: one `auth.test` call, and what its answer means.

`serve` and `socket` call `check_bot_token` before they start. A token Slack refuses (revoked, wrong,
a placeholder) can do nothing, so start-up stops; a Slack that cannot be reached says nothing
about the token, so start-up goes on (the outbox keeps posts until Slack answers again).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from enum import StrEnum
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError, SlackClientError

# auth.test's errors that say the token itself is no good (api.slack.com/methods/auth.test and the
# Web API's common errors). Any other error, a 429 or a 5xx says nothing about the token.
REJECTED_TOKEN_ERRORS = frozenset(
    {
        "invalid_auth",
        "not_authed",
        "token_revoked",
        "token_expired",
        "account_inactive",
        "not_allowed_token_type",
        "no_permission",
        "org_login_required",
        "team_access_not_granted",
        "team_disabled",
        "two_factor_setup_required",
        "ekm_access_denied",
        "invalid_token",
    }
)


class TokenVerdict(StrEnum):
    VALID = "valid"  # Slack accepted the token
    REJECTED = "rejected"  # Slack refused it: start-up must stop
    UNVERIFIED = "unverified"  # no answer about the token (Slack unreachable, a 5xx, a 429...)


@dataclass(frozen=True)
class TokenCheck:
    """The outcome of `check_bot_token`.

    `detail`: for VALID the workspace and bot user ("Host Inc (T0HOST) as U0BOT"); for REJECTED
    Slack's error code ("invalid_auth"); for UNVERIFIED what went wrong, one line without the token.
    """

    verdict: TokenVerdict
    detail: str


def check_bot_token(base_url: str, token: str, timeout: float = 5.0) -> TokenCheck:
    """Ask Slack's `auth.test` at `base_url` (the Web API base, e.g. https://slack.com/api/) about
    the bot token `token`, once, without retries, waiting at most `timeout` seconds. Never raises
    for a network or API problem: that is the UNVERIFIED verdict."""
    return _ask(base_url, token, "auth.test", timeout)


def check_app_token(base_url: str, token: str, timeout: float = 5.0) -> TokenCheck:
    """Ask Slack for a Socket Mode connection (`apps.connections.open`) with the app-level token
    `token`, as `check_bot_token` asks about a bot token. The WebSocket URL it answers is not used
    (it expires unused); VALID's detail is "Socket Mode"."""
    return _ask(base_url, token, "apps.connections.open", timeout)


def _ask(base_url: str, token: str, method: str, timeout: float) -> TokenCheck:
    # slack_sdk logs a failed request at ERROR; here that failure is the verdict, reported once by the caller.
    quiet = logging.getLogger(f"{__name__}.client")
    quiet.propagate = False
    if not quiet.handlers:
        quiet.addHandler(logging.NullHandler())
    client = WebClient(token=token, base_url=base_url, timeout=timeout, retry_handlers=[], logger=quiet)
    try:
        answer = client.api_call(method)
    except SlackApiError as exc:
        status = exc.response.status_code
        error = str(exc.response.get("error") or "") if isinstance(exc.response.data, dict) else ""
        if (status == 200 and error in REJECTED_TOKEN_ERRORS) or status in (401, 403):
            return TokenCheck(TokenVerdict.REJECTED, error or f"HTTP {status}")
        return TokenCheck(TokenVerdict.UNVERIFIED, f"Slack answered {method} with HTTP {status} {error}".strip())
    except (URLError, OSError, SlackClientError) as exc:
        reason = getattr(exc, "reason", None) or exc
        return TokenCheck(TokenVerdict.UNVERIFIED, f"cannot reach {base_url} ({reason})")
    if method != "auth.test":
        return TokenCheck(TokenVerdict.VALID, "Socket Mode")
    team, team_id, user = answer.get("team"), answer.get("team_id"), answer.get("user_id")
    return TokenCheck(TokenVerdict.VALID, f"{team} ({team_id}) as {user}")
