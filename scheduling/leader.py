"""Who runs the scheduler: exactly one process per database.

On PostgreSQL the replicas compete for a session-level advisory lock, each on a connection of its
own; the holder is the leader and runs the scheduler, the others keep theirs paused (so they can
still write jobs to the shared job store). If the leader dies its connection closes, PostgreSQL
drops the lock, and another replica takes it at its next try — within SUPPORT_LEADER_TIMEOUT.
A leader that loses its connection steps down at once.

SQLite is for one process: a lock file beside the database refuses a second one.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import IO

from sqlalchemy import Connection, Engine, text

log = logging.getLogger(__name__)

LEADER_LOCK_KEY = 727_002


class AnotherProcessRunning(Exception):
    """A second process tried to use a SQLite database that is already served."""


class SqliteProcessLock:
    """An exclusive lock file beside the SQLite database, held while the process runs."""

    def __init__(self, database_path: str) -> None:
        self._path = Path(database_path + ".lock")
        self._file: IO[str] | None = None

    def acquire(self) -> None:
        handle = open(self._path, "a+")  # noqa: SIM115 - held open for the life of the process
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise AnotherProcessRunning(str(self._path)) from None
        handle.seek(0)
        handle.truncate()
        handle.write(str(os.getpid()))
        handle.flush()
        self._file = handle

    def release(self) -> None:
        if self._file is not None:
            fcntl.flock(self._file, fcntl.LOCK_UN)
            self._file.close()
            self._file = None


class Leadership:
    """Runs `on_elected` when this process becomes the leader and `on_deposed` when it stops being one;
    `while_leader` is called about once a second while it leads."""

    def __init__(
        self,
        engine: Engine,
        *,
        on_elected: Callable[[], None],
        on_deposed: Callable[[], None],
        while_leader: Callable[[], None],
        timeout: float = 30.0,
    ) -> None:
        self._engine = engine
        self._on_elected = on_elected
        self._on_deposed = on_deposed
        self._while_leader = while_leader
        self._retry = max(0.5, timeout / 3)  # three tries per timeout: a dead leader is replaced in time
        self._postgres = engine.dialect.name == "postgresql"
        self._connection: Connection | None = None
        self._leader = False
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    @property
    def is_leader(self) -> bool:
        return self._leader

    def start(self) -> None:
        if not self._postgres or self._try_lock():
            self._become_leader()
        self._thread = threading.Thread(target=self._run, name="leadership", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(10)
        if self._leader:
            self._step_down()

    def _become_leader(self) -> None:
        self._leader = True
        log.info("this process is the scheduler leader")
        try:
            self._on_elected()
        except Exception:
            log.exception("starting as leader failed; stepping down")
            self._step_down()

    def _step_down(self) -> None:
        self._leader = False
        try:
            self._on_deposed()
        finally:
            if self._connection is not None:
                try:
                    self._connection.close()
                except Exception:  # noqa: BLE001 - the connection may be dead already
                    log.debug("closing the leader connection failed", exc_info=True)
                self._connection = None

    def _try_lock(self) -> bool:
        try:
            if self._connection is None:
                self._connection = self._engine.connect()
            got = self._connection.execute(text("SELECT pg_try_advisory_lock(:k)"), {"k": LEADER_LOCK_KEY}).scalar()
            self._connection.commit()
            return bool(got)
        except Exception as exc:  # noqa: BLE001 - database down: try again later
            log.warning("leader election could not reach the database: %s", type(exc).__name__)
            self._connection = None
            return False

    def _still_holding(self) -> bool:
        try:
            assert self._connection is not None
            self._connection.execute(text("SELECT 1"))
            self._connection.commit()
            return True
        except Exception as exc:  # noqa: BLE001 - the lock went with the connection
            log.warning("lost the leader connection (%s); stepping down", type(exc).__name__)
            return False

    def _run(self) -> None:
        since_try = self._retry
        while not self._stop.wait(1.0):
            if self._postgres and self._leader and not self._still_holding():
                self._step_down()
            if self._leader:
                try:
                    self._while_leader()
                except Exception:
                    log.exception("leader housekeeping failed")
                continue
            since_try += 1.0
            if self._postgres and since_try >= self._retry:
                since_try = 0.0
                if self._try_lock():
                    self._become_leader()
