"""Use cases for a filed ticket: staff's card buttons (take, waiting, resolve, reassign, severity),
✅ on a card to resolve it, and the customer's rating and its comment.

Each write runs in one unit of work (services/unit_of_work.py): the change, its audit trail and the
card refreshes it owes commit together, and the ticket's SLA alarms are re-pointed after the
commit. Each answers with what the person must be told (a refusal from ui/messages.py) or None.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from services.filing import tell_reactor
from services.staff import not_staff
from services.tickets import lock_ticket, record_rating, ticket_action, ticket_by_thread, ticket_info
from services.unit_of_work import unit_of_work
from tickets.severity import Severity
from ui import ids
from ui.blocks import ModalContext, build_rating_comment_modal, build_severity_modal
from ui.messages import (
    NOT_THIS_CHANNEL,
    PICK_A_SEVERITY,
    RATINGS_ARE_FOR_CUSTOMERS,
    STAFF_ONLY,
    WHO_ARE_YOU_UNKNOWN,
    action_refused,
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


def _ticket_here(deps: Deps, session: Session, number: int | None, channel_id: str) -> Ticket | None:
    """Ticket `number`, locked, if `channel_id` may act on it: its own customer channel, or triage."""
    ticket = lock_ticket(session, number) if number is not None else None
    if ticket is None or channel_id not in (ticket.channel_id, deps.settings.triage_channel):
        return None
    return ticket


def act_on_ticket(deps: Deps, click: CardClick, action: str, assignee: str | None = None) -> str | None:
    """A card button ('take', 'waiting', 'resolve', 'reassign' to `assignee`). Staff only; the
    ticket must belong to the channel clicked in (or it is triage). Returns why nothing changed, or
    None (changed, or already so)."""
    refusal = not_staff(deps, click.user_id, STAFF_ONLY, click.team_hint)
    if refusal:
        return refusal
    try:
        with unit_of_work(deps) as uow:
            ticket = _ticket_here(deps, uow.session, click.number, click.channel_id)
            if ticket is None:
                return NOT_THIS_CHANNEL
            changes = ticket_action(
                uow.session, ticket, action, actor=click.user_id, now=uow.now, sla=deps.sla_policy, assignee=assignee
            )
            if changes:
                uow.resync_ticket(ticket.id)
    except ValueError as exc:  # the workflow does not allow it now: nothing was written
        return action_refused(str(exc))
    return None


def severity_form(deps: Deps, click: CardClick) -> Answer:
    """The ⋯ menu's "Change severity": the form for the ticket (staff only, the channel's own)."""
    refusal = not_staff(deps, click.user_id, STAFF_ONLY, click.team_hint)
    if refusal:
        return Answer(refusal=refusal)
    with deps.db.session() as session:
        ticket = _ticket_here(deps, session, click.number, click.channel_id)
        if ticket is None:
            return Answer(refusal=NOT_THIS_CHANNEL)
        return Answer(view=build_severity_modal(ticket_info(ticket), click.channel_id))


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
    except ValueError as exc:
        return {ids.SEVERITY_REASON_BLOCK: severity_refused(str(exc))}
    return {}


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
    """✅ (`reaction`) on the card of a ticket (`ts` in `channel_id`) by `user_id`: staff resolve it;
    anyone else is told why not, privately and once. ✅ on any other message: nothing."""
    with deps.db.session() as session:
        if ticket_by_thread(session, channel_id, ts) is None:
            return
    who = deps.directory.identify(user_id, team_hint)
    if not who.known or not who.is_staff:
        text = WHO_ARE_YOU_UNKNOWN if not who.known else STAFF_ONLY
        tell_reactor(deps, event_id, channel_id=channel_id, ts=ts, user_id=user_id, reaction=reaction, text=text)
        return
    with unit_of_work(deps) as uow:
        ticket = ticket_by_thread(uow.session, channel_id, ts)
        if ticket is None or not uow.claim(event_id):
            return
        if ticket_action(uow.session, ticket, "resolve", actor=user_id, now=uow.now, sla=deps.sla_policy):
            uow.resync_ticket(ticket.id)
