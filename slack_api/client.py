"""The Slack Web API clients, pointed at SLACK_API_BASE_URL, over kept-alive connections.

slack_sdk's WebClient opens a new connection for every call (urllib sends `Connection: close`):
against slack.com that is a TCP and a TLS handshake per post, a round trip or two of waiting and
a millisecond or more of CPU each time. `KeepAliveWebClient` is the same client with one change:
each thread keeps its connection to the API host open between calls. Everything above the socket
(request building, retry handlers, errors, rate-limit headers) is slack_sdk's own.
"""

from __future__ import annotations

import functools
import http.client
import io
import select
import socket
import ssl
import threading
from typing import Any
from urllib.error import HTTPError, URLError
from urllib.parse import urlsplit
from urllib.request import Request

from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import ConnectionErrorRetryHandler, RateLimitErrorRetryHandler

from config.settings import Settings

_local = threading.local()  # .connections: {(scheme, host, port): HTTPConnection}, one set per thread


@functools.cache
def _tls_context() -> ssl.SSLContext:
    return ssl.create_default_context()  # building one reads the CA store: once per process


def _dropped(sock: socket.socket) -> bool:
    """An idle kept-alive socket has nothing to read; if it is readable, the server closed it."""
    poller = select.poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


def _connection(scheme: str, host: str, port: int | None, timeout: float, context: ssl.SSLContext | None) -> Any:
    """This thread's open connection to host:port, or a new one (not yet connected)."""
    connections: dict[tuple[str, str, int | None], http.client.HTTPConnection] = _local.__dict__.setdefault(
        "connections", {}
    )
    key = (scheme, host, port)
    conn = connections.get(key)
    if conn is not None and conn.sock is not None and _dropped(conn.sock):
        conn.close()  # the server closed it while idle: connect again, don't send into a dead socket
    if conn is None:
        if scheme == "https":
            conn = http.client.HTTPSConnection(host, port, timeout=timeout, context=context or _tls_context())
        else:
            conn = http.client.HTTPConnection(host, port, timeout=timeout)
        connections[key] = conn
    conn.timeout = timeout  # clients differ (5, 10, 15 s); one connection serves them all
    if conn.sock is not None:
        conn.sock.settimeout(timeout)
    return conn


class KeepAliveWebClient(WebClient):
    """slack_sdk's WebClient, sending each call over this thread's kept-alive connection."""

    def _perform_urllib_http_request_internal(self, url: str, req: Request) -> dict[str, Any]:
        parts = urlsplit(url)
        if self.proxy is not None or parts.scheme not in ("http", "https") or not parts.hostname:
            return super()._perform_urllib_http_request_internal(url, req)
        conn = _connection(parts.scheme, parts.hostname, parts.port, self.timeout, self.ssl)
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        try:
            try:
                conn.request("POST", path, body=req.data, headers=dict(req.header_items()))
            except OSError as err:  # as urllib: a failure to connect or send is a URLError
                raise URLError(err) from err
            response = conn.getresponse()
            body = response.read()
        except BaseException:
            conn.close()  # never reuse a connection in an unknown state
            raise
        if response.will_close:
            conn.close()
        if not 200 <= response.status < 300:  # as urllib: slack_sdk reads 429s and 5xx from an HTTPError
            raise HTTPError(url, response.status, response.reason, response.msg, io.BytesIO(body))
        if response.msg.get_content_type() == "application/gzip":
            return {"status": response.status, "headers": response.msg, "body": body}
        return {
            "status": response.status,
            "headers": response.msg,
            "body": body.decode(response.msg.get_content_charset() or "utf-8"),
        }


def _interactive_client(base_url: str, token: str | None = None, team_id: str | None = None) -> KeepAliveWebClient:
    return KeepAliveWebClient(
        token=token,
        team_id=team_id,
        base_url=base_url,
        timeout=5,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1)],
    )


def make_interactive_client(settings: Settings) -> WebClient:
    """For calls made while a user waits (views.open, ephemeral answers): fail fast.

    A trigger_id lives 3 seconds, so there is no time for long retries here; the outbox
    (outbox/__init__.py) owns patient retries for everything that can wait.
    """
    # No token here: each listener gets `listener_client` for the token that `authorize` returns.
    return _interactive_client(settings.slack_api_base_url)


# Bolt builds a plain WebClient (a new connection per call) for every request; the composition
# root hands listeners this one instead: the same settings, cached per token and team.
listener_client = functools.lru_cache(maxsize=512)(_interactive_client)


class ShortRateLimitRetryHandler(RateLimitErrorRetryHandler):
    """Retries a 429 once, only if Slack asks for a short wait (`Retry-After` ≤ `max_wait` s).

    The directory's look-ups run while Slack waits for an answer (a click, a form: 3 s). A 429 with
    `Retry-After: 30` must fail at once ("unknown": decided later, or "try again"), not hold the
    request for 30 s past Slack's deadline."""

    def __init__(self, max_retry_count: int = 1, max_wait: float = 2.0) -> None:
        super().__init__(max_retry_count=max_retry_count)
        self.max_wait = max_wait

    def _can_retry(self, *, state: Any, request: Any, response: Any = None, error: Any = None) -> bool:
        if response is None or response.status_code != 429:
            return False
        wanted = next((v for k, v in response.headers.items() if k.lower() == "retry-after"), None)
        try:
            wait = float(wanted[0] if isinstance(wanted, list | tuple) else wanted) if wanted else 1.0
        except (TypeError, ValueError):
            return False
        return wait <= self.max_wait


LOOKUP_TIMEOUT = 2.0  # seconds: users.info runs while Slack waits 3 s for a click's or a form's answer


def make_background_client(settings: Settings) -> WebClient:
    """For the directory's look-ups (users.info, auth.test), which often run while Slack waits 3 s
    for our answer: a short 429 wait is fine, a long one is not waited for, and a look-up that takes
    longer than `LOOKUP_TIMEOUT` fails. The caller then decides later (a reply) or asks the person
    to try again (a click) — it never holds the answer past Slack's deadline."""
    return KeepAliveWebClient(
        token=settings.slack_bot_token,
        base_url=settings.slack_api_base_url,
        timeout=LOOKUP_TIMEOUT,
        retry_handlers=[ConnectionErrorRetryHandler(max_retry_count=1), ShortRateLimitRetryHandler(1)],
    )


def make_outbox_client(settings: Settings) -> WebClient:
    """The outbox decides about retries itself, so its client never retries on its own."""
    return KeepAliveWebClient(
        token=settings.slack_bot_token, base_url=settings.slack_api_base_url, timeout=15, retry_handlers=[]
    )
