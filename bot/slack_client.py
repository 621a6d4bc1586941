"""The Slack Web API clients, pointed at SLACK_API_BASE_URL."""

from __future__ import annotations

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from bot.config import Settings


def make_interactive_client(settings: Settings) -> WebClient:
    """For calls made while a user waits (views.open, ephemeral answers): fail fast.

    A trigger_id lives 3 seconds, so there is no time for long retries here; the outbox
    (bot/outbox.py) owns patient retries for everything that can wait.
    """
    # No token here: Bolt hands each listener a copy carrying the token that `authorize` returns.
    return WebClient(
        base_url=settings.slack_api_base_url,
        timeout=5,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )


def make_background_client(settings: Settings) -> WebClient:
    """For look-ups outside the outbox (users.info, conversations.info): a short 429 wait is fine."""
    return WebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_base_url,
        timeout=10,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), RateLimitErrorRetryHandler(1)],
    )


def make_outbox_client(settings: Settings) -> WebClient:
    """The outbox decides about retries itself, so its client never retries on its own."""
    return WebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_base_url, timeout=15, retry_handlers=[]
    )
