"""outbox/http.py: what a receiver's answer means for a POST the outbox makes (webhooks, PagerDuty),
against a real HTTP receiver on 127.0.0.1."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from fakeslack.receiver import Receiver
from outbox.http import HttpRequest, Refused, Unavailable, post_json


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with Receiver(ok_status=202) as running:
        yield running


def request_to(receiver: Receiver) -> HttpRequest:
    return HttpRequest(receiver.url, b'{"a":1}', {"X-Support-Timestamp": "1"}, timeout=2.0)


def test_a_2xx_is_delivered_with_the_body_and_headers_as_given(receiver: Receiver) -> None:
    assert post_json(request_to(receiver)) == 202
    [got] = receiver.received()
    assert got.body == b'{"a":1}' and got.headers["x-support-timestamp"] == "1"
    assert got.headers["content-type"] == "application/json"


@pytest.mark.parametrize("status", [500, 502, 503, 408, 429])
def test_server_errors_timeouts_and_rate_limits_are_worth_retrying(receiver: Receiver, status: int) -> None:
    receiver.fail_next(1, status=status)
    with pytest.raises(Unavailable) as error:
        post_json(request_to(receiver))
    assert error.value.status == status
    assert post_json(request_to(receiver)) == 202  # and the next try goes through


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_other_client_errors_are_refused_for_good(receiver: Receiver, status: int) -> None:
    receiver.fail_next(1, status=status)
    with pytest.raises(Refused) as error:
        post_json(request_to(receiver))
    assert error.value.status == status and str(error.value) == f"HTTP {status}"


def test_a_refused_connection_is_an_oserror_the_outbox_retries() -> None:
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))  # bound, not listening
    try:
        with pytest.raises(OSError):
            post_json(HttpRequest(f"http://127.0.0.1:{closed.getsockname()[1]}/x", b"{}", timeout=2.0))
    finally:
        closed.close()


def test_only_http_urls_are_opened() -> None:
    with pytest.raises(Refused):
        post_json(HttpRequest("file:///etc/passwd", b"{}"))


def test_the_host_is_what_gets_logged_never_the_path_or_headers() -> None:
    request = HttpRequest("https://user:pw@hooks.example.com/secret-token?x=1", b"{}", {"X-Support-Signature": "v1=ab"})
    assert request.host == "hooks.example.com"
    assert "v1=ab" not in repr(request)
