"""One HTTP POST to somewhere other than Slack (a webhook receiver, PagerDuty), and what its answer means.

2xx: delivered. 5xx, 408, a connection error or a timeout: try again later (the outbox's backoff);
429: later too, after Retry-After when it says. A 3xx (never followed) or any other 4xx: `Refused`,
the row fails for good.
Nothing here logs the URL's path, the body or the headers: they may carry a secret.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from outbox.slack_errors import parse_retry_after

RETRYABLE_4XX = frozenset({408, 429})
_ANSWER_READ_MAX = 64 * 1024  # bytes of an answer read before the connection is closed


@dataclass(frozen=True)
class HttpRequest:
    """A JSON POST: `body` already encoded (it is what a signature covers), `timeout` in seconds."""

    url: str
    body: bytes
    headers: dict[str, str] = field(default_factory=dict, repr=False)
    timeout: float = 10.0

    @property
    def host(self) -> str:
        """Where it goes, safe to log (no path, query or credentials)."""
        return urlsplit(self.url).hostname or "?"


class Refused(Exception):
    """The receiver refused the request for good (a 4xx other than 408 and 429): never retried."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class Unavailable(Exception):
    """The receiver failed or asked us to wait (5xx, 408, 429): retry later; `retry_after` in
    seconds if it said (429's Retry-After), else None."""

    def __init__(self, status: int, retry_after: float | None = None) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status
        self.retry_after = retry_after


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A 3xx is the receiver's answer, not an address to follow: urllib would re-send a POST
    answered 301/302/303 as a GET without its body (and count that GET's 2xx as delivered)."""

    def redirect_request(self, *args: object, **kwargs: object) -> None:
        return None  # urllib then raises HTTPError with the 3xx status


def post_json(request: HttpRequest) -> int:
    """POST `request` and return the 2xx status. Raises `Refused`, `Unavailable`, or OSError
    (connection refused, timeout, DNS...) which the outbox retries like `Unavailable`."""
    if urlsplit(request.url).scheme not in ("http", "https"):
        raise Refused(0)  # settings check this; a stored row with another scheme must not open files
    http = urllib.request.Request(  # noqa: S310 - the scheme is checked just above
        request.url,
        data=request.body,
        headers={"Content-Type": "application/json", "User-Agent": "support-bot", **request.headers},
        method="POST",
    )
    try:
        with urllib.request.build_opener(_NoRedirects).open(http, timeout=request.timeout) as response:
            response.read(_ANSWER_READ_MAX)  # nobody reads the answer: a huge one is not kept
            return response.status
    except urllib.error.HTTPError as error:
        status = error.code
        error.close()
        if status >= 500 or status in RETRYABLE_4XX:
            raise Unavailable(status, parse_retry_after(error.headers.get("Retry-After"), None)) from None
        if 300 <= status < 500:
            raise Refused(status) from None
        raise
