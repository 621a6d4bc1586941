"""Logging set-up. A filter scrubs anything shaped like a Slack token from every record."""

from __future__ import annotations

import logging
import re

_SECRET = re.compile(r"\b(xox[abposr]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")


_BOLT_TOKEN_NOTES = ("As you gave `client` as well", "As `installation_store` or `authorize` has been used")


class RedactSecrets(logging.Filter):
    def __init__(self, extra_secrets: tuple[str, ...] = ()) -> None:
        super().__init__()
        self._extra = tuple(s for s in extra_secrets if s and len(s) >= 8)

    def _clean(self, text: str) -> str:
        text = _SECRET.sub("[redacted]", text)
        for secret in self._extra:
            text = text.replace(secret, "[redacted]")
        return text

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.name.startswith("slack_bolt") and message.startswith(_BOLT_TOKEN_NOTES):
            return False  # Bolt notices SLACK_BOT_TOKEN in the environment; we authorize explicitly
        cleaned = self._clean(message)
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._clean(record.exc_text)
        if cleaned != message or record.args:
            record.msg, record.args = cleaned, None
        return True


def configure_logging(level: str, secrets: tuple[str, ...] = ()) -> None:
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    # Library debug logs can echo request bodies; keep them at INFO or above. slack_sdk's Web API
    # client tests its own logger's `level` (not the effective one) before building each debug line,
    # and NOTSET passes that test: so it is set on that logger itself, or every call would format
    # its whole request and response just to drop them.
    quiet = max(logging.INFO, logging.getLevelName(level))
    for noisy in ("slack_bolt", "slack_sdk", "slack_sdk.web.base_client", "urllib3", "cheroot", "apscheduler"):
        logging.getLogger(noisy).setLevel(quiet)
    logging.getLogger("alembic").setLevel(logging.WARNING)
