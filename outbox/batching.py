"""A burst must not bury triage: when triage cards pile up, one summary post lists them instead.

Slack takes about one new message per channel per second (`pacing.Pacer`), so 200 tickets filed in
a minute would reach triage one card a second, over 210 s. The rule, decided for each triage
mirror row as it is planned (`place`, pure; services/posts.py applies it in the row's claim):

- **Burst.** When at least `BURST_THRESHOLD` triage mirrors wait to go out to this triage
  channel (pending rows whose ticket has its customer thread, this one included; each product
  area's channel counts its own), or the latest summary took an item less
  than `STAY_OPEN` ago, the ticket goes into a summary rather than getting its own card: the
  latest summary while it holds fewer than `SUMMARY_MAX_ITEMS` and is still taking items, else a
  new one. Normal load (a ticket every few seconds) never gets there: one card per ticket, with
  its buttons, as before. A Critical ticket always gets its own card (it pings the channel), and
  so does a ticket whose card failed (its mirror carries the warning).
- **One summary post, updated in place.** A summary (`store.models.TriageBatch`, table
  triage_batches) is posted once (`PostKind.TRIAGE_SUMMARY`, paced like any triage post) and
  re-rendered with chat.update (`PostKind.SUMMARY_UPDATE`), never more than once per
  `SUMMARY_UPDATE_EVERY` per summary and never more than one pending render row per summary
  (Slack rate limits chat.update at tier 3, ~50 a minute). Each item links to the customer thread
  (the ticket card, or the customer's own message for a conversation) with its number, title,
  severity (or "no severity yet"), status, and a "Take it" button while nobody has it.
- **Nothing lost, nothing twice.** Only the leader's workers deliver and rows are leased. A
  summary is opened with INSERT ... ON CONFLICT DO NOTHING on (channel, seq): two workers or
  replicas opening "the next one" at once get the same summary; only the one whose insert
  won owes its post (dedupe key per summary). Every change to show (an item joins, an item's
  ticket changes) first bumps the summary's `version` with an UPDATE that locks its row; every
  render reads `version` before the items, and when Slack has taken it, records `shown_version`
  under the same lock and owes another render if `version` moved on meanwhile. So the latest
  render always shows every item, whichever replica or worker races with it.
- **A ticket in a summary, later.** `tickets.triage_batch_id` names its summary and
  `tickets.triage_ts` is the summary's ts once it is out (so whatever looks for "the ticket's
  message in triage" finds the summary). Its mirror updates (taken, resolved, severity set, a
  refused customer post...) re-render the summary (coalesced as above) instead of updating a card
  of its own. Its triage notes (SLA warning, update owed, reopened) and refusal notes go in the
  summary's thread; the SLA breach stays top level, as for every ticket. A ticket never leaves its
  summary for a card of its own.

This module is the pure part: the thresholds and the decision, with time passed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

BURST_THRESHOLD = 5  # triage mirrors waiting at once (~5 s of pacing) means a burst
STAY_OPEN = timedelta(seconds=10)  # a summary that took an item this recently keeps taking them
SUMMARY_MAX_ITEMS = 40  # one section per item, plus a header and a footer: well inside 50 blocks
SUMMARY_UPDATE_EVERY = timedelta(seconds=1.5)  # at most one chat.update per summary this often


@dataclass(frozen=True, slots=True)
class LatestSummary:
    """The channel's latest summary, as far as the decision needs it."""

    id: int
    seq: int
    items: int
    last_joined_at: datetime


@dataclass(frozen=True, slots=True)
class Placement:
    """Where a triage mirror goes: into summary `batch_id` (an existing one), or into a new
    summary number `seq` (batch_id None)."""

    batch_id: int | None
    seq: int


def place(waiting: int, latest: LatestSummary | None, now: datetime) -> Placement | None:
    """Where the next triage mirror goes: None for its own card (no burst), else a summary.

    `waiting`: triage mirrors waiting to go out now, this one included; `latest`: the channel's
    latest summary, if any."""
    taking = latest is not None and now - latest.last_joined_at <= STAY_OPEN
    if waiting < BURST_THRESHOLD and not taking:
        return None
    if latest is not None and taking and latest.items < SUMMARY_MAX_ITEMS:
        return Placement(latest.id, latest.seq)
    return Placement(None, latest.seq + 1 if latest is not None else 1)


def update_bucket(due: datetime) -> int:
    """The time bucket of a summary update due at `due` (its dedupe key's last part)."""
    return int(due.timestamp() // SUMMARY_UPDATE_EVERY.total_seconds())
