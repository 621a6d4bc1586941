"""Kept-alive connections to the Slack Web API: reused per thread, replaced when the server closed
them, and the same errors slack_sdk gives (429 with Retry-After, 5xx, connection refused)."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from urllib.error import URLError

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import BOT_TOKEN, CUSTOMER, SlackStub
from slack_api.client import KeepAliveWebClient
from tests.support import BotUnderTest, free_port


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    slack = SlackStub().start()
    slack.add_channel("C0KEEP", "keep-alive")
    try:
        yield slack
    finally:
        slack.stop()


def post(client: WebClient, text: str) -> str:
    return client.chat_postMessage(channel="C0KEEP", text=text)["ts"]


def test_calls_from_one_thread_share_one_connection(stub: SlackStub) -> None:
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=stub.url)
    for n in range(5):
        post(client, f"kept {n}")
    assert stub.connections == 1
    assert len({call.peer for call in stub.calls_to("chat.postMessage")}) == 1
    assert [p["text"] for p in stub.posts("C0KEEP")] == [f"kept {n}" for n in range(5)]

    plain = WebClient(token=BOT_TOKEN, base_url=stub.url)  # slack_sdk's own: a connection per call
    for n in range(3):
        post(plain, f"plain {n}")
    assert stub.connections == 1 + 3


def test_each_thread_has_its_own_connection(stub: SlackStub) -> None:
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=stub.url)
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        try:
            for i in range(4):
                post(client, f"thread {n} post {i}")
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(10)
    assert errors == []
    assert len(stub.posts("C0KEEP")) == 12
    assert stub.connections == 3


def test_a_connection_the_server_closed_is_replaced_before_sending(stub: SlackStub) -> None:
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=stub.url, retry_handlers=[])
    stub.close_connections = True  # each answer, then the server hangs up without a Connection: close
    post(client, "first")
    time.sleep(0.2)  # the server's FIN arrives while the connection sits idle
    post(client, "second")  # no retry handler: this only passes if the dead socket was not used
    assert [p["text"] for p in stub.posts("C0KEEP")] == ["first", "second"]
    assert stub.connections == 2


def test_rate_limits_and_server_errors_read_as_slack_sdk_reads_them(stub: SlackStub) -> None:
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=stub.url, retry_handlers=[])
    stub.fail("chat.postMessage", status=429, times=1, retry_after=7)
    with pytest.raises(SlackApiError) as limited:
        post(client, "too fast")
    assert limited.value.response.status_code == 429
    assert limited.value.response["error"] == "ratelimited"
    assert limited.value.response.headers["Retry-After"] == "7"

    stub.fail("chat.postMessage", status=503, times=1)
    with pytest.raises(SlackApiError) as failing:
        post(client, "during an outage")
    assert failing.value.response.status_code == 503

    post(client, "recovered")  # the connection survives error answers
    assert [p["text"] for p in stub.posts("C0KEEP")] == ["recovered"]
    assert stub.connections == 1


def test_nobody_listening_is_a_connection_error() -> None:
    client = KeepAliveWebClient(token=BOT_TOKEN, base_url=f"http://127.0.0.1:{free_port()}/api/", retry_handlers=[])
    with pytest.raises(URLError):
        client.auth_test()


def test_listeners_open_modals_over_kept_alive_connections(bot: BotUnderTest, channel: str) -> None:
    for n in range(8):
        opened = len(bot.slack.calls_to("views.open"))
        status, _, _ = bot.slash("/ticket", user=CUSTOMER, channel=channel, text=f"Problem {n}")
        assert status == 200
        bot.slack.wait_for(lambda opened=opened: len(bot.slack.calls_to("views.open")) > opened)
    calls = bot.slack.calls_to("views.open")
    assert len(calls) == 8
    # One command at a time: the background pool reuses its idle thread, and that thread its
    # connection (a plain WebClient would have used eight).
    assert len({call.peer for call in calls}) <= 2


def test_the_server_keeps_a_pool_of_idle_connections_open(bot: BotUnderTest) -> None:
    """A proxy (or Slack) holding more than 10 kept-alive connections keeps them: cheroot's default
    would close each one past the 10th after its answer, and that caller reconnects (issue 19)."""
    import http.client

    conns = [http.client.HTTPConnection("127.0.0.1", bot.server.port, timeout=10) for _ in range(30)]
    try:
        closed = []
        for conn in conns:  # each answered, then left idle while the next one asks
            conn.request("GET", "/healthz")
            answer = conn.getresponse()
            answer.read()
            assert answer.status == 200
            closed.append(answer.will_close)
        assert not any(closed)
    finally:
        for conn in conns:
            conn.close()
