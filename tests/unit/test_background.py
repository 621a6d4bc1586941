"""The worker pools that finish a request after its answer (services.deps.Background)."""

from __future__ import annotations


def test_background_with_no_waiting_room_holds_the_caller_until_a_worker_is_free() -> None:
    """The after-ack pool: a submit waits for a free worker (bounded), then runs its task anyway."""
    import threading

    from services.deps import Background

    pool = Background("test", 1, "failed", max_waiting=0, wait_s=10)
    release, ran = threading.Event(), []
    pool.submit(lambda: (release.wait(10), ran.append("first")))
    second = threading.Thread(target=pool.submit, args=(lambda: ran.append("second"),))
    second.start()
    second.join(0.3)
    assert second.is_alive()  # the only worker is busy and nothing may wait behind it
    release.set()
    second.join(10)
    assert not second.is_alive()
    pool.drain()
    assert ran == ["first", "second"]

    short = Background("test", 1, "failed", max_waiting=0, wait_s=0.05)
    blocker = threading.Event()
    short.submit(blocker.wait, 10)
    short.submit(ran.append, "queued after the wait")  # returns after 50 ms, and is not dropped
    blocker.set()
    short.drain()
    assert ran[-1] == "queued after the wait"
    pool.stop()
    short.stop()


def test_gathered_items_queued_behind_a_busy_worker_run_as_one_task_in_order() -> None:
    """The alarm thread: new tickets' alarms gathered while it is busy are written by one task,
    in the order they came, and before any task submitted after them."""
    import threading

    from services.deps import Background

    pool = Background("test", 1, "failed")
    release, calls = threading.Event(), []
    pool.submit(release.wait, 10)  # the worker is busy
    pool.gather(calls.append, [1, 2])
    pool.gather(calls.append, [3])
    pool.submit(calls.append, "later")
    pool.gather(calls.append, [4])  # the first gathering task has not started: it takes these too
    release.set()
    pool.drain()
    assert calls == [[1, 2, 3, 4], "later"]

    pool.gather(calls.append, [5])  # nothing waiting: a task of its own
    pool.drain()
    pool.gather(calls.append, [6])
    pool.drain()
    assert calls[2:] == [[5], [6]]
    pool.stop()


def test_a_lingering_gather_waits_for_more_to_join_even_with_the_worker_idle() -> None:
    from services.deps import Background

    pool = Background("test", 1, "failed")
    calls: list = []
    pool.gather(calls.append, [1], linger=0.5)
    pool.gather(calls.append, [2], linger=0.5)  # the first task is still lingering: it takes this too
    pool.drain()
    assert calls == [[1, 2]]
    pool.stop()


def test_fair_slots_go_to_the_longest_waiter_not_to_a_newcomer() -> None:
    """A released slot is handed to the caller that has waited longest; one that comes after the
    release finds none free (threading.Semaphore lets it take the slot: the /ticket ack's tail)."""
    import threading

    from services.deps import FairSlots

    slots = FairSlots(1)
    assert slots.acquire(timeout=1)
    got: list[str] = []
    waiting = threading.Thread(target=lambda: got.append("waiter" if slots.acquire(timeout=10) else "timed out"))
    waiting.start()
    deadline = threading.Event()
    while not slots._waiters and not deadline.wait(0.01):  # the waiter is queued
        pass
    slots.release()
    assert not slots.acquire(timeout=0)  # the newcomer does not barge in
    waiting.join(10)
    assert got == ["waiter"]
    slots.release()
    assert slots.acquire(timeout=0)  # free again once the waiter let go

    assert not slots.acquire(timeout=0.05)  # none free: times out, and leaves no waiter behind
    assert not slots._waiters
    slots.release()
    assert slots.acquire(timeout=0)
