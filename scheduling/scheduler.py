"""APScheduler 3 with its jobs in the database (SQLAlchemyJobStore on DATABASE_URL).

The database rows (e.g. customers.next_nudge_at) are the truth; a job is the alarm clock for
one of them. `sync` sets or clears the alarm for a row, `reconcile` re-creates alarms that are
missing (APScheduler removes a one-off job when it *starts* it, so a crash mid-run would
otherwise lose it), and every job function re-checks the row before acting, so a job that fires
twice changes nothing the second time.
"""

from __future__ import annotations

import contextlib
import itertools
import logging
import pickle
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.job import Job
from apscheduler.jobstores.base import ConflictingIdError, JobLookupError
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.background import BackgroundScheduler
from apscheduler.schedulers.base import STATE_RUNNING
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.util import datetime_to_utc_timestamp
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from scheduling.jobs import run_job

log = logging.getLogger(__name__)

JOB_TABLE = "apscheduler_jobs"
RECONCILE_BATCH = 500  # jobs written per transaction when reconcile re-creates many


@dataclass(frozen=True)
class Timer:
    """An alarm a database row asks for."""

    job_id: str
    when: datetime
    kind: str
    params: dict[str, Any]


@dataclass(frozen=True)
class ScheduledJob:
    job_id: str
    kind: str
    params: dict[str, Any]
    next_run_time: datetime | None


class _JobStore(SQLAlchemyJobStore):
    """APScheduler's SQLAlchemy job store, except that inside `batch()` the jobs a thread adds are
    written together when the block ends: one INSERT in one transaction (a new ticket's two alarms,
    or a reconcile's hundreds), rather than a transaction each. Every batched add must replace an
    existing job of the same id (`replace_existing=True`), as ours all do."""

    def __init__(self, **options: Any) -> None:
        super().__init__(**options)
        self._batch = threading.local()

    def _row(self, job: Job) -> dict[str, Any]:
        return {
            "id": job.id,
            "next_run_time": datetime_to_utc_timestamp(job.next_run_time),
            "job_state": pickle.dumps(job.__getstate__(), self.pickle_protocol),
        }

    def add_job(self, job: Job) -> None:
        pending = getattr(self._batch, "jobs", None)
        if pending is None:
            super().add_job(job)
        else:
            pending.append(job)

    @contextlib.contextmanager
    def batch(self) -> Iterator[None]:
        self._batch.jobs = []
        try:
            yield
            jobs = self._batch.jobs
        finally:
            self._batch.jobs = None
        if not jobs:
            return
        try:
            with self.engine.begin() as connection:
                connection.execute(self.jobs_t.insert(), [self._row(job) for job in jobs])
        except IntegrityError:  # it exists already (a job re-pointed), or some do (a racing reconcile)
            if len(jobs) == 1:
                self.update_job(jobs[0])
                return
            for job in jobs:
                try:
                    self.add_job(job)
                except ConflictingIdError:
                    self.update_job(job)


class _QuietScheduler(BackgroundScheduler):
    """A BackgroundScheduler whose new jobs wake its loop only when they fall due before its next look.

    APScheduler wakes its loop for every job added, and each wake-up queries the job store twice.
    A burst of new tickets adds two SLA alarms each, minutes or hours away, so nearly all of those
    queries are wasted: a job that falls due after the loop's next look needs no wake-up, since the
    next look reads the store anyway. A job added while a look is under way may have been missed by
    it, so the look checks those when it ends. (The leader also wakes the loop once a second.)
    """

    def __init__(self, **options: Any) -> None:
        self._look_lock = threading.Lock()
        self._looking = False
        self._next_look = float("inf")  # epoch seconds of the loop's next look; inf: none planned
        self._added_during_look = float("inf")  # earliest due time of jobs added during this look
        self._quiet = threading.local()
        super().__init__(**options)

    def _process_jobs(self) -> float | None:
        with self._look_lock:
            self._looking, self._added_during_look = True, float("inf")
        wait: float | None = None
        try:
            wait = super()._process_jobs()
        finally:
            with self._look_lock:
                self._looking = False
                # None: paused or no jobs, so no look is planned and a new job must wake the loop.
                self._next_look = float("inf") if wait is None else time.time() + wait
                missed = self._added_during_look < self._next_look
        if missed:
            BackgroundScheduler.wakeup(self)
        return wait

    def wakeup(self) -> None:
        if not getattr(self._quiet, "on", False):
            super().wakeup()

    def add_jobs_waking_if_sooner(self, store: _JobStore, jobs: list[tuple[datetime, dict[str, Any]]]) -> None:
        """`add_job` for each `(when, add_job's arguments)`, written to `store` in one batch,
        then a wake-up of the loop only if one falls due before the loop's next look."""
        if not jobs:
            return
        self._quiet.on = True
        try:
            with store.batch():
                for _when, kwargs in jobs:
                    self.add_job(**kwargs)
        finally:
            self._quiet.on = False
        due = min(when for when, _kwargs in jobs).timestamp()
        with self._look_lock:
            if self._looking:  # the look may have read the store before this job was in it
                self._added_during_look = min(self._added_during_look, due)
                return
            sooner = due < self._next_look
        if sooner and self.state == STATE_RUNNING:  # as APScheduler's own add_job does
            BackgroundScheduler.wakeup(self)


class Scheduler:
    def __init__(self, engine: Engine, threads: int = 4) -> None:
        self._engine = engine
        self._store = _JobStore(engine=engine, tablename=JOB_TABLE)
        self._aps = _QuietScheduler(
            jobstores={"default": self._store},
            executors={"default": ThreadPoolExecutor(threads)},
            # A job that fell due while we were down runs once, however late (misfire_grace_time
            # None); coalesce folds missed runs of a repeating job into one.
            job_defaults={"coalesce": True, "misfire_grace_time": None, "max_instances": 1},
            timezone=UTC,
        )

    @property
    def running(self) -> bool:
        return bool(self._aps.running)

    def start(self, *, paused: bool = False) -> None:
        """Start the clock. A paused scheduler still writes jobs to the store but runs none."""
        self._aps.start(paused=paused)

    def resume(self) -> None:
        self._aps.resume()

    def pause(self) -> None:
        self._aps.pause()

    def wakeup(self) -> None:
        """Look at the job store again now (another process may have added an earlier job)."""
        self._aps.wakeup()

    def shutdown(self) -> None:
        if self._aps.running:
            self._aps.shutdown(wait=True)

    def sync(self, job_id: str, when: datetime | None, kind: str = "", **params: Any) -> None:
        """Make the job `job_id` fire at `when` with `params`, or remove it if `when` is None."""
        if when is None:
            self.cancel(job_id)
            return
        existing = self._aps.get_job(job_id)
        if existing is not None and existing.next_run_time == when and existing.kwargs == params:
            return  # already set: don't rewrite the row
        self._add(job_id, when, kind, params)

    def add(self, timers: Iterable[Timer]) -> None:
        """The jobs for timers whose rows have none yet (a new ticket): no look-up first, and all
        written in one transaction."""
        self._aps.add_jobs_waking_if_sooner(
            self._store, [(timer.when, _job(timer.job_id, timer.when, timer.kind, timer.params)) for timer in timers]
        )

    def _add(self, job_id: str, when: datetime, kind: str, params: dict[str, Any]) -> None:
        self._aps.add_jobs_waking_if_sooner(self._store, [(when, _job(job_id, when, kind, params))])

    def cron(self, job_id: str, crontab: str, kind: str) -> None:
        """A repeating job on a crontab line (UTC); re-adding it replaces the old schedule."""
        self._aps.add_job(
            run_job,
            trigger=CronTrigger.from_crontab(crontab, timezone=UTC),
            args=[kind],
            id=job_id,
            name=kind,
            replace_existing=True,
        )

    def cancel(self, job_id: str) -> None:
        with contextlib.suppress(JobLookupError):
            self._aps.remove_job(job_id)

    def reconcile(self, timers: Iterable[Timer]) -> int:
        """Add every timer whose job is missing from the store; returns how many were added."""
        with self._engine.connect() as conn:
            existing = {row[0] for row in conn.execute(text(f"SELECT id FROM {JOB_TABLE}"))}  # noqa: S608
        missing = (timer for timer in timers if timer.job_id not in existing)
        added = 0
        while chunk := list(itertools.islice(missing, RECONCILE_BATCH)):
            self.add(chunk)
            added += len(chunk)
        if added:
            log.info("re-created %d scheduled jobs from the database", added)
        return added

    def jobs(self) -> list[ScheduledJob]:
        return [
            ScheduledJob(job.id, job.args[0] if job.args else job.name, dict(job.kwargs), job.next_run_time)
            for job in self._aps.get_jobs()
        ]


def _job(job_id: str, when: datetime, kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """`add_job`'s arguments for a one-off alarm."""
    return {
        "func": run_job,
        "trigger": DateTrigger(run_date=when, timezone=UTC),
        "args": [kind],
        "kwargs": params,
        "id": job_id,
        "name": kind,
        "replace_existing": True,
    }


def stored_jobs(engine: Engine) -> list[ScheduledJob]:
    """Every job in the store, read without starting a scheduler (for the CLI)."""
    store = SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)
    return [
        ScheduledJob(job.id, job.args[0] if job.args else job.name, dict(job.kwargs), job.next_run_time)
        for job in store.get_all_jobs()
    ]
