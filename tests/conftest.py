"""Fixtures for every tier: a database per test (SQLite file, or TEST_DATABASE_URL reset), a Slack
stub, the bot. Helpers are in tests/support.py, Slack itself in fakeslack/."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, HOST_TEAM, STAFF, STAFF_2, SlackStub
from tests.support import BotUnderTest, reset_database, running_bot


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
