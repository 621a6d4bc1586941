"""Use cases for a filed ticket: staff's card buttons (take, waiting, resolve, reassign, severity,
not a ticket), ✅ on a card to resolve it, the customer's rating and its comment, and a
conversation's first severity set by its author (the button of their private "heard" note).

Each write runs in one unit of work (services/unit_of_work.py): the change, its audit trail and the
card refreshes it owes commit together, and the ticket's SLA alarms are re-pointed after the
commit. Each answers with what the person must be told (a refusal from ui/messages.py) or None.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from config.routing import area_choices, ticket_route
from services.assignment import owe_assignment
from services.filing import tell_reactor
from services.staff import not_staff
from services.tickets import (
    CLOSED,
    lock_ticket,
    move_ticket,
    record_rating,
    severity_of,
    ticket_action,
    ticket_by_message,
    ticket_info,
)
from services.unit_of_work import UnitOfWork, unit_of_work
from tickets.intake import CONVERSATION_SOURCE
from tickets.severity import Severity
from ui import ids
from ui.blocks import (
    ModalContext,
    build_customer_severity_modal,
    build_move_modal,
    build_rating_comment_modal,
    build_severity_modal,
    build_severity_set_view,
    severity_name,
)
from ui.messages import (
    ASSIGNEE_NOT_STAFF,
    CONVERSATION_CLOSED,
    CUSTOMER_SEVERITY_REASON,
    NOT_THIS_CHANNEL,
    ONLY_CONVERSATIONS_ARE_NOISE,
    PICK_A_SEVERITY,
    PICK_AN_AREA,
    RATINGS_ARE_FOR_CUSTOMERS,
    SEVERITY_IS_THE_AUTHORS,
    STAFF_ONLY,
    WHO_ARE_YOU_UNKNOWN,
    action_refused,
    severity_already_set,
    severity_refused,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from services.deps import Deps
    from store.models import Ticket

# A card button's action_id -> the workflow action it asks for (services.tickets.ticket_action).
BUTTON_ACTIONS = {
    ids.TICKET_TAKE: "take",
    ids.TICKET_WAITING: "waiting",
    ids.TICKET_RESOLVE: "resolve",
    ids.TICKET_REASSIGN: "reassign",
    ids.TICKET_NOT_A_TICKET: "noise",  # a conversation's triage card only
}


@dataclass(frozen=True)
class CardClick:
    """A click on a ticket's card (or under it): who (`user_id`, of team `team_hint` as the payload
    states it), in which channel, on which ticket (None: the payload named none)."""

    user_id: str
    team_hint: str | None
    channel_id: str
    number: int | None


@dataclass(frozen=True)
class Answer:
    """What a click leads to: a modal to open (`view`), or words for the person (`refusal`), or neither."""

    view: dict[str, Any] | None = None
    refusal: str | None = None


@dataclass(frozen=True)
class FormAnswer:
    """What a submitted form leads to: its errors by block id (it stays open), or a view that
    replaces it (`view`), or neither (it closes)."""

    errors: dict[str, str] = field(default_factory=dict)
    view: dict[str, Any] | None = None


def _ticket_here(deps: Deps, session: Session, number: int | None, channel_id: str) -> Ticket | None:
    """Ticket `number`, locked, if `channel_id` may act on it: its own customer channel, the default
    triage channel, or its area's triage channel."""
    ticket = lock_ticket(session, number) if number is not None else None
    triage = (deps.settings.triage_channel, ticket_route(deps.settings, ticket.area).channel) if ticket else ()
    if ticket is None or channel_id not in (ticket.channel_id, *triage):
        return None
    return ticket


def act_on_ticket(deps: Deps, click: CardClick, action: str, assignee: str | None = None) -> str | None:
    """A card button ('take', 'waiting', 'resolve', 'reassign' to `assignee`, 'noise': not a
    ticket). Staff only, and only staff (not the bot) can be assigned; the ticket must belong to
    the channel clicked in (or it is triage); only a conversation can be noise. Returns why
    nothing changed, or None (changed, or already so)."""
    refusal = not_staff(deps, click.user_id, STAFF_ONLY, click.team_hint)
    if refusal:
        return refusal
    if action == "reassign":
        # Slack's user picker lists everyone, customers of a shared channel included.
        refusal = not_staff(deps, assignee or "", ASSIGNEE_NOT_STAFF)
        if refusal:
            return refusal
        if assignee == deps.directory.host().bot_user_id:
            return ASSIGNEE_NOT_STAFF
    try:
        with unit_of_work(deps) as uow:
            ticket = _ticket_here(deps, uow.session, click.number, click.channel_id)
            if ticket is None:
                return NOT_THIS_CHANNEL
            if action == "noise" and ticket.source != CONVERSATION_SOURCE:
                return ONLY_CONVERSATIONS_ARE_NOISE
            changes = ticket_action(
                uow.session, ticket, action, actor=click.user_id, now=uow.now, sla=deps.sla_policy, assignee=assignee
            )
            if changes:
                uow.resync_ticket(ticket.id)
    except ValueError as exc:  # the workflow does not allow it now: nothing was written
        return action_refused(str(exc))
    return None


def severity_form(deps: Deps, click: CardClick) -> Answer:
    """The ⋯ menu's "Change severity", or a conversation's "Set severity" button: the form for the
    ticket (staff only, the channel's own or triage)."""
    refusal = not_staff(deps, click.user_id, STAFF_ONLY, click.team_hint)
    if refusal:
        return Answer(refusal=refusal)
    with deps.db.session() as session:
        ticket = _ticket_here(deps, session, click.number, click.channel_id)
        if ticket is None:
            return Answer(refusal=NOT_THIS_CHANNEL)
        return Answer(view=build_severity_modal(ticket_info(ticket), click.channel_id))


def _set_severity(deps: Deps, uow: UnitOfWork, ticket: Ticket, user_id: str, severity: Severity, reason: str) -> None:
    """Apply a severity change by `user_id` in the use case's unit of work; its alarms follow.
    Raises ValueError for a change the workflow refuses (a blank reason, say)."""
    changes = ticket_action(
        uow.session,
        ticket,
        "severity",
        actor=user_id,
        now=uow.now,
        sla=deps.sla_policy,
        severity=severity,
        reason=reason,
    )
    if changes:
        uow.resync_ticket(ticket.id)


def change_severity(
    deps: Deps,
    *,
    user_id: str,
    team_hint: str | None,
    origin: ModalContext | None,
    severity: Severity | None,
    reason: str,
) -> dict[str, str]:
    """The severity form submitted (`origin`: the ticket number in `message_ts` and the channel it
    was opened in). Returns the form's errors by block id (empty: saved, or nothing to change)."""
    refusal = STAFF_ONLY
    if origin is not None and origin.message_ts:
        refusal = not_staff(deps, user_id, STAFF_ONLY, team_hint)
    if refusal:
        return {ids.SEVERITY_REASON_BLOCK: refusal}
    if severity is None:
        return {ids.SEVERITY_BLOCK: PICK_A_SEVERITY}
    try:
        with unit_of_work(deps) as uow:
            ticket = _ticket_here(deps, uow.session, int(origin.message_ts), origin.channel_id)
            if ticket is None:
                return {ids.SEVERITY_REASON_BLOCK: NOT_THIS_CHANNEL}
            _set_severity(deps, uow, ticket, user_id, severity, reason)
    except ValueError as exc:
        return {ids.SEVERITY_REASON_BLOCK: severity_refused(str(exc))}
    return {}


def _why_customer_cannot_set_severity(ticket: Ticket | None, user_id: str, channel_id: str) -> str | None:
    """A customer sets the first severity of their own open conversation, from its own channel."""
    if ticket is None or ticket.channel_id != channel_id:
        return NOT_THIS_CHANNEL
    if ticket.reporter_id != user_id:
        return SEVERITY_IS_THE_AUTHORS
    if ticket.status in CLOSED:
        return CONVERSATION_CLOSED
    if ticket.severity is not None:
        return severity_already_set(ticket.id, severity_name(severity_of(ticket)))
    return None


def customer_severity_form(deps: Deps, click: CardClick) -> Answer:
    """The "Set severity" button of a conversation's private "heard" note: the picker, for its
    author while it has no severity (after that, staff change it, with a reason)."""
    with deps.db.session() as session:
        ticket = lock_ticket(session, click.number) if click.number is not None else None
        refusal = _why_customer_cannot_set_severity(ticket, click.user_id, click.channel_id)
        if refusal or ticket is None:
            return Answer(refusal=refusal)
        return Answer(view=build_customer_severity_modal(ticket.id, click.channel_id))


def customer_set_severity(
    deps: Deps, *, user_id: str, origin: ModalContext | None, severity: Severity | None
) -> FormAnswer:
    """The customer's severity picker submitted (`origin`: the ticket number in `message_ts`, its
    channel): the first severity is stored (audit trail: "set by the customer"), the SLA is
    re-computed from it and the triage card updated; the form turns into a thank-you with the
    response target. Refused, with the reason in the form, if the rules of
    `customer_severity_form` no longer hold (staff set one meanwhile...)."""
    if origin is None or not origin.message_ts or not origin.message_ts.isdigit():
        return FormAnswer(errors={ids.SEVERITY_BLOCK: NOT_THIS_CHANNEL})
    if severity is None:
        return FormAnswer(errors={ids.SEVERITY_BLOCK: PICK_A_SEVERITY})
    with unit_of_work(deps) as uow:
        ticket = lock_ticket(uow.session, int(origin.message_ts))
        refusal = _why_customer_cannot_set_severity(ticket, user_id, origin.channel_id)
        if refusal or ticket is None:
            return FormAnswer(errors={ids.SEVERITY_BLOCK: refusal or NOT_THIS_CHANNEL})
        _set_severity(deps, uow, ticket, user_id, severity, CUSTOMER_SEVERITY_REASON)
        number, tier = ticket.id, ticket.tier
    target = deps.sla_policy.for_tier(tier).first_response_target(severity)  # the customer's tier's
    return FormAnswer(view=build_severity_set_view(number, severity, target))


def rate_ticket(deps: Deps, click: CardClick, rating: str) -> Answer:
    """The customer rated the ticket ('helpful' or 'not_helpful') in its own channel: stored, and
    the comment form is the answer. Staff, and people Slack could not name, are told why not."""
    who = deps.directory.identify(click.user_id, click.team_hint)  # the payload's team first: another org
    if not who.known or who.is_staff:
        return Answer(refusal=RATINGS_ARE_FOR_CUSTOMERS if who.is_staff else WHO_ARE_YOU_UNKNOWN)
    with unit_of_work(deps) as uow:
        ticket = _ticket_here(deps, uow.session, click.number, click.channel_id)
        if ticket is None or ticket.channel_id != click.channel_id:
            return Answer(refusal=NOT_THIS_CHANNEL)
        record_rating(uow.session, ticket, rating=rating, user_id=click.user_id, now=uow.now)
        return Answer(view=build_rating_comment_modal(ticket.id, click.channel_id, rating))


def add_rating_comment(deps: Deps, *, user_id: str, origin: ModalContext | None, comment: str | None) -> None:
    """The rating's comment form submitted: kept if `user_id` is who rated the ticket (`origin`:
    its number in `message_ts`, the rating in `source`). An empty comment or a stale form: nothing."""
    if origin is None or not origin.message_ts or not comment:
        return
    with unit_of_work(deps) as uow:
        ticket = _ticket_here(deps, uow.session, int(origin.message_ts), origin.channel_id)
        if ticket is not None and ticket.rated_by == user_id:
            record_rating(uow.session, ticket, rating=origin.source, user_id=user_id, now=uow.now, comment=comment)


def resolve_by_reaction(
    deps: Deps, *, channel_id: str, ts: str, user_id: str, team_hint: str | None, event_id: str, reaction: str
) -> None:
    """✅ (`reaction`) on the card of a ticket, or on a top-level message of a conversation (`ts` in
    `channel_id`), by `user_id`: staff resolve it; anyone else is told why not, privately and once.
    ✅ on any other message: nothing."""
    with deps.db.session() as session:
        if ticket_by_message(session, channel_id, ts) is None:
            return
    who = deps.directory.identify(user_id, team_hint)
    if not who.known or not who.is_staff:
        text = WHO_ARE_YOU_UNKNOWN if not who.known else STAFF_ONLY
        tell_reactor(deps, event_id, channel_id=channel_id, ts=ts, user_id=user_id, reaction=reaction, text=text)
        return
    with unit_of_work(deps) as uow:
        ticket = ticket_by_message(uow.session, channel_id, ts)
        if ticket is None or not uow.claim(event_id):
            return
        if ticket_action(uow.session, ticket, "resolve", actor=user_id, now=uow.now, sla=deps.sla_policy):
            uow.resync_ticket(ticket.id)


# -- re-routing to another product area -------------------------------------------------------------
def move_form(deps: Deps, click: CardClick) -> Answer:
    """The triage card's ⋯ "Move to…": the area picker for the ticket (staff only, from its own
    channel or a triage channel; only with a routing file)."""
    refusal = not_staff(deps, click.user_id, STAFF_ONLY, click.team_hint)
    if refusal:
        return Answer(refusal=refusal)
    areas = area_choices(deps.settings)
    with deps.db.session() as session:
        ticket = _ticket_here(deps, session, click.number, click.channel_id)
        if ticket is None or not areas:
            return Answer(refusal=NOT_THIS_CHANNEL)
        return Answer(view=build_move_modal(ticket_info(ticket), click.channel_id, areas, ticket.area))


def move_to_area(
    deps: Deps, *, user_id: str, team_hint: str | None, origin: ModalContext | None, area: str | None
) -> dict[str, str]:
    """The "Move to…" form submitted (`origin`: the ticket number in `message_ts`, the channel it
    was opened in; `area`: the picked name). The ticket's area changes, the new area's channel gets
    a fresh triage card, the old card a pointer, the audit trail and the webhook the move
    (services.tickets.move_ticket); an unassigned ticket is owed the new area's assignment
    (services/assignment.py). Returns the form's errors by block id (empty: moved, or there
    already)."""
    refusal = STAFF_ONLY
    if origin is not None and origin.message_ts:
        refusal = not_staff(deps, user_id, STAFF_ONLY, team_hint)
    if refusal:
        return {ids.AREA_BLOCK: refusal}
    route = ticket_route(deps.settings, area)
    if route.area is None:
        return {ids.AREA_BLOCK: PICK_AN_AREA}
    with unit_of_work(deps) as uow:
        ticket = _ticket_here(deps, uow.session, int(origin.message_ts), origin.channel_id)
        if ticket is None:
            return {ids.AREA_BLOCK: NOT_THIS_CHANNEL}
        moved = move_ticket(uow.session, ticket, area=route.area, channel=route.channel, actor=user_id, now=uow.now)
        if moved and ticket.assignee_id is None and ticket.status not in CLOSED:
            # Unassigned: the new area's policy applies, as to its new tickets.
            owe_assignment(uow.session, ticket.id, route, uow.now, which=f"moved:{uow.now.timestamp():.6f}")
    return {}
