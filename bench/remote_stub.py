"""The Slack Web API stub in a process of its own, driven through a pipe.

Slack's servers are not on the machine under test, and they don't share a Python interpreter with
the load generator. The in-process stub does: every `views.open` it parses holds the bench's GIL
while the load generator's client threads wait to read and time their acks. For the ack scenario,
where every command makes one such call, that wait lands in the measured latency of support-bot
and of the bare-Bolt-plus-modal baseline, but not in the bare baseline's. Out here, the stub still
uses the machine's cores, as the stand-in for Slack must, but no longer the load generator's GIL.
"""

from __future__ import annotations

import gc
import json
import re
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from typing import Any

from bench.infra import REPO
from fakeslack import SlackStub

_METHODS = frozenset({"add_user", "add_channel", "count", "arrivals", "posts"})
_NUMBER = re.compile(r"#(\d+)(?!\d)")


def reacted(stub: SlackStub, name: str) -> list[list[str]]:
    """[channel, ts] of every message that carries the bot's reaction `name` now."""
    with stub._lock:
        return [[c, ts] for (c, ts), names in stub.reactions.items() if stub.bot_user in names.get(name, [])]


def ticket_numbers_seen(stub: SlackStub, channel: str) -> dict[str, Any]:
    """What the bot has shown in `channel` (the triage channel): for every ticket number (`#123`) in
    one of its messages as they read now, when (time.monotonic) the first chat.postMessage or
    chat.update carrying it arrived; the arrival times of its chat.postMessage calls; and how many
    chat.update calls it made there."""
    with stub._lock:
        calls = [c for c in stub.calls if c.method in ("chat.postMessage", "chat.update")]
        shown = [m for m in stub.messages.get(channel, []) if not m.get("human")]
    calls = [c for c in calls if c.args.get("channel") == channel]

    def numbers(text: Any, blocks: Any) -> set[str]:
        return set(_NUMBER.findall(f"{text or ''} {json.dumps(blocks) if blocks else ''}"))

    visible = set().union(*(numbers(m.get("text"), m.get("blocks")) for m in shown)) if shown else set()
    first: dict[str, float] = {}
    for call in calls:  # oldest first
        for number in numbers(call.args.get("text"), call.args.get("blocks")) & visible:
            first.setdefault(number, call.at)
    return {
        "first_seen": first,
        "post_times": [c.at for c in calls if c.method == "chat.postMessage"],
        "updates": sum(1 for c in calls if c.method == "chat.update"),
    }


_QUERIES = {"reacted": reacted, "ticket_numbers_seen": ticket_numbers_seen}


def _freeze_every(seconds: float) -> None:
    """The stub keeps every call it answered (a parsed ~3 KB view per /ticket): millions of objects
    after a run, which the garbage collector's full collections would scan again and again, pausing
    the stub, and with it whichever server the bench was driving. Slack has no such pauses on our
    account: move what is kept out of the collector's reach (gc.freeze) as it piles up."""

    def run() -> None:
        while True:
            time.sleep(seconds)
            gc.freeze()

    threading.Thread(target=run, name="stub-gc-freeze", daemon=True).start()


def serve() -> None:
    """The child: one JSON request per line on stdin ([method, args]), one answer per line on stdout."""
    _freeze_every(1.0)
    stub = SlackStub().start()
    print(json.dumps(stub.url), flush=True)
    for line in sys.stdin:
        name, args = json.loads(line)
        try:
            if name in _QUERIES:
                answer = [True, _QUERIES[name](stub, *args)]
            else:
                answer = [True, getattr(stub, name)(*args) if name in _METHODS else None]
        except Exception as exc:  # answered, so the caller raises it rather than hangs
            answer = [False, f"{type(exc).__name__}: {exc}"]
        print(json.dumps(answer), flush=True)
    stub.stop()


class RemoteStub:
    """The part of SlackStub's interface the ack scenario uses, answered by a stub in a child process."""

    def __init__(self) -> None:
        self._process = subprocess.Popen(
            [sys.executable, "-m", "bench.remote_stub"],
            cwd=REPO,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        assert self._process.stdin is not None and self._process.stdout is not None
        self._to, self._from = self._process.stdin, self._process.stdout
        first = self._from.readline()
        if not first:
            raise RuntimeError(f"the Slack stub process exited at start ({self._process.wait(10)})")
        self.url: str = json.loads(first)
        self._lock = threading.Lock()

    @property
    def pid(self) -> int:
        return self._process.pid

    def _call(self, name: str, *args: Any) -> Any:
        assert name in _METHODS or name in _QUERIES
        with self._lock:
            self._to.write(json.dumps([name, args]) + "\n")
            self._to.flush()
            line = self._from.readline()
        if not line:
            raise RuntimeError(f"the Slack stub process is gone (calling {name})")
        ok, value = json.loads(line)
        if not ok:
            raise RuntimeError(f"Slack stub process: {name} failed: {value}")
        return value

    def response_url(self, key: str = "r") -> str:
        return self.url.replace("/api/", f"/respond/{key}")

    def add_user(self, user_id: str, team_id: str, **extra: Any) -> None:
        assert not extra
        self._call("add_user", user_id, team_id)

    def add_channel(self, channel_id: str, name: str, is_ext_shared: bool = True) -> None:
        self._call("add_channel", channel_id, name, is_ext_shared)

    def count(self, method: str) -> int:
        return int(self._call("count", method))

    def arrivals(self, method: str, key: str) -> dict[str, float]:
        return dict(self._call("arrivals", method, key))  # time.monotonic is one clock for every process

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        return list(self._call("posts", channel))

    def reacted(self, name: str) -> set[tuple[str, str]]:
        """(channel, ts) of every message carrying the bot's reaction `name`."""
        return {(c, ts) for c, ts in self._call("reacted", name)}

    def ticket_numbers_seen(self, channel: str) -> dict[str, Any]:
        """See `ticket_numbers_seen` above (first-seen times are time.monotonic, one clock for every process)."""
        return dict(self._call("ticket_numbers_seen", channel))

    def stop(self) -> None:
        with self._lock, suppress(OSError):
            self._to.close()  # end of input: the child stops its server and exits
        try:
            self._process.wait(10)
        except subprocess.TimeoutExpired:
            self._process.kill()
            self._process.wait(10)
        self._from.close()


@contextmanager
def remote_slack_stub() -> Iterator[RemoteStub]:
    stub = RemoteStub()
    try:
        yield stub
    finally:
        stub.stop()


Stub = SlackStub | RemoteStub  # what the scenarios' helpers accept

if __name__ == "__main__":
    serve()
