"""`support-bot export`: tickets as JSON or CSV on stdout."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import Any, TextIO

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.models import Ticket

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
)


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def ticket_rows(session: Session) -> Iterator[dict[str, Any]]:
    for ticket in session.scalars(select(Ticket).order_by(Ticket.id)):
        yield {
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
        }


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
