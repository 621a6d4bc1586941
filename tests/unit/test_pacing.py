"""The outbox's per-channel pacing (outbox.Pacer), on a hand-driven clock."""

from __future__ import annotations

from outbox import Pacer


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def test_a_backlog_gets_one_slot_per_row_in_order() -> None:
    clock = Clock()
    pacer = Pacer(interval=1.0, clock=clock)
    assert pacer.wait("C1", 1) == 0.0
    pacer.sent("C1")
    # Three more rows for the channel at once: each is told its own turn, one interval apart.
    assert [pacer.wait("C1", row) for row in (2, 3, 4)] == [1.0, 2.0, 3.0]
    # Another channel is not held up by this one.
    assert pacer.wait("C2", 9) == 0.0
    # Row 3 comes back early: it still waits for its own slot, and row 2 takes the first one.
    clock.now = 101.0
    assert pacer.wait("C1", 3) == 1.0
    assert pacer.wait("C1", 2) == 0.0
    pacer.sent("C1")
    clock.now = 102.0
    assert pacer.wait("C1", 3) == 0.0


def test_a_late_post_pushes_the_next_one_back() -> None:
    clock = Clock()
    pacer = Pacer(interval=1.0, clock=clock)
    assert pacer.wait("C1", 1) == 0.0
    assert pacer.wait("C1", 2) == 1.0
    clock.now = 100.5  # row 1's post only leaves now (a slow transaction, a retry...)
    pacer.sent("C1")
    clock.now = 101.0  # row 2's slot has come, but the last post left 0.5 s ago
    assert pacer.wait("C1", 2) == 0.5
    clock.now = 101.5
    assert pacer.wait("C1", 2) == 0.0


def test_never_two_posts_within_the_interval() -> None:
    clock = Clock()
    pacer = Pacer(interval=1.0, clock=clock)
    sends: list[float] = []
    waiting = {row: 0.0 for row in range(1, 21)}  # row -> when it asks again
    while waiting:
        row = min(waiting, key=lambda r: (waiting[r], r))
        clock.now = max(clock.now, 100.0 + waiting[row])
        wait = pacer.wait("C1", row)
        if wait == 0.0:
            pacer.sent("C1")
            sends.append(clock.now)
            del waiting[row]
        else:
            waiting[row] = clock.now - 100.0 + wait + 0.003 * (row % 3)  # re-read a little late
    gaps = [b - a for a, b in zip(sends, sends[1:], strict=False)]
    assert len(sends) == 20 and min(gaps) >= 1.0 - 0.01


def test_a_reserved_slot_is_kept_until_the_row_comes_back() -> None:
    """A card was just posted: its acknowledgement (same channel) is given the next slot when it
    falls due, without taking it, and posts when it comes back at that slot; the triage mirror
    (another channel) is free at once."""
    clock = Clock()
    pacer = Pacer(interval=1.0, clock=clock)
    assert pacer.wait("C1", 1) == 0.0
    pacer.sent("C1")
    clock.now = 100.25
    assert pacer.reserve("C1", 2) == 0.75  # the acknowledgement's slot: one interval after the card
    assert pacer.reserve("C1", 2) == 0.75  # asking again keeps it
    assert pacer.reserve("TRIAGE", 3) == 0.0
    assert pacer.wait("C1", 4) == 1.75  # a later row for the channel queues behind the reserved one
    assert pacer.wait("TRIAGE", 3) == 0.0  # a free channel's reserved row goes at once
    clock.now = 101.0
    assert pacer.wait("C1", 2) == 0.0
    pacer.sent("C1")
    clock.now = 101.5
    assert pacer.wait("C1", 4) == 0.5
