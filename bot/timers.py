"""What each scheduled job does when it fires: one transaction, then the alarms are re-pointed."""

from __future__ import annotations

import logging
from typing import Any

from bot.deps import Deps
from bot.onboarding_service import (
    NUDGE_JOB,
    SCALING_JOB,
    all_timers,
    send_dashboard_nudge,
    send_scaling_checkin,
)

log = logging.getLogger(__name__)


class JobDispatcher:
    def __init__(self, deps: Deps) -> None:
        self._deps = deps

    def __call__(self, kind: str, params: dict[str, Any]) -> None:
        deps = self._deps
        channel_id, number = params.get("channel_id", ""), int(params.get("number", 0))
        now = deps.clock()
        with deps.db.transaction() as session:
            if kind == NUDGE_JOB:
                customer = send_dashboard_nudge(
                    session, channel_id=channel_id, number=number, policy=deps.reminder_policy, now=now
                )
            elif kind == SCALING_JOB:
                customer = send_scaling_checkin(session, channel_id=channel_id, number=number, now=now)
            else:
                log.error("unknown job kind %r", kind)
                return
        if customer is not None:
            deps.sync_customer_timers(customer)
        deps.outbox.wake()

    def reconcile(self) -> int:
        """Re-create any alarm the database asks for but the job store lacks."""
        with self._deps.db.session() as session:
            timers = all_timers(session)
        return self._deps.scheduler.reconcile(timers)
