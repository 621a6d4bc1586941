"""The one place a use case opens its transaction, claims its Slack event and, after the commit,
re-points the alarms of what it changed.

Every write use case in `services/` runs inside `unit_of_work(deps)`:

    with unit_of_work(deps) as uow:
        if not uow.claim(event_id):      # another replica (or a Slack retry) already applied it
            return None
        ticket = ...                     # reads and writes on uow.session
        uow.resync_ticket(ticket.id)     # its SLA alarms follow the row, after the commit
    # committed here: alarms re-pointed off the request thread (Deps.timer_sync)

An exception inside the block rolls the transaction back and re-points nothing. The event claim
is in the same transaction as the change, so "recorded" and "applied" are one fact on every replica.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from services.tickets import claim_event

if TYPE_CHECKING:
    from services.deps import Deps


class UnitOfWork:
    """An open write transaction (`session`), its clock reading (`now`, UTC) and what to do after it commits."""

    def __init__(self, session: Session, now: datetime) -> None:
        self.session = session
        self.now = now
        self.tickets: list[int] = []
        self.customers: list[str] = []
        self.after_commit: list[Callable[[], None]] = []

    def claim(self, event_id: str | None) -> bool:
        """Record a Slack event id in this transaction; False if it was already applied (no id: True)."""
        return claim_event(self.session, event_id or "", self.now)

    def resync_ticket(self, ticket_id: int) -> None:
        """After the commit, point ticket `ticket_id`'s SLA alarms at what its row now asks for."""
        if ticket_id not in self.tickets:
            self.tickets.append(ticket_id)

    def resync_customer(self, channel_id: str) -> None:
        """After the commit, point the onboarding alarms of the customer in `channel_id` at its row."""
        if channel_id not in self.customers:
            self.customers.append(channel_id)

    def then(self, fn: Callable[[], None]) -> None:
        """Run `fn` after the commit (not after a rollback), in the caller's thread."""
        self.after_commit.append(fn)


@contextmanager
def unit_of_work(deps: Deps) -> Iterator[UnitOfWork]:
    """Open a write transaction for one use case; commit at the end of the block, then re-point alarms."""
    with deps.db.transaction() as session:
        uow = UnitOfWork(session, deps.clock())
        yield uow
    if uow.tickets:
        deps.sync_timers_of(uow.tickets)
    for channel_id in uow.customers:
        deps.sync_customer_timers_of(channel_id)
    for fn in uow.after_commit:
        fn()
