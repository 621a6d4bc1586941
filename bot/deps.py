"""What handlers need, built once by the composition root (bot/app.py) and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.db import Database
from bot.identity import Directory
from bot.models import Customer
from bot.onboarding_service import TIMER_PREFIXES, customer_timers
from bot.outbox import Outbox
from bot.scheduler import Scheduler, Timer
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

    def set_timers(self, timers: list[Timer], cancel: tuple[str, ...] = ()) -> None:
        """After a commit: point the scheduler's alarms at what the database now asks for."""
        for job_id in cancel:
            self.scheduler.cancel(job_id)
        for timer in timers:
            self.scheduler.sync(timer.job_id, timer.when, timer.kind, **timer.params)

    def sync_customer_timers(self, customer: Customer) -> None:
        """Set the customer's nudge and check-in alarms, and clear the ones it no longer needs."""
        timers = customer_timers(customer)
        wanted = {t.job_id for t in timers}
        self.set_timers(
            timers,
            cancel=tuple(
                f"{p}{customer.channel_id}" for p in TIMER_PREFIXES if f"{p}{customer.channel_id}" not in wanted
            ),
        )
