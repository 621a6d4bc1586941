"""What a Slack Web API error means for a delivery: wait (429), retry (5xx), send less, or give up."""

from __future__ import annotations

import math

from slack_sdk.errors import SlackApiError

# Slack refused the post itself (too long, blocks it will not take): a smaller one may go.
REFUSED_AS_INVALID = frozenset(
    {
        "invalid_blocks",
        "invalid_blocks_format",
        "invalid_arguments",
        "msg_too_long",
        "too_many_attachments",
        "invalid_attachments",
        "no_text",
    }
)
# The channel itself will not take posts: the rows about it fail for good.
CHANNEL_GONE = frozenset({"is_archived", "not_in_channel", "channel_not_found"})
_OVERLOADED = frozenset({"internal_error", "fatal_error", "service_unavailable", "request_timeout"})


def error_code(error: SlackApiError) -> str | None:
    """Slack's error code ("ratelimited", "invalid_blocks"...), or None if the answer had none."""
    return error.response.data.get("error") if isinstance(error.response.data, dict) else None


def retry_after(error: SlackApiError) -> float | None:
    """Seconds Slack asks us to wait when it rate limits the call (1.0 if it did not say), else None."""
    response = error.response
    status = getattr(response, "status_code", None)
    if status == 429 or error_code(error) == "ratelimited":
        headers = {k.lower(): v for k, v in (response.headers or {}).items()}
        raw = headers.get("retry-after")
        if isinstance(raw, list):
            raw = raw[0] if raw else None
        return parse_retry_after(raw, default=1.0)
    return None


MIN_WAIT, MAX_WAIT = 1.0, 3600.0  # seconds: a Retry-After of 0 must not make a tight loop


def parse_retry_after(raw: object, default: float | None) -> float | None:
    """A Retry-After header's seconds, kept within [MIN_WAIT, MAX_WAIT]; `default` when it is
    missing or not a finite number ("", "soon", "nan", "inf", an HTTP date)."""
    try:
        seconds = float(str(raw)) if raw is not None else None
    except ValueError:
        seconds = None
    if seconds is None or not math.isfinite(seconds):
        return default
    return min(max(seconds, MIN_WAIT), MAX_WAIT)


def is_server_error(error: SlackApiError) -> bool:
    """Slack failed or is overloaded (5xx, or an error code saying so): the call may succeed later."""
    status = getattr(error.response, "status_code", 200)
    return status >= 500 or error_code(error) in _OVERLOADED
