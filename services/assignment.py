"""Automatic assignment (issue 18): a new ticket of an area, or one moved into it, gets the person
its route's policy names (config.routing.AssignPolicy): nobody, the next member of the on-call
user group (round_robin), or the customer's CS owner from onboarding (cs_owner).

Nothing of it runs while Slack waits for an answer. Filing (or moving) a ticket owes an outbox row
of kind ASSIGN in its own transaction (`owe_assignment`); the outbox delivers it like any post —
leased, retried after a 429 or an outage, once — by asking Slack who may get the ticket
(`plan_assignment`: `usergroups.users.list` for a group, `users.info` for one person). Slack's
answer finishes it (`complete_assignment`, the row's `Post.on_answer`), in one transaction: the
ticket is locked and, only if it is still open, unassigned and in the same area, the person is
picked (round_robin: under the route's rotation row lock, tickets/assignment.py) and assigned
through the same workflow step as a person's "Reassign" (`services.tickets.ticket_action`): the
cards update, the audit trail records it with the bot as the actor and the policy as the reason,
the "assignee" webhook fires. Then the assignee is owed a DM with the link. A person who assigned
the ticket first wins; a retried row finds the ticket assigned and does nothing.

When nobody can be assigned (the group is empty or Slack refuses to list it, the one person is
deactivated, round_robin has no group), the ticket stays unassigned, one line is logged, and
triage gets one note in the ticket's triage thread.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from config.routing import AssignPolicy, Route
from outbox import OutboxRow, Post, PostKind, Settled, assign_key, enqueue, enqueue_triage_note
from services.tickets import CLOSED, lock_ticket, ticket_action
from services.unit_of_work import unit_of_work
from store.db import insert_new
from store.models import AssignmentRotation, Customer, Ticket
from tickets.assignment import EMPTY_GROUP, NO_GROUP, Candidates, active_user, group_members, next_in_rotation
from ui.blocks import assignment_problem

if TYPE_CHECKING:
    from services.deps import Deps
    from store.db import Row

log = logging.getLogger(__name__)

UNASSIGNED_NOTE = "unassigned"  # the triage note's payload["note"] when nobody could be assigned
ASSIGNED_DM = "assigned"  # a MESSAGE row's payload["render"]: the DM to the person assigned
# Slack's answers that end an assignment with nobody assigned (triage is told why); any other
# refusal fails the row for good, and the outbox tells triage it could not ask Slack.
GROUP_REFUSALS = ("no_such_subteam", "plan_upgrade_required", "missing_scope", "invalid_arg_name", "access_denied")
USER_REFUSALS = ("user_not_found", "user_not_visible")


def owe_assignment(session: Session, ticket_id: int, route: Route, now: datetime, which: str = "new") -> bool:
    """Owe ticket `ticket_id` its automatic assignment by `route`'s policy, in the caller's
    transaction (`which`: "new" for a new ticket, the move's time for a move into an area). False
    if the policy is none (nothing owed) or it was owed already."""
    if route.assign == AssignPolicy.NONE:
        return False
    key = assign_key(ticket_id, which)
    return enqueue(session, kind=PostKind.ASSIGN, dedupe_key=key, now=now, ticket_id=ticket_id) is not None


def plan_assignment(
    session: Session,
    row: OutboxRow,
    ticket: Ticket | Row,
    route: Route,
    finish: Callable[[dict[str, Any], dict[str, Any]], None],
    now: datetime,
) -> Post:
    """The Slack read an ASSIGN row makes, in the claim's transaction: the members of the route's
    user group, or whether the one person it names (the CS owner, an on-call user) is active.
    `finish(payload, answer)` completes it (`complete_assignment`). Raises Settled when there is
    nothing to do: the ticket is assigned or closed already, the policy is none now, there is no
    CS owner on record, or round_robin has no group (triage is told, in this transaction)."""
    if ticket.assignee_id is not None:
        raise Settled(f"ticket {ticket.id} is assigned already")
    if ticket.status in CLOSED:
        raise Settled(f"ticket {ticket.id} is {ticket.status}")
    policy = route.assign
    if policy == AssignPolicy.NONE:
        raise Settled(f"ticket {ticket.id}'s area assigns nobody")
    base = {"ticket": ticket.id, "area": ticket.area, "policy": policy.value, "key": row.dedupe_key}
    if policy == AssignPolicy.CS_OWNER:
        owner = session.scalar(select(Customer.cs_owner_id).where(Customer.channel_id == ticket.channel_id))
        if not owner:
            raise Settled(f"ticket {ticket.id}: no onboarding record with a CS owner in {ticket.channel_id}")
        return _ask_about(owner, base, finish)
    if route.group is None:
        _unassigned(session, base, Candidates(problem=NO_GROUP), None, now)
        raise Settled(f"ticket {ticket.id}: round_robin with no on-call group")
    if route.group.startswith("S"):
        payload = {**base, "group": route.group}
        return Post(
            "usergroups.users.list",
            {"usergroup": route.group},
            on_answer=lambda answer: finish(payload, answer),
            as_form=True,  # Slack takes this method's arguments as a form only
            done_errors=GROUP_REFUSALS,
        )
    return _ask_about(route.group, base, finish)


def _ask_about(user: str, base: dict[str, Any], finish: Callable[[dict[str, Any], dict[str, Any]], None]) -> Post:
    payload = {**base, "user": user}
    return Post(
        "users.info",
        {"user": user},
        on_answer=lambda answer: finish(payload, answer),
        as_form=True,
        done_errors=USER_REFUSALS,
    )


def complete_assignment(deps: Deps, payload: dict[str, Any], answer: dict[str, Any]) -> None:
    """Slack answered an ASSIGN row's read (`payload` as `plan_assignment` made it; `answer`: the
    answer, or Slack's refusal among GROUP_REFUSALS / USER_REFUSALS): assign the ticket, or tell
    triage why nobody. Idempotent: a ticket assigned, closed or moved meanwhile is left alone."""
    bot = deps.directory.host().bot_user_id
    found = group_members(answer, (bot,)) if payload.get("group") else active_user(answer, (bot,))
    if payload.get("group") and found.problem is None:
        found = _assignable(deps, found.people)
    who = payload.get("group") or payload.get("user")
    number, policy = int(payload["ticket"]), str(payload["policy"])
    with unit_of_work(deps) as uow:
        ticket = lock_ticket(uow.session, number)
        if ticket is None or ticket.assignee_id is not None or ticket.status in CLOSED:
            return  # a person was first, or it is over: theirs wins
        if ticket.area != payload.get("area"):
            return  # moved meanwhile: the move owes its own assignment
        if found.problem is not None:
            _unassigned(uow.session, payload, found, who, uow.now)
            return
        if policy == AssignPolicy.ROUND_ROBIN.value:
            chosen = _take_turn(uow.session, ticket.area or "", found.people, uow.now)
        else:
            chosen = found.people[0]
        if chosen is None:
            return
        ticket_action(
            uow.session, ticket, "reassign", actor=bot, now=uow.now, sla=deps.sla_policy, assignee=chosen, reason=policy
        )
        uow.resync_ticket(ticket.id)
        dm = {"channel": chosen, "render": ASSIGNED_DM, "ticket": ticket.id, "reason": policy}
        key = f"{ASSIGNED_DM}:{payload['key']}"
        enqueue(uow.session, kind=PostKind.MESSAGE, dedupe_key=key, now=uow.now, ticket_id=ticket.id, payload=dm)
    log.info("ticket %s assigned to %s (%s)", number, chosen, policy)


class MembersUnknown(RuntimeError):
    """Slack could not say (just now) whether any member of the group may take a ticket: the
    outbox retries the row later (its usual backoff)."""


def _assignable(deps: Deps, members: tuple[str, ...]) -> Candidates:
    """The group's members a ticket may go to, as a person's Reassign would allow: staff of our
    workspace (not a guest), not deactivated, not a bot (users.info, cached by the directory).
    Nobody assignable: EMPTY_GROUP. Raises MembersUnknown if nobody is known to be assignable
    and some could not be looked up."""
    verdicts = {member: deps.directory.assignable(member) for member in members}
    people = tuple(member for member, ok in verdicts.items() if ok)
    if people:
        return Candidates(people)
    if any(ok is None for ok in verdicts.values()):
        raise MembersUnknown(f"could not look up {sum(ok is None for ok in verdicts.values())} member(s)")
    return Candidates(problem=EMPTY_GROUP)


def _unassigned(session: Session, payload: dict[str, Any], found: Candidates, who: str | None, now: datetime) -> None:
    """Nobody could be assigned: one log line, and one note to triage (once per ASSIGN row)."""
    problem = found.problem or "unknown"
    log.warning(
        "ticket %s left unassigned (%s, area %r): %s", payload["ticket"], payload["policy"], payload["area"], problem
    )
    enqueue_triage_note(
        session, UNASSIGNED_NOTE, int(payload["ticket"]), payload["key"], now, problem=assignment_problem(problem, who)
    )


_TICKETS = Ticket.__table__


def _take_turn(session: Session, route: str, members: tuple[str, ...], now: datetime) -> str | None:
    """round_robin's pick among `members` for `route` (an area's name), under the route's
    rotation row lock (created on first use): fewest open tickets of the route first, then the
    rotation (tickets/assignment.py). Records the pick as the rotation's latest."""
    rotation = session.get(AssignmentRotation, route, with_for_update=True)
    if rotation is None:
        insert_new(session, AssignmentRotation, {"route": route, "last_user_id": None, "picks": 0, "updated_at": now})
        rotation = session.get(AssignmentRotation, route, with_for_update=True)
        assert rotation is not None
    # Counted after the lock is held: a pick committed by another replica meanwhile is seen.
    counts = dict(
        session.execute(
            select(_TICKETS.c.assignee_id, func.count())
            .where(
                _TICKETS.c.area == route,
                _TICKETS.c.assignee_id.in_(members),
                _TICKETS.c.status.not_in(CLOSED),
            )
            .group_by(_TICKETS.c.assignee_id)
        ).all()
    )
    chosen = next_in_rotation(members, rotation.last_user_id, counts)
    if chosen is not None:
        rotation.last_user_id, rotation.picks, rotation.updated_at = chosen, rotation.picks + 1, now
    return chosen
