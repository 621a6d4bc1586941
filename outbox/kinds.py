"""Every kind of outbox row, and the dedupe keys more than one module must agree on.

A row's `kind` says what its delivery posts (services/posts.py plans one per kind); its
`dedupe_key` makes owing the same post twice a no-op (`enqueue` adds no second row with the key).
Keys that another module reads back (a row waiting on the ticket card looks the card's row up by
key) are built here, so writer and reader cannot drift apart.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum


class PostKind(StrEnum):
    """What an outbox row delivers. A StrEnum: the stored value is the plain string."""

    # A ticket, in its customer channel
    TICKET_CARD = "ticket_card"  # the ticket's card; its thread is the conversation
    TICKET_ACK = "ticket_ack"  # "it is with the team", in the card's thread
    CARD_UPDATE = "card_update"  # the card re-rendered (chat.update)
    RATING_REQUEST = "rating_request"  # after resolving, in the card's thread
    PENDING_NOTE = "pending_note"  # waiting on the customer: a reminder or the close note (payload["note"])
    # A ticket, in triage
    TRIAGE_MIRROR = "triage_mirror"  # the ticket's triage card
    MIRROR_UPDATE = "mirror_update"  # the triage card re-rendered (chat.update)
    MIRROR_MOVED = "mirror_moved"  # a moved ticket's old triage card becomes a pointer (payload: channel, ts, to, by)
    TRIAGE_NOTE = "triage_note"  # SLA warning/breach, update owed, reopened... (payload["note"])
    POST_REFUSED = "post_refused"  # Slack refused a post for good: triage is told
    TRIAGE_SUMMARY = "triage_summary"  # a burst's tickets in one post (payload["batch"]), outbox/batching.py
    SUMMARY_UPDATE = "summary_update"  # that summary re-rendered (chat.update), at most every few seconds
    # Channels
    WELCOME = "welcome"  # the bot joined a customer channel
    CHANNEL_JOIN = "channel_join"  # read a channel the bot joined (conversations.info), then register it
    CHANNEL_QUESTION = "channel_question"  # "is this a customer channel?"
    CHANNEL_GONE = "channel_gone"  # triage: a customer channel was archived, left or deleted
    INTAKE = "intake"  # read a message someone put a 🎫 on, then file its ticket
    REACTION = "reaction"  # add or remove the bot's reaction on a customer's message (👀 heard, ✅ resolved)
    # Onboarding
    CHECKLIST_POST = "checklist_post"  # the onboarding checklist
    CHECKLIST_UPDATE = "checklist_update"  # the checklist re-rendered (chat.update)
    # Anything else
    MESSAGE = "message"  # a message to a channel or DM: given as text/blocks, or rendered late
    EPHEMERAL = "ephemeral"  # a note only one user sees (text, and blocks if any)
    # Tickets filed from a thread reply (🎫, shortcut, mention): read the thread, record its earlier messages
    BACKFILL = "backfill"
    # Automatic assignment (services/assignment.py): ask Slack who may get the ticket (the route's
    # group members, or whether its one person is active), then assign them in one transaction
    ASSIGN = "assign"
    # Outside Slack (a POST, outbox/http.py)
    WEBHOOK = "webhook"  # a ticket event, signed, to SUPPORT_WEBHOOK_URL (payload["body"]: the JSON sent)
    PAGE = "page"  # a PagerDuty Events API v2 trigger or resolve (payload["event_action"], ["routing_key"])


# Posts in a ticket's customer channel: when one fails for good, the triage card says so.
CUSTOMER_TICKET_POSTS = (
    PostKind.TICKET_CARD,
    PostKind.TICKET_ACK,
    PostKind.CARD_UPDATE,
    PostKind.RATING_REQUEST,
    PostKind.PENDING_NOTE,
)


def ticket_post_key(kind: PostKind, ticket_id: int) -> str:
    """The key of a post a ticket gets once (its card, acknowledgement, triage mirror):
    "ticket_card:12". Rows waiting on the card find it by this key."""
    return f"{kind}:{ticket_id}"


def pending_note_key(note: str, ticket_id: int, since: datetime) -> str:
    """The key of a waiting ticket's reminder or close note (`note`: "remind" or "close"): once per
    ticket and wait (`since`: when it started waiting on the customer)."""
    return f"{PostKind.PENDING_NOTE}:{ticket_id}:{note}:{since.timestamp():.6f}"


def repeat_key(kind: PostKind, about: int | str, now: datetime) -> str:
    """The key of a post owed afresh at each change (a card update, a rating request): the kind,
    what it is about (a ticket id or channel id) and `now` to the microsecond."""
    return f"{kind}:{about}:{now.timestamp():.6f}"


def triage_note_key(note: str, ticket_id: int, which: object) -> str:
    """The key of a triage note (`note` as in payload["note"]: "sla_warn", "sla_breach",
    "update_owed", "reopened"), once per ticket and `which` (the severity, a count, a ts)."""
    return f"{note}:{ticket_id}:{which}"


def reaction_key(channel_id: str, ts: str, name: str, op: str, now: datetime) -> str:
    """The key of one reaction change (`op`: "add" or "remove") on a message, owed at `now`."""
    return f"{PostKind.REACTION}:{channel_id}:{ts}:{name}:{op}:{now.timestamp():.6f}"


def checklist_post_prefix(channel_id: str) -> str:
    """What every checklist post's key in a channel starts with (a pending one is looked up by it)."""
    return f"checklist:{channel_id}:"


def checklist_post_key(channel_id: str, request_key: str) -> str:
    """The key of the checklist post a request (`request_key`: its event or action id) owes."""
    return checklist_post_prefix(channel_id) + request_key


def refused_mirror_update_key(ticket_id: int, refused_row_id: int) -> str:
    """The triage card's update that shows a refused customer-channel post (row `refused_row_id`)."""
    return f"{PostKind.MIRROR_UPDATE}:{ticket_id}:refused:{refused_row_id}"


def refusal_note_key(refused_row_id: int) -> str:
    """The key of the note telling triage Slack refused a post: once per refused row."""
    return f"{PostKind.POST_REFUSED}:{refused_row_id}"


def refused_webhook_note_key(answer: str, now: datetime) -> str:
    """Triage's note that the webhook receiver refused events with `answer` ("HTTP 400 from
    host"): once per answer and UTC day."""
    return f"{PostKind.POST_REFUSED}:webhook:{answer}:{now:%Y-%m-%d}"


def gone_channel_note_key(about: int | str | None, reason: str) -> str:
    """The key of the note telling triage a post's channel is gone (`reason`: Slack's error):
    once per ticket (or channel, `about`) and reason, however many posts it refuses."""
    return f"{PostKind.POST_REFUSED}:{about}:{reason}"


def triage_summary_prefix(batch_id: int) -> str:
    """What the keys of a triage summary's post and updates start with (a pending one is looked up by it)."""
    return f"{PostKind.TRIAGE_SUMMARY}:{batch_id}:"


def triage_summary_key(batch_id: int) -> str:
    """The key of a triage summary's post: once per summary."""
    return triage_summary_prefix(batch_id) + "post"


def summary_update_key(batch_id: int, bucket: int) -> str:
    """The key of a triage summary's update, once per summary and time bucket (`bucket`: the due
    time in units of batching.SUMMARY_UPDATE_EVERY): updates of one summary coalesce."""
    return triage_summary_prefix(batch_id) + f"update:{bucket}"


def assign_key(ticket_id: int, which: str = "new") -> str:
    """The key of a ticket's automatic assignment: once for the new ticket (`which` "new"), and
    once per move to another area (`which`: the move's time)."""
    return f"{PostKind.ASSIGN}:{ticket_id}:{which}"


def webhook_key(event_id: str) -> str:
    """The key of a ticket event's webhook: once per event (`event_id`: the id the receiver sees)."""
    return f"{PostKind.WEBHOOK}:{event_id}"


def page_key(action: str, ticket_id: int) -> str:
    """The key of a ticket's PagerDuty event (`action`: "trigger" or "resolve"): once each per ticket."""
    return f"{PostKind.PAGE}:{action}:{ticket_id}"
