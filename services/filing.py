"""Use cases that file a ticket: the ticket form submitted, and a ticket made from a message (🎫 on
it, the Create-ticket shortcut, @-mentioning the bot), with the private word a person gets when
their 🎫, shortcut or mention can't become a ticket.

Each write runs in one unit of work (services/unit_of_work.py): the event claim, the ticket and the
posts it owes commit together; a new ticket's alarms are set after the commit.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any

from slack_sdk.errors import SlackApiError
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from config.routing import ticket_route
from outbox import PostKind, enqueue
from services.assignment import owe_assignment
from services.channels import is_internal, staff_channels, why_not_here
from services.tickets import (
    NewTicket,
    customer_channel,
    customer_team,
    file_ticket,
    note_customer_team,
    ticket_by_source,
    ticket_by_thread,
    ticket_row_by_conversation,
)
from services.unit_of_work import unit_of_work
from slack_api.client import listener_client
from slack_api.identity import event_team
from slack_api.message_kinds import is_from_an_app, readable_text
from tickets.rules import description_from_message, title_from_message
from tickets.severity import Severity
from tickets.slack_text import is_blank, plain_text
from ui.blocks import MENTION_IN_TRIAGE, NOT_A_CUSTOMER_CHANNEL, TICKET_SAVE_FAILED, ModalContext
from ui.messages import (
    MENTION_HELP,
    MESSAGE_GONE,
    OWN_MESSAGE_NO_TICKET,
    already_a_ticket,
    already_a_ticket_short,
    card_of_ticket,
)

if TYPE_CHECKING:
    from services.deps import Deps

log = logging.getLogger(__name__)

TICKET_EMOJI = "ticket"  # 🎫 on a message files it
ASK_SOURCE = "ask"  # a ticket's `source` when filed with ask mode's "Open ticket" (services/intake_asks.py)
FROM_MESSAGE_FORMS = ("shortcut", ASK_SOURCE)  # forms opened from a message: the ticket is linked to it
RESOLVE_EMOJI = "white_check_mark"  # ✅ on a ticket's card resolves it (services/ticket_actions.py)


# -- the ticket form ------------------------------------------------------------------------------
def file_from_form(
    deps: Deps,
    *,
    user_id: str,
    team_hint: str | None,
    view_id: str,
    origin: ModalContext,
    severity: Severity,
    title: str,
    description: str,
    area: str | None = None,
) -> str | None:
    """The ticket form (view `view_id`, opened from `origin`) submitted by `user_id`, its fields
    already valid. Returns the form's error (for its title field), or None once the ticket is stored.
    `area`: the product area picked (a name in the routing file); one not in it is stored as none.

    Idempotent: keyed by the view, or, for a form opened from a message (the shortcut), by that
    message, so 🎫 and the shortcut on one message make one ticket. A reporter Slack can't name is
    filed anyway (never lost), as a customer."""
    who = deps.directory.identify(user_id, team_hint)
    is_staff, team_id = who.is_staff, who.team_id or team_hint
    from_message = origin.source in FROM_MESSAGE_FORMS and origin.message_ts
    route = ticket_route(deps.settings, area)
    new = NewTicket(
        channel_id=origin.channel_id,
        reporter_id=user_id,
        reporter_is_staff=is_staff,
        severity=severity,
        title=title,
        description=description,
        source=origin.source,
        submission_key=f"msg:{origin.channel_id}:{origin.message_ts}" if from_message else f"view:{view_id}",
        reporter_team_id=team_id,
        source_ts=origin.message_ts if from_message else None,
        source_thread_ts=origin.thread_ts if from_message else None,
        area=route.area,
    )
    try:
        with unit_of_work(deps) as uow:
            known, customer_team_id = customer_team(uow.session, origin.channel_id)
            if not known:
                return NOT_A_CUSTOMER_CHANNEL
            filed = file_ticket(uow.session, new, uow.now, deps.sla_policy)
            if not is_staff and team_id and customer_team_id is None:
                note_customer_team(uow.session, origin.channel_id, team_id)
            if filed.created:
                owe_assignment(uow.session, filed.number, route, uow.now)  # after the answer (the outbox)
            if from_message and filed.created:
                _owe_backfill(
                    uow.session, filed.number, origin.channel_id, origin.thread_ts, origin.message_ts, uow.now
                )
            uow.then(lambda: deps.set_new_ticket_timers(filed))
    except SQLAlchemyError:
        log.exception("could not store a ticket for channel %s", origin.channel_id)
        return TICKET_SAVE_FAILED
    return None


# -- a ticket from a message ---------------------------------------------------------------------
def file_from_message(
    deps: Deps,
    *,
    channel_id: str,
    message: Mapping[str, Any],
    source: str,
    event_id: str,
    text: str,
    reporter: str | None = None,
) -> None:
    """A ticket from `message` (a Slack message object in `channel_id`): titled from the first line
    of `text` (Slack's wire format; the ticket keeps what the person wrote), Medium until changed.
    `reporter`: who asked for it, when the author is an app or a workflow. Applied once per
    `event_id` ("" for none) and once per message; nothing outside a live customer channel."""
    body_text = plain_text(text)
    # The author's team as the event states it (not for a reactor filing an app's message).
    team_hint = event_team(message) if not reporter or reporter == message.get("user") else None
    reporter = reporter or message.get("user") or ""
    who = deps.directory.identify(reporter, team_hint)  # unknown: filed anyway, never lost
    new = NewTicket(
        channel_id=channel_id,
        reporter_id=reporter,
        reporter_is_staff=who.is_staff,
        severity=Severity.MEDIUM,
        title=title_from_message(body_text),
        description=description_from_message(body_text),
        source=source,
        submission_key=f"msg:{channel_id}:{message['ts']}",
        reporter_team_id=who.team_id or team_hint,
        source_ts=message["ts"],
        source_thread_ts=message.get("thread_ts") or message["ts"],  # replies in that thread count
    )
    with unit_of_work(deps) as uow:
        if not uow.claim(event_id) or customer_channel(uow.session, channel_id) is None:
            return
        filed = file_ticket(uow.session, new, uow.now, deps.sla_policy)
        if filed.created:
            _owe_backfill(uow.session, filed.number, channel_id, message.get("thread_ts"), message["ts"], uow.now)
        uow.then(lambda: deps.set_new_ticket_timers(filed))


def _owe_backfill(
    session: Session, number: int, channel_id: str, thread_ts: str | None, ts: str | None, now: datetime
) -> None:
    """A ticket filed from message `ts`, a reply in thread `thread_ts`: the outbox reads the thread
    and records its earlier messages (services/backfill.py). Nothing for a top-level message."""
    if not thread_ts or not ts or thread_ts == ts:
        return
    payload = {"ticket": number, "channel": channel_id, "thread_ts": thread_ts, "ts": ts}
    key = f"{PostKind.BACKFILL}:{number}"
    enqueue(session, kind=PostKind.BACKFILL, dedupe_key=key, now=now, payload=payload, ticket_id=number)


def tell_once(deps: Deps, event_id: str, *, dedupe_key: str, channel_id: str, user_id: str, text: str) -> None:
    """Owe `user_id` one private message in `channel_id` (an outbox row keyed by `dedupe_key`),
    applied with `event_id`: a retried event owes nothing more."""
    with unit_of_work(deps) as uow:
        if uow.claim(event_id):
            payload = {"channel": channel_id, "user": user_id, "text": text}
            enqueue(uow.session, kind=PostKind.EPHEMERAL, dedupe_key=dedupe_key, now=uow.now, payload=payload)


def tell_reactor(
    deps: Deps, event_id: str, *, channel_id: str, ts: str, user_id: str, reaction: str, text: str
) -> None:
    """Tell the person who put `reaction` on message `ts`, privately, why it made no change; once
    per person, message and reaction, and never twice for one event (Slack's retries)."""
    if not user_id or not channel_id:
        return
    key = f"reaction_refused:{channel_id}:{ts}:{user_id}:{reaction}"
    tell_once(deps, event_id, dedupe_key=key, channel_id=channel_id, user_id=user_id, text=text)


def _is_our_own(deps: Deps, message: Mapping[str, Any]) -> bool:
    host = deps.directory.host()
    return message.get("user") == host.bot_user_id or bool(host.bot_id and message.get("bot_id") == host.bot_id)


def ticket_reaction(deps: Deps, *, channel_id: str, ts: str, reactor: str, event_id: str) -> None:
    """🎫 on message `ts` in `channel_id` by `reactor`. In a customer channel, on a message that is
    not a ticket yet: the outbox owes an "intake" row that reads the message (no Slack call while
    Slack waits for our answer) and then files it (`complete_intake`). Otherwise the reactor is
    told why not, privately (in an internal channel the bot stays quiet)."""
    with deps.db.session() as session:
        here = customer_channel(session, channel_id) is not None
        refusal: str | None = None
        if not here:  # triage, a channel still pending, or unknown: say why (internal: stay quiet)
            refusal = None if is_internal(deps, channel_id) else why_not_here(deps, channel_id)
        elif existing := ticket_by_source(session, channel_id, ts):
            refusal = already_a_ticket(existing.id)
        elif existing := ticket_by_thread(session, channel_id, ts):  # a 🎫 on a ticket card
            refusal = card_of_ticket(existing.id)
    if refusal:
        tell_reactor(deps, event_id, channel_id=channel_id, ts=ts, user_id=reactor, reaction=TICKET_EMOJI, text=refusal)
    if not here or refusal:
        return
    with unit_of_work(deps) as uow:
        if uow.claim(event_id):
            payload = {"channel": channel_id, "ts": ts, "user": reactor}
            key = f"intake:{channel_id}:{ts}"
            enqueue(uow.session, kind=PostKind.INTAKE, dedupe_key=key, now=uow.now, payload=payload)


def _fetch_message(deps: Deps, channel_id: str, ts: str, history: Mapping[str, Any]) -> dict[str, Any] | None:
    """The message a 🎫 was put on: in conversations.history's answer (the outbox read it), or a
    thread reply, read with conversations.replies. A Slack error here retries the outbox row."""
    messages = [m for m in history.get("messages") or [] if m.get("ts") == ts]
    if not messages:
        client = listener_client(deps.settings.slack_api_base_url, deps.settings.slack_bot_token, None)
        try:
            found = client.conversations_replies(channel=channel_id, ts=ts, limit=1)
        except SlackApiError as error:
            if error.response.get("error") in ("thread_not_found", "message_not_found"):
                return None  # deleted before we read it: the person is told
            raise  # 429, 5xx, a lost channel: the outbox's retry policy decides
        messages = [m for m in found.get("messages") or [] if m.get("ts") == ts]
    return messages[0] if messages else None


def complete_intake(deps: Deps, payload: Mapping[str, Any], history: Mapping[str, Any]) -> None:
    """The outbox's follow-up for an "intake" row (written by `ticket_reaction`): Slack answered
    conversations.history (`history`) for the message in `payload` ({channel, ts, user: who
    reacted}); file the ticket (at most once: keyed by the message). A 🎫 that can't become a ticket
    is explained privately to the person who reacted. Raises SlackApiError to retry the row."""
    channel_id, ts, reactor = payload["channel"], payload["ts"], payload.get("user", "")
    message = _fetch_message(deps, channel_id, ts, history)
    if message is None or _is_our_own(deps, message):
        text = MESSAGE_GONE if message is None else OWN_MESSAGE_NO_TICKET
        # No event id: the outbox row itself is applied once.
        tell_reactor(deps, "", channel_id=channel_id, ts=ts, user_id=reactor, reaction=TICKET_EMOJI, text=text)
        return
    # An alert bot, another app, a workflow: whoever asked reports it. A person's message with no
    # text (a file share) is titled from its files, as documented.
    file_from_message(
        deps,
        channel_id=channel_id,
        message=message,
        source="reaction",
        event_id="",
        text=readable_text(message),
        reporter=reactor if is_from_an_app(message) else None,
    )


def shortcut_refusal(deps: Deps, *, channel_id: str, message: Mapping[str, Any]) -> str | None:
    """Why the Create-ticket shortcut on `message` (in `channel_id`) opens no form, or None if it
    may: only in a customer channel, on a message that is not a ticket or a ticket's card yet, and
    not one of the bot's own."""
    ts = message.get("ts", "")
    with deps.db.session() as session:
        if customer_channel(session, channel_id) is None:
            return why_not_here(deps, channel_id)
        existing = ticket_by_source(session, channel_id, ts)
        if existing is not None:
            return already_a_ticket_short(existing.id)
        card_of = ticket_by_thread(session, channel_id, ts)  # as a 🎫 on a card is refused
        if card_of is not None:
            return card_of_ticket(card_of.id)
    return OWN_MESSAGE_NO_TICKET if _is_our_own(deps, message) else None


def file_from_mention(deps: Deps, *, event: Mapping[str, Any], event_id: str) -> None:
    """The bot @-mentioned (`event`: the app_mention event). In a customer channel, the words after
    the mention become a ticket (no words: a private hint how to ask); inside a ticket's
    conversation it is a reply, already recorded. Elsewhere the person gets a private hint; an app
    or workflow mentioning the bot files nothing (no person asked)."""
    channel_id, ts = event.get("channel", ""), event.get("ts", "")
    bot_mention = re.compile(rf"<@{re.escape(deps.directory.host().bot_user_id)}(\|[^>]*)?>")
    text = bot_mention.sub("", event.get("text") or "").strip()
    if is_blank(plain_text(text)):
        text = ""
    if is_from_an_app(event) or not event.get("user"):
        return
    if channel_id in staff_channels(deps):
        _hint_privately(deps, event, event_id, MENTION_IN_TRIAGE)
        return
    with deps.db.session() as session:
        here = customer_channel(session, channel_id) is not None
    if not here:  # pending (staff have not chosen yet) or internal: say why nothing was filed
        _hint_privately(deps, event, event_id, why_not_here(deps, channel_id))
        return
    with unit_of_work(deps) as uow:
        if customer_channel(uow.session, channel_id) is None:
            return
        if event.get("thread_ts") and ticket_row_by_conversation(uow.session, channel_id, event["thread_ts"]):
            return  # a mention inside a ticket's conversation is a reply, already recorded
        if not text:
            if uow.claim(event_id):
                payload = {"channel": channel_id, "user": event.get("user", ""), "text": MENTION_HELP}
                key = f"mention_help:{channel_id}:{ts}"
                enqueue(uow.session, kind=PostKind.EPHEMERAL, dedupe_key=key, now=uow.now, payload=payload)
            return
    file_from_message(deps, channel_id=channel_id, message=event, source="mention", event_id=event_id, text=text)


def _hint_privately(deps: Deps, event: Mapping[str, Any], event_id: str, hint: str) -> None:
    """A mention outside customer channels files nothing: the person gets a private hint. In
    triage ("can someone look at ticket 1?") it is staff talking, so not inside a thread."""
    in_thread = event.get("thread_ts") and event.get("channel") in staff_channels(deps)
    if in_thread or not event.get("user"):
        return  # a conversation in a triage thread: stay out of it
    key = f"mention_help:{event.get('channel')}:{event.get('ts')}"
    tell_once(deps, event_id, dedupe_key=key, channel_id=event.get("channel"), user_id=event["user"], text=hint)
