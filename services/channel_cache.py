"""Which channels are customer channels, answered from memory on the /ticket hot path."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

from services.tickets import customer_channel
from store.db import Database

REMEMBER_FOR = 30.0  # seconds


class CustomerChannels:
    """Remembers channels found to be active customer channels for `remember_for` seconds.

    Only a "yes" is remembered: a channel that became a customer channel a moment ago (on any
    replica) is found at once. A channel the bot has left may still get its form for up to
    `remember_for` seconds; the submission is checked against the database again.
    """

    def __init__(
        self, db: Database, remember_for: float = REMEMBER_FOR, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._db = db
        self._remember_for = remember_for
        self._clock = clock
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def is_customer_channel(self, channel_id: str, *, fresh: bool = False) -> bool:
        """Whether tickets are filed in `channel_id` now; `fresh`: ask the database even if a "yes" is remembered."""
        now = self._clock()
        if not fresh and self._until.get(channel_id, 0.0) > now:
            return True
        with self._db.session() as session:
            known = customer_channel(session, channel_id) is not None
        with self._lock:
            if known:
                if len(self._until) > 50_000:
                    self._until = {c: t for c, t in self._until.items() if t > now}
                self._until[channel_id] = now + self._remember_for
            else:
                self._until.pop(channel_id, None)
        return known

    def forget(self, channel_id: str) -> None:
        """The channel stopped being a customer channel (archived, left, internal): stop saying yes
        here at once (another replica may for up to `remember_for` seconds; submissions re-check)."""
        with self._lock:
            self._until.pop(channel_id, None)
