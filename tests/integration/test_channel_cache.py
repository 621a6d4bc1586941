"""services.channel_cache.CustomerChannels: a remembered "yes" answers the /ticket hot path; a
fresh question (the File-a-ticket button) reads the database, and a "no" found there is not
remembered as a "yes" any more."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import update

from services.channel_cache import CustomerChannels
from store import migrate
from store.db import Database, make_engine
from store.models import CustomerChannel

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)


def test_a_fresh_question_reads_the_database_past_a_remembered_yes(database_url: str) -> None:
    engine = make_engine(database_url)
    migrate.upgrade(engine)
    db = Database(engine)
    with db.transaction() as session:
        session.add(CustomerChannel(channel_id="C0CACHE", name="c", is_ext_shared=True, active=True, joined_at=NOW))
    channels = CustomerChannels(db, remember_for=60.0, clock=lambda: 0.0)
    assert channels.is_customer_channel("C0CACHE")

    with db.transaction() as session:  # another replica saw the bot removed
        session.execute(update(CustomerChannel).values(active=False))

    assert channels.is_customer_channel("C0CACHE")  # remembered
    assert not channels.is_customer_channel("C0CACHE", fresh=True)
    assert not channels.is_customer_channel("C0CACHE")  # the "no" replaced what was remembered
    engine.dispose()
