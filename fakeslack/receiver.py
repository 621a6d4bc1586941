"""A plain HTTP receiver on 127.0.0.1: the outside world the bot POSTs to (a webhook endpoint, a
PagerDuty Events API stand-in). It records every request and answers 202, or what it is told to
answer for the next few requests (`fail_next`)."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass(frozen=True)
class Received:
    """One request as it arrived: the path, the headers (names lower-cased), the raw body, and what
    the receiver answered."""

    path: str
    headers: dict[str, str]
    body: bytes
    status: int

    def json(self) -> Any:
        return json.loads(self.body)


class Receiver:
    """Records POSTs; `url` is where to send them (`port` 0: any free one). Use as a context
    manager or start()/stop()."""

    def __init__(self, ok_status: int = 202, port: int = 0) -> None:
        self._ok_status = ok_status
        self._lock = threading.Lock()
        self._answers: list[int] = []  # statuses for the next requests, in order
        self._location: str | None = None  # the Location header of a 3xx answer (`redirect_next`)
        self.requests: list[Received] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
                with receiver._lock:
                    status = receiver._answers.pop(0) if receiver._answers else receiver._ok_status
                    headers = {name.lower(): value for name, value in self.headers.items()}
                    receiver.requests.append(Received(self.path, headers, body, status))
                answer = b'{"status":"success"}' if status < 300 else b'{"status":"error"}'
                self.send_response(status)
                if 300 <= status < 400 and receiver._location:
                    self.send_header("Location", receiver._location)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(answer)))
                self.end_headers()
                self.wfile.write(answer)

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002 - quiet
                return

        self._server = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="receiver", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    @property
    def port(self) -> int:
        return self._server.server_address[1]

    def fail_next(self, count: int, status: int = 500) -> None:
        """Answer `status` to the next `count` requests (then the usual 2xx again)."""
        with self._lock:
            self._answers.extend([status] * count)

    def redirect_next(self, count: int, location: str, status: int = 301) -> None:
        """Answer the next `count` requests with a redirect (`status`) to `location`, as a receiver
        moved to https or to another path does."""
        with self._lock:
            self._location = location
            self._answers.extend([status] * count)

    def received(self, accepted_only: bool = False) -> list[Received]:
        """The requests so far, oldest first (only those answered 2xx if `accepted_only`)."""
        with self._lock:
            return [r for r in self.requests if not accepted_only or 200 <= r.status < 300]

    def wait_for(self, predicate: Callable[[list[Received]], Any], timeout: float = 10.0) -> Any:
        """Poll `predicate(requests)` until truthy and return its value; AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate(self.received())
            if result:
                return result
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s; received {len(self.received())} requests")

    def start(self) -> Receiver:
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop listening (also before `start`: then the port is simply closed)."""
        if self._thread.is_alive():
            self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> Receiver:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
