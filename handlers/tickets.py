"""Staff actions on ticket cards, the customer's rating, and the other ways to file a ticket
(🎫 reaction, ✅ to resolve, the "Create ticket" message shortcut, @-mentioning the bot)."""

from __future__ import annotations

import logging
import re
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from handlers.channels import is_internal, staff_channels, why_not_here
from handlers.message_kinds import is_from_an_app, readable_text
from handlers.modal import open_modal, open_ticket_modal
from handlers.staff import WHO_ARE_YOU_UNKNOWN, not_staff
from outbox import enqueue
from services.deps import Deps
from services.tickets import (
    NewTicket,
    claim_event,
    customer_channel,
    file_ticket,
    lock_ticket,
    record_rating,
    ticket_action,
    ticket_by_source,
    ticket_by_thread,
    ticket_info,
    ticket_row_by_conversation,
)
from slack_api.client import listener_client
from slack_api.identity import Identity, event_team, payload_team
from store.models import Ticket
from tickets.rules import description_from_message, title_from_message, validate_ticket_fields
from tickets.severity import Severity, parse_severity
from tickets.slack_text import is_blank, plain_text
from ui import ids
from ui.blocks import (
    MENTION_IN_TRIAGE,
    ModalContext,
    build_rating_comment_modal,
    build_severity_modal,
)

log = logging.getLogger(__name__)

ACTIONS = (
    ids.TICKET_TAKE,
    ids.TICKET_WAITING,
    ids.TICKET_RESOLVE,
    ids.TICKET_REASSIGN,
    ids.TICKET_MORE,
    ids.RATE_HELPFUL,
    ids.RATE_NOT_HELPFUL,
)
VIEWS = (ids.SEVERITY_MODAL, ids.RATING_COMMENT_MODAL)
SHORTCUTS = (ids.CREATE_TICKET_SHORTCUT,)
EVENTS = ("reaction_added", "app_mention")

BUTTON_ACTIONS = {
    ids.TICKET_TAKE: "take",
    ids.TICKET_WAITING: "waiting",
    ids.TICKET_RESOLVE: "resolve",
    ids.TICKET_REASSIGN: "reassign",
}
STAFF_ONLY = "Only the support team can change a ticket. Reply in the ticket's thread and they will pick it up."
NOT_THIS_CHANNEL = "That ticket does not belong to this channel, so nothing was changed."
RATINGS_ARE_FOR_CUSTOMERS = "Ratings are for the customer: thanks for closing the loop!"
OWN_MESSAGE_NO_TICKET = (
    "That is one of my own messages, so it can't become a ticket. "
    "To report a problem, use /ticket or the “File a ticket” button, or 🎫 the message that describes it."
)
MESSAGE_GONE = "I couldn't find that message (was it deleted?), so no ticket was filed."
TICKET_EMOJI = "ticket"
RESOLVE_EMOJI = "white_check_mark"


def _ticket_number(action: dict[str, Any]) -> int | None:
    raw = action.get("value") or ""
    if action.get("type") == "overflow":
        raw = ((action.get("selected_option") or {}).get("value") or "").partition(":")[2]
    if not raw and str(action.get("block_id", "")).startswith(ids.TICKET_ACTIONS_BLOCK):
        raw = str(action["block_id"])[len(ids.TICKET_ACTIONS_BLOCK) :]
    try:
        return int(raw)
    except ValueError:
        return None


def register(app: App, deps: Deps) -> None:
    def ticket_here(session: Any, number: int | None, channel_id: str) -> Ticket | None:
        """The ticket, if this channel may act on it: its own customer channel, or triage."""
        ticket = lock_ticket(session, number) if number is not None else None
        if ticket is None or channel_id not in (ticket.channel_id, deps.settings.triage_channel):
            return None
        return ticket

    # -- staff actions --------------------------------------------------------------------------
    def staff_action(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        """Runs before the HTTP answer, so the change is stored when Slack hears "ok"."""
        ack()
        user_id, channel_id = body["user"]["id"], (body.get("channel") or {}).get("id", "")
        refusal = not_staff(deps, body["user"]["id"], STAFF_ONLY, payload_team(body))
        if refusal:
            context["tell_user"] = refusal
            return
        try:
            with deps.db.transaction() as session:
                ticket = ticket_here(session, _ticket_number(action), channel_id)
                if ticket is None:
                    context["tell_user"] = NOT_THIS_CHANNEL
                    return
                changes = ticket_action(
                    session,
                    ticket,
                    BUTTON_ACTIONS[action["action_id"]],
                    actor=user_id,
                    now=deps.clock(),
                    sla=deps.sla_policy,
                    assignee=action.get("selected_user"),
                )
        except ValueError as exc:
            context["tell_user"] = f"That did not change the ticket: {exc}."
            return
        if changes:
            deps.sync_ticket_timers(ticket)

    def who_clicked(body: dict[str, Any]) -> Identity:
        """Who clicked, using the payload's `user.team_id` first (another org: a customer for sure)."""
        return deps.directory.identify(body["user"]["id"], payload_team(body))

    def tell_user(context: BoltContext, respond: Respond) -> None:
        if context.get("tell_user"):
            respond(text=context["tell_user"], response_type="ephemeral", replace_original=False)

    def more_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        channel_id = (body.get("channel") or {}).get("id", "")
        refusal = not_staff(deps, body["user"]["id"], STAFF_ONLY, payload_team(body))
        if refusal:
            context["tell_user"] = refusal
            return
        with deps.db.session() as session:
            ticket = ticket_here(session, _ticket_number(action), channel_id)
            context["severity_modal"] = build_severity_modal(ticket_info(ticket), channel_id) if ticket else None
        if ticket is None:
            context["tell_user"] = NOT_THIS_CHANNEL

    def open_severity_modal(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
        if context.get("severity_modal"):
            open_modal(
                client,
                body["trigger_id"],
                context["severity_modal"],
                lambda text: respond(text=text, response_type="ephemeral", replace_original=False),
            )
        else:
            tell_user(context, respond)

    def submit_severity(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        severity = parse_severity(
            ((values.get(ids.SEVERITY_BLOCK) or {}).get(ids.SEVERITY_BLOCK) or {})
            .get("selected_option", {})
            .get("value")
        )
        reason = ((values.get(ids.SEVERITY_REASON_BLOCK) or {}).get(ids.SEVERITY_REASON_BLOCK) or {}).get("value")
        origin = ModalContext.decode(view.get("private_metadata"))
        user_id = body["user"]["id"]
        refusal = STAFF_ONLY
        if origin is not None and origin.message_ts:
            refusal = not_staff(deps, body["user"]["id"], STAFF_ONLY, payload_team(body))
        if refusal:
            ack(response_action="errors", errors={ids.SEVERITY_REASON_BLOCK: refusal})
            return
        if severity is None:
            ack(response_action="errors", errors={ids.SEVERITY_BLOCK: "Please pick a severity."})
            return
        try:
            with deps.db.transaction() as session:
                ticket = ticket_here(session, int(origin.message_ts), origin.channel_id)
                if ticket is None:
                    ack(response_action="errors", errors={ids.SEVERITY_REASON_BLOCK: NOT_THIS_CHANNEL})
                    return
                changes = ticket_action(
                    session,
                    ticket,
                    "severity",
                    actor=user_id,
                    now=deps.clock(),
                    sla=deps.sla_policy,
                    severity=severity,
                    reason=reason or "",
                )
        except ValueError as exc:
            ack(response_action="errors", errors={ids.SEVERITY_REASON_BLOCK: f"{exc}".capitalize() + "."})
            return
        ack()
        if changes:
            deps.sync_ticket_timers(ticket)

    # -- the customer's rating ---------------------------------------------------------------------
    def rate(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        user_id, channel_id = body["user"]["id"], (body.get("channel") or {}).get("id", "")
        who = who_clicked(body)
        if not who.known or who.is_staff:
            context["tell_user"] = RATINGS_ARE_FOR_CUSTOMERS if who.is_staff else WHO_ARE_YOU_UNKNOWN
            return
        rating = "helpful" if action["action_id"] == ids.RATE_HELPFUL else "not_helpful"
        with deps.db.transaction() as session:
            ticket = ticket_here(session, _ticket_number(action), channel_id)
            if ticket is None or ticket.channel_id != channel_id:
                context["tell_user"] = NOT_THIS_CHANNEL
                return
            record_rating(session, ticket, rating=rating, user_id=user_id, now=deps.clock())
            context["comment_modal"] = build_rating_comment_modal(ticket.id, channel_id, rating)

    def ask_for_comment(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
        if context.get("comment_modal"):
            open_modal(client, body["trigger_id"], context["comment_modal"], lambda text: None)
        else:
            tell_user(context, respond)

    def submit_comment(ack: Ack, body: dict[str, Any], view: dict[str, Any]) -> None:
        values = (view.get("state") or {}).get("values") or {}
        comment = ((values.get(ids.RATING_COMMENT_BLOCK) or {}).get(ids.RATING_COMMENT_BLOCK) or {}).get("value")
        origin = ModalContext.decode(view.get("private_metadata"))
        ack()
        if origin is None or not origin.message_ts or not comment:
            return
        with deps.db.transaction() as session:
            ticket = ticket_here(session, int(origin.message_ts), origin.channel_id)
            if ticket is not None and ticket.rated_by == body["user"]["id"]:
                record_rating(
                    session, ticket, rating=origin.source, user_id=body["user"]["id"], now=deps.clock(), comment=comment
                )

    # -- more ways in -----------------------------------------------------------------------------
    def file_from_message(
        *,
        channel_id: str,
        message: dict[str, Any],
        source: str,
        event_id: str,
        text: str | None = None,
        reporter: str | None = None,
    ) -> None:
        """A ticket from an existing message: title from its first line, Medium until changed.

        `text` (default: the message's) is Slack's wire format; the ticket keeps what the person wrote.
        `reporter`: who asked for it, when the message's author is an app or a workflow."""
        body_text = plain_text(text if text is not None else message.get("text") or "")
        # The author's team as the event states it (not for a reactor filing an app's message).
        team_hint = event_team(message) if not reporter or reporter == message.get("user") else None
        reporter = reporter or message.get("user") or ""
        who = deps.directory.identify(reporter, team_hint)  # unknown: filed anyway, never lost
        is_staff, team_id = who.is_staff, who.team_id or team_hint
        title = title_from_message(body_text)
        new = NewTicket(
            channel_id=channel_id,
            reporter_id=reporter,
            reporter_is_staff=is_staff,
            severity=Severity.MEDIUM,
            title=title,
            description=description_from_message(body_text),
            source=source,
            submission_key=f"msg:{channel_id}:{message['ts']}",
            reporter_team_id=team_id,
            source_ts=message["ts"],
            source_thread_ts=message.get("thread_ts") or message["ts"],  # replies in that thread count
        )
        with deps.db.transaction() as session:
            if not claim_event(session, event_id, deps.clock()) or customer_channel(session, channel_id) is None:
                return
            filed = file_ticket(session, new, deps.clock(), deps.sla_policy)
        deps.set_new_ticket_timers(filed)

    def fetch_message(channel_id: str, ts: str, history: dict[str, Any]) -> dict[str, Any] | None:
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

    def complete_intake(payload: dict[str, Any], history: dict[str, Any]) -> None:
        """The outbox read the channel for a 🎫: file the ticket (at most once: keyed by the message).
        A 🎫 that can't become a ticket is explained privately to the person who reacted."""
        channel_id, ts, reactor = payload["channel"], payload["ts"], payload.get("user", "")
        quiet = {"event": {"reaction": TICKET_EMOJI}}  # no event id: the row itself is applied once
        message = fetch_message(channel_id, ts, history)
        host = deps.directory.host()
        if message is None:
            tell_reactor(quiet, channel_id, ts, reactor, MESSAGE_GONE)
            return
        if message.get("user") == host.bot_user_id or (host.bot_id and message.get("bot_id") == host.bot_id):
            tell_reactor(quiet, channel_id, ts, reactor, OWN_MESSAGE_NO_TICKET)
            return
        if is_from_an_app(message):  # an alert bot, another app, a workflow: whoever asked reports it
            file_from_message(
                channel_id=channel_id,
                message=message,
                source="reaction",
                event_id="",
                text=readable_text(message),
                reporter=reactor,
            )
            return
        # A person's message with no text (a file share) is titled from its files, as documented.
        file_from_message(
            channel_id=channel_id, message=message, source="reaction", event_id="", text=readable_text(message)
        )

    deps.followups["intake"] = complete_intake

    def reaction_added(event: dict[str, Any], body: dict[str, Any]) -> None:
        item = event.get("item") or {}
        channel_id, ts, reaction = item.get("channel", ""), item.get("ts", ""), event.get("reaction")
        if item.get("type") != "message" or reaction not in (TICKET_EMOJI, RESOLVE_EMOJI):
            return
        if reaction == RESOLVE_EMOJI:
            resolve_by_reaction(event, body, channel_id, ts)
            return
        reactor = event.get("user", "")
        with deps.db.session() as session:
            here = customer_channel(session, channel_id) is not None
            refusal: str | None = None
            if not here:  # triage, a channel still pending, or unknown: say why (internal: stay quiet)
                refusal = None if is_internal(deps, channel_id) else why_not_here(deps, channel_id)
            elif existing := ticket_by_source(session, channel_id, ts):
                refusal = f"That message is already ticket #{existing.id}: follow it in the ticket's thread."
            elif existing := ticket_by_thread(session, channel_id, ts):  # a 🎫 on a ticket card
                refusal = f"That is the card of ticket #{existing.id}: reply in its thread to add to it."
        if refusal:
            tell_reactor(body, channel_id, ts, reactor, refusal)
        if not here or refusal:
            return
        # No Slack call while Slack waits for our answer: the outbox reads the message (with its
        # retry policy for 429s, 5xx and timeouts) and then files the ticket (`complete_intake`).
        payload = {"channel": channel_id, "ts": ts, "user": event.get("user", "")}
        owe_once(body, kind="intake", dedupe_key=f"intake:{channel_id}:{ts}", payload=payload)

    def owe_once(body: dict[str, Any], **row: Any) -> None:
        """Apply an event by owing one outbox row, with its event id (a retried event owes nothing)."""
        with deps.db.transaction() as session:
            if claim_event(session, body.get("event_id", ""), deps.clock()):
                enqueue(session, now=deps.clock(), **row)

    def tell_reactor(body: dict[str, Any], channel_id: str, ts: str, user_id: str, text: str) -> None:
        """Tell the person who reacted, privately, why their 🎫 (or ✅) made no change; once per
        person and message, and never twice for one event (Slack's retries)."""
        if not user_id or not channel_id:
            return
        reaction = body.get("event", {}).get("reaction")
        owe_once(
            body,
            kind="ephemeral",
            dedupe_key=f"reaction_refused:{channel_id}:{ts}:{user_id}:{reaction}",
            payload={"channel": channel_id, "user": user_id, "text": text},
        )

    def resolve_by_reaction(event: dict[str, Any], body: dict[str, Any], channel_id: str, ts: str) -> None:
        user_id = event.get("user", "")
        with deps.db.session() as session:
            if ticket_by_thread(session, channel_id, ts) is None:
                return
        who = deps.directory.identify(user_id, event.get("user_team"))
        if not who.known:
            tell_reactor(body, channel_id, ts, user_id, WHO_ARE_YOU_UNKNOWN)
            return
        if not who.is_staff:
            tell_reactor(body, channel_id, ts, user_id, STAFF_ONLY)
            return
        with deps.db.transaction() as session:
            ticket = ticket_by_thread(session, channel_id, ts)
            if ticket is None:
                return
            if not claim_event(session, body.get("event_id", ""), deps.clock()):
                return
            changes = ticket_action(session, ticket, "resolve", actor=user_id, now=deps.clock(), sla=deps.sla_policy)
        if changes:
            deps.sync_ticket_timers(ticket)

    def app_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        channel_id, ts = event.get("channel", ""), event.get("ts", "")
        bot_mention = re.compile(rf"<@{re.escape(deps.directory.host().bot_user_id)}(\|[^>]*)?>")
        text = bot_mention.sub("", event.get("text") or "").strip()
        if is_blank(plain_text(text)):
            text = ""
        if is_from_an_app(event) or not event.get("user"):
            return  # an alerting app or a workflow mentioning us: no person asked, no reporter to file for
        if channel_id in staff_channels(deps):
            hint_privately(event, body, MENTION_IN_TRIAGE)
            return
        with deps.db.session() as session:
            here = customer_channel(session, channel_id) is not None
        if not here:  # pending (staff have not chosen yet) or internal: say why nothing was filed
            hint_privately(event, body, why_not_here(deps, channel_id))
            return
        with deps.db.transaction() as session:
            if customer_channel(session, channel_id) is None:
                return
            if event.get("thread_ts") and ticket_row_by_conversation(session, channel_id, event["thread_ts"]):
                return  # a mention inside a ticket's conversation is a reply, already recorded
            if not text:
                if claim_event(session, body.get("event_id", ""), deps.clock()):
                    enqueue(
                        session,
                        kind="ephemeral",
                        dedupe_key=f"mention_help:{channel_id}:{ts}",
                        now=deps.clock(),
                        payload={
                            "channel": channel_id,
                            "user": event.get("user", ""),
                            "text": "Tell me what is wrong after the mention, "
                            "e.g. “@support dashboards won't load”, and I "
                            "will file a ticket.",
                        },
                    )
                return
        file_from_message(channel_id=channel_id, message=event, source="mention", event_id=body["event_id"], text=text)

    def hint_privately(event: dict[str, Any], body: dict[str, Any], hint: str) -> None:
        """A mention outside customer channels files nothing: the person gets a private hint. In
        triage ("can someone look at ticket 1?") it is staff talking, so not inside a thread."""
        in_thread = event.get("thread_ts") and event.get("channel") in staff_channels(deps)
        if in_thread or not event.get("user"):
            return  # a conversation in a triage thread: stay out of it
        payload = {"channel": event.get("channel"), "user": event["user"], "text": hint}
        owe_once(
            body, kind="ephemeral", dedupe_key=f"mention_help:{event.get('channel')}:{event.get('ts')}", payload=payload
        )

    def ack_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        message = body.get("message") or {}
        channel_id, ts = (body.get("channel") or {}).get("id", ""), message.get("ts", "")
        with deps.db.session() as session:
            if customer_channel(session, channel_id) is None:
                context["tell_user"] = why_not_here(deps, channel_id)
                return
            existing = ticket_by_source(session, channel_id, ts)
            if existing is not None:
                context["tell_user"] = f"That message is already ticket #{existing.id}."
                return
            card_of = ticket_by_thread(session, channel_id, ts)  # as a 🎫 on a card is refused
            if card_of is not None:
                context["tell_user"] = f"That is the card of ticket #{card_of.id}: reply in its thread to add to it."
                return
        host = deps.directory.host()
        if message.get("user") == host.bot_user_id or (host.bot_id and message.get("bot_id") == host.bot_id):
            context["tell_user"] = OWN_MESSAGE_NO_TICKET
            return
        context["open_ticket_form"] = True

    def create_ticket_shortcut(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
        if not context.get("open_ticket_form"):
            tell_user(context, respond)
            return
        message = body.get("message") or {}
        text = plain_text(readable_text(message))  # an alert bot's attachments, a file's name, as for 🎫
        title, description = title_from_message(text), description_from_message(text)
        problems = validate_ticket_fields(title, description)
        open_ticket_modal(
            client,
            body["trigger_id"],
            ModalContext(body["channel"]["id"], "shortcut", message.get("ts"), message.get("thread_ts")),
            title if not problems.get("title") else "",
            lambda t: respond(text=t, response_type="ephemeral", replace_original=False),
            description=description,
            severity=Severity.MEDIUM,
        )

    for action_id in BUTTON_ACTIONS:
        app.action(action_id)(ack=staff_action, lazy=[tell_user])
    app.action(ids.TICKET_MORE)(ack=more_menu, lazy=[open_severity_modal])
    app.action(ids.RATE_HELPFUL)(ack=rate, lazy=[ask_for_comment])
    app.action(ids.RATE_NOT_HELPFUL)(ack=rate, lazy=[ask_for_comment])
    app.view(ids.SEVERITY_MODAL)(submit_severity)
    app.view(ids.RATING_COMMENT_MODAL)(submit_comment)
    app.event("reaction_added")(reaction_added)
    app.event("app_mention")(app_mention)
    # A message shortcut: a global shortcut with this callback id is not ours (Bolt answers 404).
    app.shortcut({"type": "message_action", "callback_id": ids.CREATE_TICKET_SHORTCUT})(
        ack=ack_shortcut, lazy=[create_ticket_shortcut]
    )
