"""Fixtures: a database per test (SQLite file, or TEST_DATABASE_URL reset), a Slack stub, the bot."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.harness import BotUnderTest, reset_database, running_bot
from tests.slack_stub import CUSTOMER_TEAM, HOST_TEAM, SlackStub

POSTGRES_URL = os.environ.get("TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")

STAFF = "U0STAFF"
STAFF_2 = "U0STAFF2"
CUSTOMER = "U0CUST"
CUSTOMER_CHANNEL = "C0ACME"


def postgres_available(url: str = POSTGRES_URL) -> str | None:
    """None if PostgreSQL answers at `url`, else why not."""
    from sqlalchemy import create_engine

    try:
        engine = create_engine(url, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.exec_driver_sql("SELECT 1")
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - any failure means "skip with the reason"
        return f"PostgreSQL not reachable at {url}: {type(exc).__name__}"


@pytest.fixture(scope="session")
def postgres_test_url(worker_id: str) -> str | None:
    """TEST_DATABASE_URL, or under pytest-xdist a database of this worker's own beside it."""
    url = os.environ.get("TEST_DATABASE_URL")
    if not url or worker_id == "master":
        return url
    from sqlalchemy import create_engine, text

    base, name = url.rsplit("/", 1)
    mine = f"{name}_{worker_id}"
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{mine}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{mine}"'))
    admin.dispose()
    return f"{base}/{mine}"


@pytest.fixture
def database_url(tmp_path: Path, postgres_test_url: str | None) -> str:
    if postgres_test_url:
        reset_database(postgres_test_url)
        return postgres_test_url
    return f"sqlite:///{tmp_path / 'support-store.db'}"


@pytest.fixture
def slack() -> Iterator[SlackStub]:
    stub = SlackStub().start()
    stub.add_user(STAFF, HOST_TEAM)
    stub.add_user(STAFF_2, HOST_TEAM)
    stub.add_user(CUSTOMER, CUSTOMER_TEAM)
    yield stub
    stub.stop()


@pytest.fixture
def bot(slack: SlackStub, database_url: str) -> Iterator[BotUnderTest]:
    with running_bot(slack, database_url) as running:
        yield running


@pytest.fixture
def channel(bot: BotUnderTest) -> str:
    """A customer channel the bot has joined (its welcome posted)."""
    bot.join_channel(CUSTOMER_CHANNEL)
    bot.slack.wait_for(lambda: bot.slack.posts(CUSTOMER_CHANNEL))
    return CUSTOMER_CHANNEL
