"""Staff actions on ticket cards, the customer's rating, and the other ways to file a ticket
(🎫 reaction, ✅ to resolve, the "Create ticket" message shortcut, @-mentioning the bot)."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App, BoltContext, Respond
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.deps import Deps
from bot.models import Ticket
from bot.outbox import enqueue
from bot.services import (
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
)
from handlers import ids
from handlers.blocks import (
    NOT_A_CUSTOMER_CHANNEL,
    ModalContext,
    build_rating_comment_modal,
    build_severity_modal,
)
from handlers.modal import open_modal, open_ticket_modal
from tickets.rules import title_from_message, validate_ticket_fields
from tickets.severity import Severity, parse_severity

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
        if not deps.directory.is_staff(user_id):
            context["tell_user"] = STAFF_ONLY
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

    def tell_user(context: BoltContext, respond: Respond) -> None:
        if context.get("tell_user"):
            respond(text=context["tell_user"], response_type="ephemeral", replace_original=False)

    def more_menu(ack: Ack, body: dict[str, Any], action: dict[str, Any], context: BoltContext) -> None:
        ack()
        user_id, channel_id = body["user"]["id"], (body.get("channel") or {}).get("id", "")
        if not deps.directory.is_staff(user_id):
            context["tell_user"] = STAFF_ONLY
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
        if origin is None or not origin.message_ts or not deps.directory.is_staff(user_id):
            ack(response_action="errors", errors={ids.SEVERITY_REASON_BLOCK: STAFF_ONLY})
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
        if deps.directory.is_staff(user_id):
            context["tell_user"] = RATINGS_ARE_FOR_CUSTOMERS
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
        *, channel_id: str, message: dict[str, Any], source: str, event_id: str, text: str | None = None
    ) -> None:
        """A ticket from an existing message: title from its first line, Medium until changed."""
        body_text = text if text is not None else message.get("text") or ""
        reporter = message.get("user") or ""
        is_staff, team_id = deps.directory.lookup(reporter)
        title = title_from_message(body_text)
        new = NewTicket(
            channel_id=channel_id,
            reporter_id=reporter,
            reporter_is_staff=is_staff,
            severity=Severity.MEDIUM,
            title=title,
            description=body_text[:3000],
            source=source,
            submission_key=f"msg:{channel_id}:{message['ts']}",
            reporter_team_id=team_id,
            source_ts=message["ts"],
        )
        with deps.db.transaction() as session:
            if not claim_event(session, event_id, deps.clock()) or customer_channel(session, channel_id) is None:
                return
            filed = file_ticket(session, new, deps.clock(), deps.sla_policy)
        deps.set_new_ticket_timers(filed)

    def fetch_message(client: WebClient, channel_id: str, ts: str) -> dict[str, Any] | None:
        try:
            found = client.conversations_history(channel=channel_id, latest=ts, oldest=ts, inclusive=True, limit=1)
            messages = found.get("messages") or []
            if not messages:
                found = client.conversations_replies(channel=channel_id, ts=ts, limit=1)
                messages = [m for m in found.get("messages") or [] if m.get("ts") == ts]
        except SlackApiError as exc:
            log.warning("could not read message %s in %s: %s", ts, channel_id, exc.response.get("error"))
            raise
        return messages[0] if messages else None

    def reaction_added(event: dict[str, Any], body: dict[str, Any], client: WebClient) -> None:
        item = event.get("item") or {}
        channel_id, ts, reaction = item.get("channel", ""), item.get("ts", ""), event.get("reaction")
        if item.get("type") != "message" or reaction not in (TICKET_EMOJI, RESOLVE_EMOJI):
            return
        if reaction == RESOLVE_EMOJI:
            resolve_by_reaction(event, body, channel_id, ts)
            return
        with deps.db.session() as session:
            if customer_channel(session, channel_id) is None or ticket_by_source(session, channel_id, ts):
                return
            if ticket_by_thread(session, channel_id, ts) is not None:
                return  # a 🎫 on a ticket card is not a new ticket
        message = fetch_message(client, channel_id, ts)
        if message is None or message.get("bot_id") or message.get("user") == deps.directory.host().bot_user_id:
            return
        file_from_message(channel_id=channel_id, message=message, source="reaction", event_id=body["event_id"])

    def resolve_by_reaction(event: dict[str, Any], body: dict[str, Any], channel_id: str, ts: str) -> None:
        user_id = event.get("user", "")
        with deps.db.transaction() as session:
            ticket = ticket_by_thread(session, channel_id, ts)
            if ticket is None or not deps.directory.is_staff(user_id):
                return
            if not claim_event(session, body.get("event_id", ""), deps.clock()):
                return
            changes = ticket_action(session, ticket, "resolve", actor=user_id, now=deps.clock(), sla=deps.sla_policy)
        if changes:
            deps.sync_ticket_timers(ticket)

    def app_mention(event: dict[str, Any], body: dict[str, Any]) -> None:
        channel_id, ts = event.get("channel", ""), event.get("ts", "")
        bot_mention = f"<@{deps.directory.host().bot_user_id}>"
        text = (event.get("text") or "").replace(bot_mention, "").strip()
        with deps.db.transaction() as session:
            if customer_channel(session, channel_id) is None:
                return
            if event.get("thread_ts") and ticket_by_thread(session, channel_id, event["thread_ts"]):
                return  # a mention inside a ticket's thread is a reply, already recorded
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

    def ack_shortcut(ack: Ack, body: dict[str, Any], context: BoltContext) -> None:
        ack()
        channel_id, ts = (body.get("channel") or {}).get("id", ""), (body.get("message") or {}).get("ts", "")
        with deps.db.session() as session:
            if customer_channel(session, channel_id) is None:
                context["tell_user"] = NOT_A_CUSTOMER_CHANNEL
                return
            existing = ticket_by_source(session, channel_id, ts)
            if existing is not None:
                context["tell_user"] = f"That message is already ticket #{existing.id}."
                return
        context["open_ticket_form"] = True

    def create_ticket_shortcut(body: dict[str, Any], client: WebClient, context: BoltContext, respond: Respond) -> None:
        if not context.get("open_ticket_form"):
            tell_user(context, respond)
            return
        message = body.get("message") or {}
        text = message.get("text") or ""
        problems = validate_ticket_fields(title_from_message(text), text[:3000])
        open_ticket_modal(
            client,
            body["trigger_id"],
            ModalContext(body["channel"]["id"], "shortcut", message.get("ts")),
            title_from_message(text) if not problems.get("title") else "",
            lambda t: respond(text=t, response_type="ephemeral", replace_original=False),
            description=text[:3000],
            severity=Severity.MEDIUM,  # as a 🎫 or a mention files it
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
