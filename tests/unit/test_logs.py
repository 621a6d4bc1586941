"""Log records never carry a secret (bot/logs.py)."""

from __future__ import annotations

import logging

from bot.logs import RedactSecrets


def test_redaction_filter_scrubs_tokens() -> None:
    record = logging.LogRecord(
        "x", logging.INFO, __file__, 1, "token %s and %s", ("xoxb-123-abc", "sekrit-value"), None
    )
    RedactSecrets(("sekrit-value",)).filter(record)
    assert record.getMessage() == "token [redacted] and [redacted]"
