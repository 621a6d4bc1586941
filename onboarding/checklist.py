"""The onboarding checklist: which of steps 5–9 are done, declined or still pending, and by whom.

A checklist is an immutable value. `mark_step` returns a new one and says whether anything changed,
so a double click or a retried request is harmless and keeps the original who and when.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from enum import StrEnum
from types import MappingProxyType
from urllib.parse import urlsplit

from onboarding.steps import STEP_NUMBERS, step_by_number

LINK_MAX = 2000
# Characters that would end or split a Slack `<url|label>` link, or that no clean URL contains.
_UNSAFE_IN_LINK = re.compile(r"[\s<>|\"'`]")


class StepState(StrEnum):
    PENDING = "pending"
    DONE = "done"
    DECLINED = "declined"


@dataclass(frozen=True)
class StepRecord:
    """Where one step stands: its state, who set it and when (None while pending), and its link if any."""

    state: StepState = StepState.PENDING
    by: str | None = None
    at: datetime | None = None
    link: str | None = None


class Checklist(Mapping[int, StepRecord]):
    """Step number → StepRecord for every step, read-only. Steps not given start pending."""

    __slots__ = ("_records",)

    def __init__(self, records: Mapping[int, StepRecord] | None = None) -> None:
        given = dict(records or {})
        unknown = sorted(set(given) - set(STEP_NUMBERS))
        if unknown:
            raise ValueError(f"no onboarding step(s) {unknown}; steps are {STEP_NUMBERS}")
        self._records: Mapping[int, StepRecord] = MappingProxyType(
            {number: given.get(number, StepRecord()) for number in STEP_NUMBERS}
        )

    def __getitem__(self, number: int) -> StepRecord:
        return self._records[number]

    def __iter__(self) -> Iterator[int]:
        return iter(self._records)

    def __len__(self) -> int:
        return len(self._records)

    def __repr__(self) -> str:
        return f"Checklist({dict(self._records)!r})"


def new_checklist() -> Checklist:
    """A checklist with every step pending."""
    return Checklist()


def clean_payment_link(text: str | None) -> str | None:
    """The link, trimmed, if it is a plain http(s) URL safe to put in a Slack link; otherwise None."""
    link = (text or "").strip()
    if not link or len(link) > LINK_MAX or _UNSAFE_IN_LINK.search(link):
        return None
    try:
        parts = urlsplit(link)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return None
    return link


def _checked_link(number: int, link: str) -> str:
    if not step_by_number(number).accepts_link:
        raise ValueError(f"step {number} does not take a link")
    cleaned = clean_payment_link(link)
    if cleaned is None:
        raise ValueError("only http(s) links can be attached")
    return cleaned


def mark_step(
    checklist: Checklist,
    number: int,
    state: StepState,
    by: str | None,
    at: datetime | None,
    link: str | None = None,
) -> tuple[Checklist, bool]:
    """Set a step's state; returns the new checklist and whether anything changed.

    Marking a step to the state it already has changes nothing and keeps who and when. Marking back
    to pending (undo) clears who and when. Only steps that can be declined may be declined. A given
    `link` replaces the step's link (steps that accept links only); None keeps the current one.
    Raises ValueError for an unknown step, a decline that is not allowed, or a bad link.
    """
    step = step_by_number(number)
    state = StepState(state)
    if state == StepState.DECLINED and not step.can_decline:
        raise ValueError(f"step {number} ({step.key}) cannot be declined")
    current = checklist[number]
    new_link = current.link if link is None else _checked_link(number, link)
    if state == current.state:
        if new_link == current.link:
            return checklist, False
        updated = replace(current, link=new_link)
    elif state == StepState.PENDING:
        updated = StepRecord(StepState.PENDING, None, None, new_link)
    else:
        updated = StepRecord(state, by, at, new_link)
    return Checklist({**checklist, number: updated}), True


def attach_link(checklist: Checklist, number: int, link: str) -> tuple[Checklist, bool]:
    """Attach (or replace) a step's link without touching its state; ValueError as in `mark_step`."""
    cleaned = _checked_link(number, link)
    current = checklist[number]
    if current.link == cleaned:
        return checklist, False
    return Checklist({**checklist, number: replace(current, link=cleaned)}), True


def progress(checklist: Checklist) -> tuple[int, int]:
    """(settled, total) steps. Declined counts as settled: an optional step the customer said no to
    needs nothing more from anyone, so it must not hold the checklist open forever."""
    settled = sum(1 for record in checklist.values() if record.state != StepState.PENDING)
    return settled, len(checklist)


def is_complete(checklist: Checklist) -> bool:
    """True when no step is pending any more."""
    settled, total = progress(checklist)
    return settled == total
