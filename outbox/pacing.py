"""Per-channel pacing: Slack takes about one message per second per channel."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from math import inf

# Slack allows about one message per second per channel; the margin absorbs the jitter between
# two posts leaving here and reaching Slack.
POST_INTERVAL_PER_CHANNEL = 1.05  # seconds
EARLY_OK = 0.01  # seconds: well inside the interval's margin


class Pacer:
    """At most one new message per channel per `interval`, in the order rows first asked.

    A row that must wait is given its own slot (the channel's next free one), so a backlog of N
    rows for one channel is re-tried N times in all, not N times a second. A row goes when its slot
    has come and the channel's last post left at least `interval` ago.
    """

    def __init__(self, interval: float = POST_INTERVAL_PER_CHANNEL, clock: Callable[[], float] = time.monotonic):
        self._interval = interval
        self._clock = clock
        self._lock = threading.Lock()
        self._last_sent: dict[str, float] = {}
        self._next_free: dict[str, float] = {}
        self._slots: dict[int, float] = {}  # row id -> its reserved time

    def wait(self, key: str, row_id: int) -> float:
        """Seconds until the row may post to `key`; 0 means now (then call `sent` as it leaves)."""
        with self._lock:
            now = self._clock()
            earliest = self._last_sent.get(key, -inf) + self._interval
            slot = self._slots.get(row_id)
            if slot is None:
                slot = max(now, earliest, self._next_free.get(key, -inf))
                self._next_free[key] = slot + self._interval
                self._slots[row_id] = slot
                self._forget_before(now - 300.0)
            ready = max(slot, earliest)
            if ready > now + EARLY_OK:  # a row re-read a few ms early (clocks) need not wait again
                return ready - now
            del self._slots[row_id]
            self._last_sent[key] = now  # taken now; `sent` moves it to when the post actually leaves
            return 0.0

    def reserve(self, key: str, row_id: int) -> float:
        """Give the row its slot now, without taking it: seconds until the slot (0: free now)."""
        with self._lock:
            now = self._clock()
            slot = self._slots.get(row_id)
            if slot is None:
                slot = max(now, self._last_sent.get(key, -inf) + self._interval, self._next_free.get(key, -inf))
                self._next_free[key] = slot + self._interval
                self._slots[row_id] = slot
            return max(0.0, slot - now)

    def sent(self, key: str) -> None:
        """The post to `key` leaves now: the channel's interval counts from this moment."""
        with self._lock:
            self._last_sent[key] = self._clock()

    def _forget_before(self, horizon: float) -> None:
        """Drop slots of rows that never came back (another replica took them, or they failed)."""
        if len(self._slots) > 10_000:
            self._slots = {row: at for row, at in self._slots.items() if at > horizon}
        if len(self._last_sent) > 10_000:
            self._last_sent = {k: at for k, at in self._last_sent.items() if at > horizon}
            self._next_free = {k: at for k, at in self._next_free.items() if at > horizon}
