"""The baseline: a bare Bolt app on the same HTTP stack as support-bot (cheroot + Bolt's WSGI
adapter, same thread count and queue), with one slash-command listener that only acks, and a
`message` event listener that does nothing (Bolt acks the event): the baseline of the conversations
scenario.

    python -m bench.bare_app --host 127.0.0.1 --port 3001

(The /ticket scenario's baselines are bench/plain_bolt.py, issue 19: a default Bolt app on Flask
and gunicorn, one that acks and opens the form, one that only acks.)

Reads SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and SLACK_API_BASE_URL (auth.test is answered by the
stub once; the listener calls nothing). GET /healthz answers 200 so the benchmark can wait for it.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from cheroot import wsgi
from slack_bolt import Ack, App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient


def build_app() -> Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]:
    bolt = App(
        token=os.environ.get("SLACK_BOT_TOKEN", "xoxb-bench"),
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        client=WebClient(
            token=os.environ.get("SLACK_BOT_TOKEN", "xoxb-bench"),
            base_url=os.environ.get("SLACK_API_BASE_URL", "https://slack.com/api/"),
        ),
        process_before_response=True,
        token_verification_enabled=False,
        raise_error_for_unhandled_request=False,
    )

    def ack_only(ack: Ack) -> None:
        ack()

    def heard() -> None:
        """A customer's message: nothing to do (Bolt acks an event once its listener returns)."""

    bolt.event("message")(heard)
    bolt.command("/ticket")(ack_only)

    slack = SlackRequestHandler(bolt, path="/slack/events")

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            start_response("200 OK", [("Content-Type", "application/json"), ("Content-Length", "2")])
            return [b"{}"]
        return slack(environ, start_response)

    return app


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--threads", type=int, default=16, help="cheroot threads (support-bot uses 16)")
    parser.add_argument("--processes", type=int, default=1, help="serving processes on the port (SO_REUSEPORT)")
    parser.add_argument("--reuse-port", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # As support-bot's SUPPORT_PROCESSES: this process serves, and so do N-1 copies on the port.
    copies = [
        subprocess.Popen([sys.executable, "-m", "bench.bare_app", *sys.argv[1:], "--processes", "1", "--reuse-port"])
        for _ in range(args.processes - 1)
    ]

    server = wsgi.Server(
        (args.host, args.port),
        build_app(),
        numthreads=args.threads,
        shutdown_timeout=10,
        request_queue_size=128,
        server_name="bare-bolt",
        reuse_port=args.reuse_port or args.processes > 1,
    )
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    server.prepare()
    thread = threading.Thread(target=server.serve, name="http", daemon=True)
    thread.start()
    while not stop.wait(1):
        pass
    for copy in copies:
        copy.send_signal(signal.SIGTERM)
    server.stop()
    thread.join(15)
    for copy in copies:
        copy.wait(15)


if __name__ == "__main__":
    main()
