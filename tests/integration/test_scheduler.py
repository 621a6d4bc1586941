"""The scheduler wakes its loop for a new job only when the job falls due before the loop's next look."""

from __future__ import annotations

import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from scheduling.scheduler import Scheduler, Timer
from store.db import make_engine
from store.migrate import upgrade


@pytest.fixture
def scheduler(database_url: str) -> Iterator[tuple[Scheduler, list[float]]]:
    engine = make_engine(database_url)
    upgrade(engine)
    scheduler = Scheduler(engine)
    looks: list[float] = []
    aps = scheduler._aps
    process = aps._process_jobs

    def counted() -> float | None:  # APScheduler's loop calls self._process_jobs on every wake-up
        looks.append(time.monotonic())
        return process()

    aps._process_jobs = counted  # type: ignore[method-assign]
    scheduler.start()
    yield scheduler, looks
    scheduler.shutdown()
    engine.dispose()


def _settle(looks: list[float], seconds: float = 0.3) -> int:
    time.sleep(seconds)
    return len(looks)


def test_far_off_jobs_do_not_wake_the_loop_and_an_earlier_one_does(scheduler: tuple[Scheduler, list[float]]) -> None:
    sched, looks = scheduler
    now = datetime.now(UTC)
    sched.add([Timer("sla_warn:1", now + timedelta(hours=2), "sla_warn", {"ticket_id": 1})])
    before = _settle(looks)  # the first job woke the loop: it knew of no job before

    for n in range(2, 12):  # later than the loop's next look (in two hours)
        sched.add([Timer(f"sla_warn:{n}", now + timedelta(hours=3, minutes=n), "sla_warn", {"ticket_id": n})])
    assert _settle(looks) == before
    assert len(sched.jobs()) == 11  # all stored all the same

    sched.add(  # a batch whose second job is earlier than the next look: the loop must plan for it
        [
            Timer("sla_breach:99", now + timedelta(hours=4), "sla_breach", {"ticket_id": 99}),
            Timer("sla_warn:99", now + timedelta(minutes=30), "sla_warn", {"ticket_id": 99}),
        ]
    )
    assert _settle(looks) > before  # earlier than the next look: the loop must plan for it

    after = len(looks)
    sched.wakeup()  # an explicit wake-up (the leader's once-a-second look) always wakes it
    assert _settle(looks) > after


def test_jobs_added_before_the_scheduler_starts_are_kept(database_url: str) -> None:
    engine = make_engine(database_url)
    upgrade(engine)
    sched = Scheduler(engine)
    when = datetime.now(UTC) + timedelta(hours=1)
    sched.add([Timer("sla_breach:7", when, "sla_breach", {"ticket_id": 7})])  # no loop to wake yet
    sched.start(paused=True)
    try:
        assert [(j.job_id, j.next_run_time) for j in sched.jobs()] == [("sla_breach:7", when)]
    finally:
        sched.shutdown()
        engine.dispose()


def test_a_batch_is_one_transaction_and_replaces_jobs_that_exist_already(database_url: str) -> None:
    """A new ticket's alarms are written together; a batch that meets an existing id (a reconcile
    racing another replica) still stores every job, the existing one re-pointed."""
    from sqlalchemy import event

    engine = make_engine(database_url)
    upgrade(engine)
    sched = Scheduler(engine)
    sched.start(paused=True)
    commits: list[int] = []
    event.listen(engine, "commit", lambda _conn: commits.append(1))
    now = datetime.now(UTC).replace(microsecond=0)
    try:
        sched.add([Timer("sla_warn:1", now + timedelta(hours=1), "sla_warn", {"ticket_id": 1})])
        commits.clear()
        sched.add(
            [
                Timer("sla_warn:2", now + timedelta(hours=2), "sla_warn", {"ticket_id": 2}),
                Timer("sla_breach:2", now + timedelta(hours=3), "sla_breach", {"ticket_id": 2}),
            ]
        )
        assert len(commits) == 1
        sched.add(
            [
                Timer("sla_warn:1", now + timedelta(hours=5), "sla_warn", {"ticket_id": 1}),
                Timer("sla_breach:1", now + timedelta(hours=6), "sla_breach", {"ticket_id": 1}),
            ]
        )
        sched.add([Timer("sla_warn:2", now + timedelta(hours=7), "sla_warn", {"ticket_id": 2})])  # one, existing
        assert sorted((j.job_id, j.next_run_time) for j in sched.jobs()) == [
            ("sla_breach:1", now + timedelta(hours=6)),
            ("sla_breach:2", now + timedelta(hours=3)),
            ("sla_warn:1", now + timedelta(hours=5)),
            ("sla_warn:2", now + timedelta(hours=7)),
        ]
    finally:
        sched.shutdown()
        engine.dispose()
