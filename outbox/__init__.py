"""The transactional outbox: every Slack post the bot owes is a row first, then a delivery.

A row is written in the same transaction as the change that owes it (a ticket, a nudge...), so
nothing owed is lost when Slack is down or the process dies; worker threads deliver due rows.

  kinds.py         PostKind (every kind of row) and the dedupe keys several modules share
  rows.py          enqueue and its forms (fresh, repeat, triage note) in the caller's transaction; Core statements
  post.py          the planner's contract: OutboxRow in, Post out (or Defer / Abandon)
  pacing.py        Pacer: about one new message per channel per second
  batching.py      a burst of triage cards becomes one summary post: the rule (pure) and its design
  slack_errors.py  what a Slack error means: wait, retry, send less, or give up
  http.py          a POST elsewhere (webhooks, PagerDuty) and what its answer means
  delivery.py      one attempt at one row (claim, plan, pace, send, record)
  workers.py       Outbox: the worker threads, one per partition, started while this process leads
"""

from outbox.delivery import METADATA_EVENT_TYPE, REFUSAL_NOTE
from outbox.kinds import (
    CUSTOMER_TICKET_POSTS,
    PostKind,
    assign_key,
    checklist_post_key,
    checklist_post_prefix,
    gone_channel_note_key,
    page_key,
    pending_note_key,
    refusal_note_key,
    refused_mirror_update_key,
    repeat_key,
    summary_update_key,
    ticket_post_key,
    triage_note_key,
    triage_summary_key,
    triage_summary_prefix,
    webhook_key,
)
from outbox.pacing import POST_INTERVAL_PER_CHANNEL, Pacer
from outbox.post import Abandon, Defer, OutboxRow, Planner, Post, Settled
from outbox.rows import enqueue, enqueue_fresh, enqueue_repeat, enqueue_triage_note, reaction_post, utcnow
from outbox.slack_errors import CHANNEL_GONE, REFUSED_AS_INVALID
from outbox.workers import Outbox

__all__ = [
    "CHANNEL_GONE",
    "CUSTOMER_TICKET_POSTS",
    "METADATA_EVENT_TYPE",
    "POST_INTERVAL_PER_CHANNEL",
    "REFUSAL_NOTE",
    "REFUSED_AS_INVALID",
    "Abandon",
    "Defer",
    "Outbox",
    "OutboxRow",
    "Pacer",
    "Planner",
    "Post",
    "PostKind",
    "Settled",
    "assign_key",
    "checklist_post_key",
    "checklist_post_prefix",
    "enqueue",
    "enqueue_fresh",
    "enqueue_repeat",
    "enqueue_triage_note",
    "gone_channel_note_key",
    "page_key",
    "pending_note_key",
    "reaction_post",
    "refusal_note_key",
    "refused_mirror_update_key",
    "repeat_key",
    "summary_update_key",
    "ticket_post_key",
    "triage_note_key",
    "triage_summary_key",
    "triage_summary_prefix",
    "utcnow",
    "webhook_key",
]
