"""Database engine and sessions. One session per request or job, opened at the edge."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import AbstractContextManager, contextmanager, nullcontext
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Engine, Table, create_engine, event, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.types import DateTime, TypeDecorator

READ_ONLY = "support_bot_read_only"
TEST_IDLE_AFTER = 5.0  # seconds a pooled PostgreSQL connection may sit unused before it is tested
_IDLE_SINCE = "support_bot_idle_since"
_INSERT_NEW: dict[tuple[str, type], Any] = {}


class UTCDateTime(TypeDecorator[datetime]):
    """Timezone-aware UTC datetimes on every backend (SQLite has no time zones)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: object) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: object) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Row:
    """A table row read with Core, as a plain object the domain code can change like a mapped one,
    written back by `save_row` as one UPDATE of the changed columns. For the hottest path (a reply
    in a ticket thread): an ORM load and unit-of-work flush cost several times the CPU."""

    def __init__(self, table: Table, values: Mapping[str, Any]) -> None:
        self.__dict__.update(values)
        self.__dict__["_table"], self.__dict__["_saved"] = table, dict(values)

    def changes(self) -> dict[str, Any]:
        return {name: self.__dict__[name] for name, value in self._saved.items() if self.__dict__[name] != value}


def save_row(session: Session, row: Row) -> None:
    """UPDATE the row's changed columns (nothing if none changed), by primary key."""
    changes = row.changes()
    if not changes:
        return
    key = next(iter(row._table.primary_key.columns))
    session.execute(update(row._table).where(key == row._saved[key.name]).values(changes))
    row._saved.update(changes)


def insert_new(session: Session, model: type, values: dict[str, Any]) -> bool:
    """Insert a row unless one with the same unique key exists (INSERT ... ON CONFLICT DO NOTHING),
    in one statement that is built once per model. True if the row is new."""
    return insert_new_key(session, model, values) is not None


def insert_new_key(session: Session, model: type, values: dict[str, Any]) -> Any | None:
    """`insert_new`, returning the new row's primary key, or None if the row was there already."""
    dialect = session.get_bind().dialect.name
    statement = _INSERT_NEW.get((dialect, model))
    if statement is None:
        insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
        table = model.__table__  # type: ignore[attr-defined]
        key = next(iter(table.primary_key.columns))
        # On the Table, not the mapped class: an ORM-enabled INSERT costs several times as much CPU.
        statement = insert(table).on_conflict_do_nothing().returning(key)
        _INSERT_NEW[(dialect, model)] = statement
    row = session.execute(statement, values).first()
    return None if row is None else row[0]


def is_sqlite(url_or_engine: str | Engine) -> bool:
    url = url_or_engine if isinstance(url_or_engine, str) else str(url_or_engine.url)
    return url.startswith("sqlite")


def make_engine(url: str) -> Engine:
    """An engine tuned for a threaded server: WAL and a busy timeout on SQLite."""
    if is_sqlite(url):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # type: ignore[no-untyped-def]
            dbapi_connection.isolation_level = None  # we issue BEGIN ourselves, below
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA synchronous=NORMAL")
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        @event.listens_for(engine, "begin")
        def _begin_immediate(conn):  # type: ignore[no-untyped-def]
            # Take the write lock up front: a transaction that reads and then writes can't be
            # refused half-way (SQLITE_BUSY_SNAPSHOT) when another thread wrote in between.
            # Read-only sessions (Database.session) don't need it, and don't wait for it.
            read_only = conn.get_execution_options().get(READ_ONLY, False)
            conn.exec_driver_sql("BEGIN" if read_only else "BEGIN IMMEDIATE")

        return engine
    # Up to 16 request threads, 4 outbox workers and the scheduler's threads may each hold one: keep
    # that many open (a connection opened under load costs PostgreSQL a new backend process).
    engine = create_engine(url, pool_size=24, max_overflow=8, pool_recycle=3600)

    # A connection that sat idle is tested before use (the server may have restarted meanwhile); one
    # in steady use is not, which spares a round trip per transaction under load (pool_pre_ping
    # would test every checkout). A connection that breaks in use invalidates the whole pool.
    @event.listens_for(engine, "checkin")
    def _idle_from(_dbapi_connection, record):  # type: ignore[no-untyped-def]
        record.info[_IDLE_SINCE] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _test_if_idle(dbapi_connection, record, _proxy):  # type: ignore[no-untyped-def]
        if time.monotonic() - record.info.get(_IDLE_SINCE, time.monotonic()) < TEST_IDLE_AFTER:
            return
        try:
            alive = engine.dialect.do_ping(dbapi_connection)
        except Exception as exc:  # noqa: BLE001 - any failure means "not usable"
            raise DisconnectionError("idle connection failed its test") from exc
        if not alive:
            raise DisconnectionError("idle connection failed its test")  # the pool opens a new one

    return engine


class Database:
    """The engine and its session factory, with a transaction-per-unit-of-work helper."""

    def __init__(self, engine: Engine, session_info: dict[str, Any] | None = None) -> None:
        """`session_info`: what every write transaction's `Session.info` starts with (flags the
        composition root sets for the use cases, e.g. whether ticket events owe webhooks)."""
        self.engine = engine
        self._sessions = sessionmaker(engine, expire_on_commit=False, info=session_info)
        self._readers = sessionmaker(engine.execution_options(**{READ_ONLY: True}), expire_on_commit=False)
        # SQLite has one writer at a time, and a writer that finds the lock taken sleeps and polls
        # (busy_timeout), which under load leaves some waiting for a second or more. Threads of this
        # process queue on a lock instead, and take SQLite's write lock only when it is free.
        self._writers: AbstractContextManager[object] = threading.RLock() if is_sqlite(engine) else nullcontext()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """A session whose work commits at the end of the block, or rolls back on error."""
        with self._writers, self._sessions() as session, session.begin():
            yield session

    def on_commit(
        self,
        committed: Callable[[Session], None],
        rolled_back: Callable[[Session], None],
        committing: Callable[[Session], None] | None = None,
    ) -> None:
        """Call `committed` after each write transaction commits, `rolled_back` after a rollback,
        and `committing` (if given) inside the transaction, just before it commits."""
        if committing is not None:
            event.listen(self._sessions, "before_commit", committing)
        event.listen(self._sessions, "after_commit", committed)
        event.listen(self._sessions, "after_rollback", rolled_back)

    def session(self) -> Session:
        """A session for reading (on SQLite it does not take the write lock): don't write with it."""
        return self._readers()

    def ping(self) -> bool:
        try:
            with self.engine.connect() as conn:
                conn.exec_driver_sql("SELECT 1")
            return True
        except Exception:  # noqa: BLE001 - any failure means "not reachable"
            return False
