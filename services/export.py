"""`support-bot export`: tickets as JSON or CSV on stdout."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from onboarding.steps import STEPS_BY_NUMBER
from scheduling.scheduler import ScheduledJob
from store.models import Customer, OnboardingStep, Ticket, TicketEvent

TICKET_FIELDS = (
    "number",
    "channel_id",
    "severity",
    "status",
    "title",
    "reporter_id",
    "reporter_is_staff",
    "assignee_id",
    "source",
    "created_at",
    "first_response_at",
    "resolved_at",
    "thread_ts",
    "reply_count",
    "waiting_since",
    "next_response_due_at",
    "sla_due_at",
    "sla_breached_at",
    "rating",
    "rating_comment",
)
"""The columns of a ticket: the CSV header, and the keys of each JSON ticket (which adds `events`)."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


EVENT_FIELDS = ("ticket_number", "at", "actor_id", "field", "from", "to", "reason")
"""The columns of a ticket event (`ticket-events`, and each of a JSON ticket's `events`)."""


def _event_row(event: TicketEvent) -> dict[str, Any]:
    return {
        "ticket_number": event.ticket_id,
        "at": _iso(event.at),
        "actor_id": event.actor_id,
        "field": event.field,
        "from": event.old_value,
        "to": event.new_value,
        "reason": event.reason,
    }


def ticket_event_rows(session: Session) -> Iterator[dict[str, Any]]:
    """The audit trail: every change of status, severity, assignee (and ratings), oldest first."""
    for event in session.scalars(select(TicketEvent).order_by(TicketEvent.ticket_id, TicketEvent.id)):
        yield _event_row(event)


def ticket_rows(session: Session, with_events: bool = False) -> Iterator[dict[str, Any]]:
    """Every ticket, by number: one dict with the TICKET_FIELDS keys (times ISO 8601 UTC, "…Z"),
    and with `with_events` its audit trail under `events` (EVENT_FIELDS dicts, oldest first)."""
    events: dict[int, list[dict[str, Any]]] = {}
    if with_events:
        for event in session.scalars(select(TicketEvent).order_by(TicketEvent.id)):
            events.setdefault(event.ticket_id, []).append(_event_row(event))
    for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
        row = {
            "number": ticket.id,
            "channel_id": ticket.channel_id,
            "severity": ticket.severity,
            "status": ticket.status,
            "title": ticket.title,
            "reporter_id": ticket.reporter_id,
            "reporter_is_staff": ticket.reporter_is_staff,
            "assignee_id": ticket.assignee_id,
            "source": ticket.source,
            "created_at": _iso(ticket.created_at),
            "first_response_at": _iso(ticket.first_response_at),
            "resolved_at": _iso(ticket.resolved_at),
            "thread_ts": ticket.thread_ts,
            "reply_count": ticket.reply_count,
            # The customer has been waiting on us since (null: not waiting), and the next-response
            # deadline while they wait again after a staff reply (null: no clock running).
            "waiting_since": _iso(ticket.waiting_since),
            "next_response_due_at": _iso(ticket.next_response_due_at),
            "sla_due_at": _iso(ticket.sla_due_at),
            "sla_breached_at": _iso(ticket.sla_breached_at),
            "rating": ticket.rating,
            "rating_comment": ticket.rating_comment,
        }
        if with_events:
            row["events"] = events.get(ticket.id, [])
        yield row


def csv_safe(value: Any) -> Any:
    """Neutralise spreadsheet formulas: a cell starting with = + - @ (or a tab/CR) gets a leading '."""
    if isinstance(value, str) and value[:1] in ("=", "+", "-", "@", "\t", "\r"):
        return "'" + value
    return value


def write_json(rows: Iterable[dict[str, Any]], out: TextIO) -> None:
    json.dump(list(rows), out, indent=2, ensure_ascii=False)
    out.write("\n")


def write_csv(rows: Iterable[dict[str, Any]], fields: tuple[str, ...], out: TextIO) -> None:
    writer = csv.DictWriter(out, fieldnames=list(fields), extrasaction="ignore", lineterminator="\n")
    writer.writeheader()
    for row in rows:
        writer.writerow({k: csv_safe(v) for k, v in row.items()})


def onboarding_rows(session: Session) -> Iterator[dict[str, Any]]:
    """Each customer's record with each step's state, who and when."""
    for customer in session.scalars(select(Customer).order_by(Customer.started_at, Customer.channel_id)):
        steps = session.scalars(
            select(OnboardingStep)
            .where(OnboardingStep.channel_id == customer.channel_id)
            .order_by(OnboardingStep.number)
        )
        yield {
            "channel_id": customer.channel_id,
            "company": customer.company,
            "monthly_events": customer.monthly_events,
            "maus": customer.maus,
            "cloud_provider": customer.cloud_provider,
            "plan": customer.plan,
            "monthly_spend": customer.monthly_spend,
            "cs_owner_id": customer.cs_owner_id,
            "started_by": customer.started_by,
            "started_at": _iso(customer.started_at),
            "nudges_sent": customer.nudges_sent,
            "next_nudge_at": _iso(customer.next_nudge_at),
            "steps": [
                {
                    "number": step.number,
                    "key": STEPS_BY_NUMBER[step.number].key,
                    "state": step.state,
                    "by": step.by_user,
                    "at": _iso(step.at),
                    "link": step.link,
                }
                for step in steps
            ],
        }


def flatten_onboarding(rows: Iterable[dict[str, Any]]) -> Iterator[dict[str, Any]]:
    """One CSV row per customer: the record, then step_<n>_state / _by / _at columns."""
    for row in rows:
        flat = {k: v for k, v in row.items() if k != "steps"}
        for step in row["steps"]:
            for field in ("state", "by", "at"):
                flat[f"step_{step['number']}_{field}"] = step[field]
        flat["step_7_link"] = next((s["link"] for s in row["steps"] if s["number"] == 7), None)
        yield flat


ONBOARDING_FIELDS = (
    "channel_id",
    "company",
    "monthly_events",
    "maus",
    "cloud_provider",
    "plan",
    "monthly_spend",
    "cs_owner_id",
    "started_by",
    "started_at",
    "nudges_sent",
    "next_nudge_at",
    *(f"step_{n}_{f}" for n in sorted(STEPS_BY_NUMBER) for f in ("state", "by", "at")),
    "step_7_link",
)
"""The CSV columns of an onboarding record: the JSON record's, with its nested `steps` flattened
(`flatten_onboarding`)."""


def reminder_rows(session: Session, jobs: Iterable[ScheduledJob]) -> list[dict[str, Any]]:
    """Scheduled reminders: id, customer, channel, kind, next run time."""
    companies = dict(session.execute(select(Customer.channel_id, Customer.company)).all())
    rows = []
    for job in sorted(jobs, key=lambda j: (j.next_run_time is None, j.next_run_time, j.job_id)):
        channel = job.params.get("channel_id")
        rows.append(
            {
                "id": job.job_id,
                "customer": companies.get(channel),
                "channel": channel,
                "kind": job.kind,
                "next_run_time": _iso(job.next_run_time),
            }
        )
    return rows
