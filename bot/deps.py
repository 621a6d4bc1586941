"""What handlers need, built once by the composition root (bot/app.py) and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.db import Database
from bot.identity import Directory
from bot.models import Customer, Ticket
from bot.onboarding_service import TIMER_PREFIXES, customer_timers
from bot.outbox import Outbox
from bot.scheduler import Scheduler, Timer
from bot.services import TICKET_TIMER_PREFIXES, SlaPolicy, ticket_timers
from onboarding.reminders import ReminderPolicy


@dataclass(frozen=True)
class Deps:
    settings: Settings
    db: Database
    directory: Directory
    outbox: Outbox
    scheduler: Scheduler
    clock: Callable[[], datetime]

    @property
    def reminder_policy(self) -> ReminderPolicy:
        s = self.settings
        return ReminderPolicy(s.dashboard_nudge_after, s.dashboard_nudge_every, s.dashboard_nudge_max)

    @property
    def sla_policy(self) -> SlaPolicy:
        s = self.settings
        return SlaPolicy(s.sla_targets, s.business_hours, s.critical_update_every)

    def _sync(self, key: str, timers: list[Timer], prefixes: tuple[str, ...]) -> None:
        """After a commit: point the alarms for `key` at what its row now asks for; clear the rest."""
        wanted = {t.job_id for t in timers}
        for prefix in prefixes:
            if f"{prefix}{key}" not in wanted:
                self.scheduler.cancel(f"{prefix}{key}")
        for timer in timers:
            self.scheduler.sync(timer.job_id, timer.when, timer.kind, **timer.params)

    def sync_customer_timers(self, customer: Customer) -> None:
        self._sync(customer.channel_id, customer_timers(customer), TIMER_PREFIXES)

    def sync_ticket_timers(self, ticket: Ticket) -> None:
        self._sync(str(ticket.id), ticket_timers(ticket), TICKET_TIMER_PREFIXES)
