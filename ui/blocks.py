"""Block Kit builders: pure functions from plain values to Slack payloads.

Every bit of text a customer typed goes through `escape_text` before it is put into mrkdwn.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from tickets.model import TicketInfo
from tickets.rules import CLOSED_STATUSES, DESCRIPTION_MAX, STATUS_LABELS, TITLE_MAX, Status, humanize_duration
from tickets.severity import SEVERITY_LEVELS, Severity
from tickets.slack_text import cut, is_blank, slack_length, visible
from ui import ids

Blocks = list[dict[str, Any]]
_BROADCAST_WORDS = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)


def escape_text(text: str) -> str:
    """Make user text inert in mrkdwn: it shows as typed and can never ping anyone.

    `&`, `<` and `>` are escaped (so `<!channel>`, `<@U123>`, `<!subteam^S1>` stay plain text);
    bare `@here`-style words get a zero-width joiner after the `@` for clients that link them.
    """
    escaped = (text or "").replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST_WORDS.sub(lambda m: "@\u2060" + m.group(1), escaped)


# Slack's limits, with headroom: Slack does not define "character", so text is measured in UTF-16
# units after escaping (`slack_length`) and kept this far below each documented limit.
SECTION_TEXT_LIMIT = 2900  # section text: 3,000
FIELD_TEXT_LIMIT = 1900  # section field, context element: 2,000
INPUT_VALUE_LIMIT = 2900  # plain_text_input initial_value: 3,000 (and never over the input's max_length)
OPTION_TEXT_LIMIT = 72  # option and button text: 75


def _truncate(text: str, limit: int) -> str:
    """Plain text (not mrkdwn) cut to `limit` Slack characters, never inside an emoji sequence."""
    return cut(text or "", limit)


def fit_escaped(text: str | None, limit: int) -> str:
    """User text made inert for mrkdwn (`escape_text`), then cut to `limit` measured after escaping:
    never inside an `&amp;` entity or an emoji sequence, ending in "…" when cut."""
    return cut(escape_text(text or ""), limit)


def _mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


@dataclass(frozen=True)
class ModalContext:
    """Where a ticket modal was opened from; it travels in the view's private_metadata."""

    channel_id: str
    source: str = "command"
    message_ts: str | None = None  # the message a ticket is made from, or the ticket a form acts on
    thread_ts: str | None = None  # that message's thread, if it is a reply (replies there count)

    def encode(self) -> str:
        data = {"c": self.channel_id, "s": self.source}
        if self.message_ts:
            data["m"] = self.message_ts
        if self.thread_ts:
            data["t"] = self.thread_ts
        return json.dumps(data)

    @staticmethod
    def decode(raw: str | None) -> ModalContext | None:
        try:
            data = json.loads(raw or "")
            message_ts, thread_ts = data.get("m"), data.get("t")
            return ModalContext(
                channel_id=str(data["c"]),
                source=str(data.get("s", "command")),
                message_ts=str(message_ts) if message_ts else None,
                thread_ts=str(thread_ts) if thread_ts else None,
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            return None


NO_SEVERITY = "No severity yet"  # a conversation nobody has given a severity


def severity_label(severity: Severity | None) -> str:
    """':rotating_light: Critical', or 'No severity yet' for a conversation."""
    if severity is None:
        return f":grey_question: {NO_SEVERITY}"
    level = SEVERITY_LEVELS[severity]
    return f"{level.emoji} {level.label}"


def severity_name(severity: Severity | None) -> str:
    """'Critical' … 'Low', or 'no severity yet'."""
    return SEVERITY_LEVELS[severity].label if severity is not None else NO_SEVERITY.lower()


def build_ticket_modal(
    context: ModalContext,
    title: str = "",
    description: str = "",
    severity: Severity | None = None,
    areas: Sequence[tuple[str, str]] = (),
) -> dict[str, Any]:
    """The /ticket modal: severity (with impact; `severity` preselected if given), examples, an
    optional Area picker when `areas` ((name, description) pairs, picker order; each at most 75
    characters) is not empty, title, description. `title` and `description` are plain text (as
    the person wrote them)."""
    options = [
        {
            "text": _plain(severity_label(level.severity)),
            "value": level.severity.value,
            "description": _plain(_truncate(level.impact, 75)),
        }
        for level in SEVERITY_LEVELS.values()
    ]
    severity_element: dict[str, Any] = {"type": "radio_buttons", "action_id": ids.SEVERITY_BLOCK, "options": options}
    if severity is not None:
        severity_element["initial_option"] = next(o for o in options if o["value"] == severity.value)
    examples = [_mrkdwn(f"*{level.label}*: " + ", ".join(level.examples)) for level in SEVERITY_LEVELS.values()]
    title_element: dict[str, Any] = {
        "type": "plain_text_input",
        "action_id": ids.TITLE_BLOCK,
        "max_length": TITLE_MAX,
        "placeholder": _plain("Dashboards are not loading"),
    }
    if visible(title):
        title_element["initial_value"] = _truncate(visible(title), TITLE_MAX)
    severity_element: dict[str, Any] = {"type": "radio_buttons", "action_id": ids.SEVERITY_BLOCK, "options": options}
    if severity is not None:
        severity_element["initial_option"] = next(o for o in options if o["value"] == severity.value)
    return {
        "type": "modal",
        "callback_id": ids.TICKET_MODAL,
        "private_metadata": context.encode(),
        "title": _plain("File a ticket"),
        "submit": _plain("File ticket"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn("Tell us what is wrong. Pick the severity that matches the impact on you."),
            },
            {
                "type": "input",
                "block_id": ids.SEVERITY_BLOCK,
                "label": _plain("Severity"),
                "element": severity_element,
            },
            {"type": "context", "block_id": "severity_examples", "elements": examples},
            *([_area_input(areas)] if areas else []),
            {
                "type": "input",
                "block_id": ids.TITLE_BLOCK,
                "label": _plain("Title"),
                "element": title_element,
            },
            {
                "type": "input",
                "block_id": ids.DESCRIPTION_BLOCK,
                "optional": True,
                "label": _plain("Description"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.DESCRIPTION_BLOCK,
                    "multiline": True,
                    "max_length": DESCRIPTION_MAX,
                    "placeholder": _plain("What happened, what you expected, links, and since when"),
                    **(
                        {"initial_value": _truncate(description, min(DESCRIPTION_MAX, INPUT_VALUE_LIMIT))}
                        if not is_blank(description)
                        else {}
                    ),
                },
            },
        ],
    }


def _area_option(name: str, description: str) -> dict[str, Any]:
    option: dict[str, Any] = {"text": _plain(name), "value": name}
    if description:
        option["description"] = _plain(description)
    return option


def _area_input(areas: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """The ticket form's optional Area picker: a static_select of `areas` ((name, description))."""
    return {
        "type": "input",
        "block_id": ids.AREA_BLOCK,
        "optional": True,
        "label": _plain("Area"),
        "hint": _plain("Which part of the product? Leave it empty if you are not sure."),
        "element": {
            "type": "static_select",
            "action_id": ids.AREA_BLOCK,
            "placeholder": _plain("Pick a product area"),
            "options": [_area_option(name, description) for name, description in areas],
        },
    }


def _ticket_fields(ticket: TicketInfo, sla_text: str | None) -> list[dict[str, Any]]:
    fields = [
        _mrkdwn(f"*Severity*\n{severity_label(ticket.severity)}"),
        _mrkdwn(f"*Status*\n{STATUS_LABELS[ticket.status]}"),
        _mrkdwn(f"*Reported by*\n<@{ticket.reporter_id}>"),
        _mrkdwn(f"*Assignee*\n{f'<@{ticket.assignee_id}>' if ticket.assignee_id else 'Not yet assigned'}"),
    ]
    if sla_text:
        fields.append(_mrkdwn(f"*First response*\n{sla_text}"))
    return fields


def build_ticket_actions(ticket: TicketInfo, conversation: bool = False, movable: bool = False) -> dict[str, Any]:
    """Staff actions: Take it, Waiting on customer, Resolve, Reassign, Change severity.

    A `conversation` (a customer's plain message, issue 16) also offers Set severity while it has
    none (the ⋯ menu's Change severity takes over once it has one) and Not a ticket. `movable`
    (a triage card, with product areas): the ⋯ menu also offers "Move to…" another area."""
    value = str(ticket.number)
    elements: list[dict[str, Any]] = []
    first_severity = conversation and ticket.severity is None and ticket.status not in CLOSED_STATUSES
    if ticket.status not in CLOSED_STATUSES:
        elements.append(
            {
                "type": "button",
                "action_id": ids.TICKET_TAKE,
                "text": _plain("Take it"),
                "value": value,
                "style": "primary",
            }
        )
        if first_severity:
            elements.append(
                {"type": "button", "action_id": ids.TICKET_SET_SEVERITY, "text": _plain("Set severity"), "value": value}
            )
        if ticket.status != Status.WAITING_ON_CUSTOMER:
            elements.append(
                {
                    "type": "button",
                    "action_id": ids.TICKET_WAITING,
                    "text": _plain("Waiting on customer"),
                    "value": value,
                }
            )
        elements.append({"type": "button", "action_id": ids.TICKET_RESOLVE, "text": _plain("Resolve"), "value": value})
        if conversation:
            elements.append(_not_a_ticket_button(ticket.number))
    elements.append({"type": "users_select", "action_id": ids.TICKET_REASSIGN, "placeholder": _plain("Reassign")})
    # A conversation with no severity yet has its own Set severity button, but can be routed already.
    more = [] if first_severity else [{"text": _plain("Change severity"), "value": f"severity:{value}"}]
    if movable:
        more.append({"text": _plain("Move to…"), "value": f"move:{value}"})
    if more:
        elements.append({"type": "overflow", "action_id": ids.TICKET_MORE, "options": more})
    return {"type": "actions", "block_id": f"{ids.TICKET_ACTIONS_BLOCK}{value}", "elements": elements}


def _not_a_ticket_button(number: int) -> dict[str, Any]:
    """Close a conversation as noise, after a confirmation (it removes the customer's 👀)."""
    return {
        "type": "button",
        "action_id": ids.TICKET_NOT_A_TICKET,
        "text": _plain("Not a ticket"),
        "value": str(number),
        "confirm": {
            "title": _plain(f"Close #{number} as not a ticket?"),
            "text": _plain(
                "It is kept and counted, the customer's :eyes: goes away, and it comes back "
                "if they reply in its thread."
            ),
            "confirm": _plain("Not a ticket"),
            "deny": _plain("Keep it"),
        },
    }


def build_ticket_card(
    ticket: TicketInfo, sla_text: str | None = None, source_link: str | None = None
) -> tuple[str, Blocks]:
    """The ticket card in the customer channel: the thread root of the conversation."""
    title = fit_escaped(ticket.title, 1000)
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(f"*Ticket #{ticket.number}: {title}*")},
        {"type": "section", "fields": _ticket_fields(ticket, sla_text)},
    ]
    if not is_blank(ticket.description):
        blocks.append({"type": "section", "text": _mrkdwn(fit_escaped(ticket.description, SECTION_TEXT_LIMIT))})
    blocks.append(build_ticket_actions(ticket))
    hint = "Reply in this thread: the team sees every message here."
    if source_link:
        hint = f"Filed from <{source_link}|this message>. " + hint
    blocks.append({"type": "context", "elements": [_mrkdwn(hint)]})
    text = f"Ticket #{ticket.number} ({severity_name(ticket.severity)}): {title}"
    return text, blocks


def build_ticket_ack(ticket: TicketInfo, target: timedelta, plan: str | None = None, onboarding: bool = False) -> str:
    """The first message in the ticket's thread: we have it, and when to expect an answer
    (`target`, the first response the customer's tier promises). A tier is named: `plan` (the
    plan's label, e.g. "Enterprise") or `onboarding` (the customer is still onboarding)."""
    label = severity_name(ticket.severity)
    promise = f"for a {label} ticket we aim to give you a first response within {humanize_duration(target)}. "
    if onboarding:
        promise = "While you're onboarding, " + promise
    elif plan:
        promise = f"On your {plan} plan, " + promise
    else:
        promise = promise[0].upper() + promise[1:]
    return (
        f"Thanks <@{ticket.reporter_id}>, ticket #{ticket.number} is with the team. {promise}"
        "Add anything else that helps (screenshots, links, when it started) right here in this thread."
    )


def build_triage_mirror(
    ticket: TicketInfo,
    thread_link: str | None,
    card_error: str | None = None,
    sla_text: str | None = None,
    rating: tuple[str, str | None] | None = None,
    refused: tuple[str, str] | None = None,
    conversation: bool = False,
    movable: bool = False,
    tier: str | None = None,
) -> tuple[str, Blocks]:
    """The ticket's mirror in the internal triage channel, linking to the customer thread.
    `movable`: its ⋯ menu offers "Move to…" another product area (there is a routing file).
    `tier`: the customer tier whose targets its clocks run on ("Enterprise plan", "Onboarding"), if any.

    `refused` is (outbox kind, Slack's error) of the latest post about the ticket Slack refused
    for good in the customer channel (an update of the card, the acknowledgement…).

    A `conversation` (issue 16) is called so, links to the customer's first message (its thread)
    and has its own buttons (`build_ticket_actions`); closed as noise, it offers none: a reply from
    the customer brings it back."""
    ping = "<!here> " if ticket.severity == Severity.CRITICAL and ticket.status not in CLOSED_STATUSES else ""
    title = fit_escaped(ticket.title, 1000)
    conversation = conversation or ticket.severity is None  # only a conversation has no severity
    what = "conversation" if conversation else "ticket"
    emoji, _, label = severity_label(ticket.severity).partition(" ")
    headline = f"{ping}{emoji} *{label}* {what} #{ticket.number} in <#{ticket.channel_id}>: {title}"
    link_label = "Open the customer's message" if conversation else "Open the customer thread"
    links = [f"<{thread_link}|{link_label}>"] if thread_link else []
    if tier:
        links.append(f"Tier: {fit_escaped(tier, 100)}")
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(headline)},
        {"type": "section", "fields": _ticket_fields(ticket, sla_text)},
    ]
    if rating is not None:
        verdict = ":+1: Helpful" if rating[0] == "helpful" else ":-1: Not helpful"
        comment = f": “{fit_escaped(_truncate(rating[1], 500), FIELD_TEXT_LIMIT - 100)}”" if rating[1] else ""
        blocks.append({"type": "context", "elements": [_mrkdwn(f"*Customer rating*: {verdict}{comment}")]})
    if card_error:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(
                    f":warning: The ticket card could not be posted in <#{ticket.channel_id}> "
                    f"(`{fit_escaped(card_error, 500)}`): answer the customer there directly."
                ),
            }
        )
    elif refused is not None:
        blocks.append(
            {
                "type": "section",
                "text": _mrkdwn(
                    f":warning: Slack refused {REFUSED_POSTS.get(refused[0], 'a post')} in <#{ticket.channel_id}> "
                    f"(`{fit_escaped(refused[1], 500)}`): the customer may not see the latest; "
                    "answer them there directly."
                ),
            }
        )
    if ticket.status == Status.NOISE:
        links.insert(0, NOISE_NOTE)
    else:
        blocks.append(build_ticket_actions(ticket, conversation, movable))
    if links:
        blocks.append({"type": "context", "elements": [_mrkdwn(" · ".join(links))]})
    text = f"{ping}{label} {what} #{ticket.number}: {title}"
    return text, blocks


NOISE_NOTE = ":no_entry_sign: Closed as not a ticket: it comes back if the customer replies in its thread."


def build_rating_request(ticket: TicketInfo) -> tuple[str, Blocks]:
    """Asked in the thread when a ticket is resolved: one click, and an optional comment after."""
    value = str(ticket.number)
    text = f"Ticket #{ticket.number} is resolved. Did we help? One click tells the team."
    return text, [
        {"type": "section", "text": _mrkdwn(f":white_check_mark: {text}")},
        {
            "type": "actions",
            "block_id": f"rating:{value}",
            "elements": [
                {"type": "button", "action_id": ids.RATE_HELPFUL, "text": _plain(":+1: Helpful"), "value": value},
                {
                    "type": "button",
                    "action_id": ids.RATE_NOT_HELPFUL,
                    "text": _plain(":-1: Not helpful"),
                    "value": value,
                },
            ],
        },
        {"type": "context", "elements": [_mrkdwn("Not fixed after all? Just reply here and the ticket reopens.")]},
    ]


def _severity_options() -> list[dict[str, Any]]:
    """The four severities as the /ticket form shows them: label, and the impact under it."""
    return [
        {
            "text": _plain(severity_label(level.severity)),
            "value": level.severity.value,
            "description": _plain(_truncate(level.impact, 75)),
        }
        for level in SEVERITY_LEVELS.values()
    ]


def build_move_modal(
    ticket: TicketInfo, channel_id: str, areas: Sequence[tuple[str, str]], current: str | None
) -> dict[str, Any]:
    """The triage card's "Move to…": pick the product area (`areas`: (name, description) pairs;
    `current`: the ticket's area, preselected, or None). Opened from `channel_id`."""
    element: dict[str, Any] = {
        "type": "static_select",
        "action_id": ids.AREA_BLOCK,
        "placeholder": _plain("Pick a product area"),
        "options": [_area_option(name, description) for name, description in areas],
    }
    chosen = next((o for o in element["options"] if o["value"] == current), None)
    if chosen is not None:
        element["initial_option"] = chosen
    return {
        "type": "modal",
        "callback_id": ids.MOVE_MODAL,
        "private_metadata": ModalContext(channel_id, "move", str(ticket.number)).encode(),
        "title": _plain(f"Move #{ticket.number}"[:24]),
        "submit": _plain("Move"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(f"*#{ticket.number}* {escape_text(_truncate(ticket.title, 200))}"),
            },
            {"type": "input", "block_id": ids.AREA_BLOCK, "label": _plain("Move to"), "element": element},
        ],
    }


def build_moved_pointer(number: int, title: str, channel: str, mover: str) -> tuple[str, Blocks]:
    """What the old triage card of a moved ticket becomes: where it went and who moved it (no
    buttons: the card in `channel` is the one to act on)."""
    text = f"#{number} {escape_text(_truncate(title, 200))}: moved to <#{channel}> by <@{mover}>"
    line = f":arrow_right: *#{number}* {escape_text(_truncate(title, 200))}\nMoved to <#{channel}> by <@{mover}>"
    return text, [{"type": "section", "text": _mrkdwn(line)}]


def build_severity_modal(ticket: TicketInfo, channel_id: str) -> dict[str, Any]:
    """Change a ticket's severity, with the reason that goes into the audit trail. A conversation's
    first severity (it has none yet) needs no reason."""
    options = _severity_options()
    current = next((o for o in options if ticket.severity and o["value"] == ticket.severity.value), None)
    first = ticket.severity is None
    return {
        "type": "modal",
        "callback_id": ids.SEVERITY_MODAL,
        "private_metadata": ModalContext(channel_id, "severity", str(ticket.number)).encode(),
        "title": _plain(f"Ticket #{ticket.number}"[:24]),
        "submit": _plain("Set severity" if first else "Change severity"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.SEVERITY_BLOCK,
                "label": _plain("Severity"),
                "element": {
                    "type": "radio_buttons",
                    "action_id": ids.SEVERITY_BLOCK,
                    "options": options,
                    **({"initial_option": current} if current else {}),
                },
            },
            {
                "type": "input",
                "block_id": ids.SEVERITY_REASON_BLOCK,
                "optional": first,  # a conversation's first severity needs no reason
                "label": _plain("Why?"),  # Slack adds "(optional)" to an optional input itself
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.SEVERITY_REASON_BLOCK,
                    "max_length": 500,
                    "placeholder": _plain("Goes into the ticket's history"),
                },
            },
        ],
    }


def build_heard_note(number: int, severity: Severity | None) -> tuple[str, Blocks]:
    """The private note the author of a new conversation gets (an ephemeral, never a reply): it was
    heard and is tracked as #`number`; while it has no severity, a button to set one."""
    text = f"Thanks, the team has your message: it is tracked as #{number} and they will answer in its thread."
    blocks: Blocks = [{"type": "section", "text": _mrkdwn(f":eyes: {text}")}]
    if severity is None:
        blocks.append(
            {
                "type": "section",
                "block_id": f"heard:{number}",
                "text": _mrkdwn("How much is it hurting you? A severity helps the team pick what to do first."),
                "accessory": {
                    "type": "button",
                    "action_id": ids.CUSTOMER_SET_SEVERITY,
                    "text": _plain("Set severity"),
                    "value": str(number),
                },
            }
        )
    blocks.append({"type": "context", "elements": [_mrkdwn("Only you can see this.")]})
    return text, blocks


def build_customer_severity_modal(number: int, channel_id: str) -> dict[str, Any]:
    """The customer's severity picker for their conversation #`number`: the four levels with their
    impact and examples, as the /ticket form shows them. No reason asked: it is the first one."""
    examples = [_mrkdwn(f"*{level.label}*: " + ", ".join(level.examples)) for level in SEVERITY_LEVELS.values()]
    return {
        "type": "modal",
        "callback_id": ids.CUSTOMER_SEVERITY_MODAL,
        "private_metadata": ModalContext(channel_id, "customer_severity", str(number)).encode(),
        "title": _plain("How urgent is it?"),
        "submit": _plain("Set severity"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.SEVERITY_BLOCK,
                "label": _plain("Severity"),
                "element": {"type": "radio_buttons", "action_id": ids.SEVERITY_BLOCK, "options": _severity_options()},
            },
            {"type": "context", "block_id": "severity_examples", "elements": examples},
        ],
    }


def build_severity_set_view(number: int, severity: Severity, target: timedelta) -> dict[str, Any]:
    """What the customer's severity picker turns into once saved: the level, and the response target."""
    level = SEVERITY_LEVELS[severity]
    return {
        "type": "modal",
        "callback_id": ids.CUSTOMER_SEVERITY_MODAL,
        "title": _plain("Thanks!"),
        "close": _plain("Done"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    f"#{number} is now {level.emoji} *{level.label}*. For a {level.label} issue the team aims "
                    f"to answer within {humanize_duration(target)}. To change it later, say so in its thread."
                ),
            }
        ],
    }


def build_rating_comment_modal(ticket_number: int, channel_id: str, rating: str) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": ids.RATING_COMMENT_MODAL,
        "private_metadata": ModalContext(channel_id, rating, str(ticket_number)).encode(),
        "title": _plain("Thanks!"),
        "submit": _plain("Send"),
        "close": _plain("Skip"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.RATING_COMMENT_BLOCK,
                "optional": True,
                "label": _plain("Anything to add?"),
                "element": {
                    "type": "plain_text_input",
                    "action_id": ids.RATING_COMMENT_BLOCK,
                    "multiline": True,
                    "max_length": 2000,
                },
            },
        ],
    }


def build_triage_note(
    note: str,
    ticket: TicketInfo,
    *,
    user: str | None = None,
    oncall: str | None = None,
    sla_text: str | None = None,
    thread_link: str | None = None,
    count: int = 0,
    problem: str | None = None,
) -> str:
    """Short notes to the triage channel about a ticket (`problem`: why nobody was assigned, for
    the "unassigned" note, as `assignment_problem` words it)."""
    ref = f"ticket #{ticket.number} ({severity_name(ticket.severity)}) in <#{ticket.channel_id}>"
    if thread_link:
        ref += f" · <{thread_link}|thread>"
    if note == "unassigned":
        why = problem or "see the logs"
        return f":warning: Nobody was assigned {ref} automatically: {why}. Please assign it by hand."
    if note == "reopened":
        back = "open again" if ticket.status == Status.NEW else "back in progress"  # NEW: noise reopened
        return f":leftwards_arrow_with_hook: <@{user}> replied on {ref}: it is {back}."
    if note == "sla_warn":
        return f":hourglass_flowing_sand: 75% of the first-response target is used on {ref}: {sla_text}."
    if note == "sla_breach":
        who = oncall_mention(oncall)
        return f":rotating_light: {who}first response is overdue on {ref}: {sla_text}. Please pick it up."
    if note == "next_response_warn":
        return (
            f":hourglass_flowing_sand: 75% of the next-response target is used on {ref}: the customer wrote "
            "again and is waiting on us."
        )
    if note == "next_response_breach":
        who = oncall_mention(oncall)
        return (
            f":rotating_light: {who}next response is overdue on {ref}: the customer wrote again and has had no "
            "reply. Please pick it up."
        )
    if note == "update_owed":
        return (
            f":loudspeaker: The customer is owed an update on {ref}: no staff message in the "
            f"thread for a while (reminder {count})."
        )
    raise ValueError(f"unknown note {note!r}")


REFUSED_POSTS = {
    "ticket_card": "the ticket card",
    "ticket_ack": "the acknowledgement in the ticket's thread",
    "card_update": "an update of the ticket card",
    "rating_request": "the rating request",
    "triage_mirror": "the triage card",
    "mirror_update": "an update of the triage card",
    "triage_note": "a triage note",
    "checklist_post": "the onboarding checklist",
    "checklist_update": "an update of the onboarding checklist",
    "welcome": "the welcome message",
    "message": "a message",
    "ephemeral": "a private note",
    "assign": "the look-up of who to assign (nobody was assigned)",
}
REDUCED_NOTE = "Shortened: Slack refused the full message. Full text in the thread / the ticket export."


def build_reduced_post(args: dict[str, Any]) -> dict[str, Any] | None:
    """A smaller version of a chat.postMessage / chat.update Slack refused as invalid: the
    `text` fallback (already mrkdwn) cut well inside the limits, in one section, and a context
    line saying where the full text is. None when there is nothing smaller to send."""
    text = args.get("text") or ""
    if "blocks" not in args and slack_length(text) <= SECTION_TEXT_LIMIT:
        return None
    short = cut(text, SECTION_TEXT_LIMIT) if not is_blank(text) else "(This message could not be shown.)"
    kept = {key: args[key] for key in ("channel", "ts", "thread_ts", "metadata") if key in args}
    return {
        **kept,
        "text": short,
        "blocks": [
            {"type": "section", "text": _mrkdwn(short)},
            {"type": "context", "elements": [_mrkdwn(REDUCED_NOTE)]},
        ],
    }


def build_refusal_note(
    what: str, channel_id: str | None, error: str, *, reduced: bool, ticket_number: int | None
) -> str:
    """For triage: Slack refused a post (`what` is an outbox kind), and whether a shortened one went
    out; or, for a PagerDuty page or a webhook (`what` "page" / "webhook"), that the receiver
    refused it for good (`error`: "HTTP 400 from host")."""
    if what == "page":
        about = f" for ticket #{ticket_number}" if ticket_number is not None else ""
        return (
            f":rotating_light: PagerDuty refused the page{about} (`{fit_escaped(error, 100)}`): nobody was paged."
            " Page the on-call by hand, and check SUPPORT_PAGERDUTY_ROUTING_KEY (or the area's"
            " `pagerduty_routing_key` in SUPPORT_ROUTING_FILE)."
        )
    if what == "webhook":
        return (
            f":warning: The webhook receiver refused ticket events (`{fit_escaped(error, 100)}`); a refused"
            " event is not sent again. Check SUPPORT_WEBHOOK_URL and the receiver's logs (this note comes"
            " at most once a day)."
        )
    thing = REFUSED_POSTS.get(what, "a message")
    about = f" for ticket #{ticket_number}" if ticket_number is not None else ""
    where = f" in <#{channel_id}>" if channel_id and channel_id[:1] in "CG" else ""
    outcome = (
        "A shortened version was posted instead; the full text is in the ticket export."
        if reduced
        else "Nothing was posted: please follow up there directly."
    )
    return f":warning: Slack refused {thing}{about}{where} (`{fit_escaped(error, 100)}`). {outcome}"


ASSIGN_REASONS = {"round_robin": "your turn in the rotation", "cs_owner": "you are the customer's CS owner"}


def build_assigned_dm(ticket: TicketInfo, link: str | None, reason: str) -> str:
    """The DM to someone the bot assigned a ticket to (`reason`: the area's policy, "round_robin"
    or "cs_owner"; `link`: the ticket's thread, None if it has none yet)."""
    why = ASSIGN_REASONS.get(reason, reason)
    title = escape_text(_truncate(ticket.title, 200))
    where = f"<{link}|Open the thread>" if link else f"in <#{ticket.channel_id}>"
    return (
        f":inbox_tray: You were assigned ticket #{ticket.number} ({severity_name(ticket.severity)}): *{title}* "
        f"({why}). {where}"
    )


def assignment_problem(problem: str, who: str | None) -> str:
    """Why nobody was assigned, for triage: `problem` is one of tickets/assignment.py's reasons or
    Slack's error code; `who` the group or person asked about. Never a mention (no one is pinged)."""
    named = f"`{who}`" if who else "the area's on-call"
    if problem == "empty_group":
        return f"the user group {named} has no active members"
    if problem == "no_group":
        return "the area's policy is round_robin but it has no on-call group (`oncall`), nor SUPPORT_ONCALL"
    if problem == "inactive_user":
        return f"{named} is deactivated, a bot, or unknown to Slack"
    if problem == "no_such_subteam":
        return f"Slack knows no user group {named} (`no_such_subteam`): check the routing file's `oncall`"
    if problem == "missing_scope":
        return "the app lacks the `usergroups:read` scope (`missing_scope`): reinstall it with the current manifest"
    return f"Slack refused to list {named} (`{problem}`)"


def oncall_mention(oncall: str | None) -> str:
    """`<!subteam^S…>` for a user group, `<@U…>` for a user: configured by staff, never typed by a customer."""
    if not oncall:
        return ""
    return f"<!subteam^{oncall}> " if oncall.startswith("S") else f"<@{oncall}> "


def build_welcome() -> tuple[str, Blocks]:
    """Posted when the bot joins a customer channel: how to file a ticket, with a button."""
    text = (
        ":wave: Hi! I help this channel's support run smoothly. To report a problem or ask for help, "
        "press *File a ticket* below (anyone in this channel can), type `/ticket` if your workspace "
        "has the app installed, or react to any message with :ticket:. "
        "Every ticket gets a thread here, and the team is notified straight away."
    )
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(text)},
        {
            "type": "actions",
            "elements": [
                {
                    "type": "button",
                    "action_id": ids.FILE_TICKET_BUTTON,
                    "text": _plain("File a ticket"),
                    "style": "primary",
                    "value": "open",
                }
            ],
        },
    ]
    return "Hi! Press File a ticket (or type /ticket) to report a problem.", blocks


NOT_A_CUSTOMER_CHANNEL = (
    "Tickets are filed in a support channel that I am a member of. "
    "Run `/ticket` there, or ask your account team to add me to your shared channel."
)
TICKET_SAVE_FAILED = "We could not save your ticket just now. Please press File ticket again in a moment."
MODAL_OPEN_FAILED = (
    "Sorry, I could not open the form just now (Slack did not answer in time). Please try again in a few seconds."
)

# --- Channels: which are customer channels ----------------------------------------------------
TRIAGE_IS_NOT_FOR_TICKETS = "This is the triage channel; file tickets from a customer channel."
CHANNEL_NOT_SET_UP = (
    "This channel is not set up for tickets yet: the support team has been asked whether it is a "
    "customer channel. Try again once they have chosen."
)
CHANNEL_CHOICE_STAFF_ONLY = "Only the support team can choose what this channel is used for."
CHANNEL_CHOICE_BOT_GONE = "I am no longer in that channel, so there is nothing to set up."
MENTION_IN_TRIAGE = (
    "Mentions in the triage channel don't file tickets: customers file them in their channel. "
    "To work on a ticket here, use the buttons on its card."
)
GONE_REASONS = {"archived": "was archived", "removed": "no longer has me in it", "deleted": "was deleted"}
GONE_NOTE_MAX_TICKETS = 40


def build_channel_question(channel_id: str, asked_user: str | None) -> tuple[str, Blocks]:
    """Is a channel that is not shared with another org a customer channel? Asked privately of the
    person who added the bot, or in triage if Slack did not say who. The buttons carry the channel id."""
    if asked_user:
        text = (
            f"Thanks for adding me to <#{channel_id}>. It is not shared with another organisation, so I "
            "won't treat it as a customer channel unless the support team says so. Is it one?"
        )
    else:
        text = (
            f"I was added to <#{channel_id}>, which is not shared with another organisation (Slack did not "
            "say by whom). It gets no welcome and no tickets until someone on the team chooses:"
        )
    buttons = [
        {
            "type": "button",
            "action_id": ids.CHANNEL_USE_AS_CUSTOMER,
            "text": _plain("Use as a customer channel"),
            "style": "primary",
            "value": channel_id,
        },
        {
            "type": "button",
            "action_id": ids.CHANNEL_MARK_INTERNAL,
            "text": _plain("Internal, ignore"),
            "value": channel_id,
        },
    ]
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(text)},
        {"type": "actions", "block_id": ids.CHANNEL_CHOICE_BLOCK, "elements": buttons},
    ]
    return f"Is <#{channel_id}> a customer channel?", blocks


def build_channel_choice_made(channel_id: str, customer: bool, user_id: str) -> str:
    """What replaces the question once staff have chosen."""
    if customer:
        return (
            f":white_check_mark: <@{user_id}> set up <#{channel_id}> as a customer channel: "
            "I have posted the welcome there."
        )
    return f":zipper_mouth_face: <@{user_id}> marked <#{channel_id}> as internal: I will stay quiet there."


def build_channel_gone_note(channel_id: str, name: str, reason: str, tickets: list[TicketInfo]) -> str:
    """Told to triage once when a customer channel is archived, the bot removed, or deleted."""
    label = f"#{escape_text(name)}" if name else f"<#{channel_id}>"
    text = (
        f":file_cabinet: Customer channel {label} {GONE_REASONS.get(reason, 'is gone')}: "
        "I can't post there, so there are no more SLA warnings or pages for its tickets."
    )
    if not tickets:
        return text + " No tickets were open there."
    lines = [
        f"• #{t.number} ({severity_name(t.severity)}, {STATUS_LABELS.get(t.status, t.status.value)}): "
        f"{escape_text(_truncate(t.title, 120))}"
        for t in tickets[:GONE_NOTE_MAX_TICKETS]
    ]
    if len(tickets) > GONE_NOTE_MAX_TICKETS:
        lines.append(f"…and {len(tickets) - GONE_NOTE_MAX_TICKETS} more.")
    return text + f" Open there ({len(tickets)}):\n" + "\n".join(lines)


# -- intake, ask mode (issue 16) ------------------------------------------------------------------
ASK_VALUE_LIMIT = 1900  # a button's value: 2,000


@dataclass(frozen=True)
class AskedMessage:
    """The message a "Track this as a ticket?" is about, carried in its buttons' value: its author
    (only they may answer), its ts (the ticket links to it) and its plain text (the form is filled
    in from it without reading the message back from Slack while the click's trigger ticks)."""

    author_id: str
    ts: str
    text: str = ""

    def encode(self, limit: int = ASK_VALUE_LIMIT) -> str:
        """JSON within `limit` Slack characters: a long text is cut (the form's description is
        then the message's first ~1,800 characters; the ticket still links to the whole message)."""

        def value(text: str) -> str:
            return json.dumps({"u": self.author_id, "m": self.ts, "t": text}, ensure_ascii=False)

        raw = value(self.text)
        if slack_length(raw) <= limit:
            return raw
        # The longest cut that fits (JSON escapes make a character cost 1 to 6): a binary search.
        low, high = 0, slack_length(self.text)
        while low < high:
            middle = (low + high + 1) // 2
            if slack_length(value(cut(self.text, middle))) <= limit:
                low = middle
            else:
                high = middle - 1
        return value(cut(self.text, low) if low else "")

    @staticmethod
    def decode(raw: str | None) -> AskedMessage | None:
        try:
            data = json.loads(raw or "")
            author, ts = data["u"], data["m"]
            if not isinstance(author, str) or not isinstance(ts, str) or not author or not ts:
                return None
            text = data.get("t") or ""
            return AskedMessage(author, ts, text if isinstance(text, str) else "")
        except (ValueError, KeyError, TypeError):
            return None


def build_ask_to_track(asked: AskedMessage) -> tuple[str, Blocks]:
    """The private question to a customer whose message (`asked`) is not tracked yet (ask mode).
    "Open ticket" carries the message; "No thanks" only who and which."""
    from ui.messages import ASK_NO_THANKS, ASK_OPEN_TICKET, ASK_TO_TRACK, ASK_TO_TRACK_FALLBACK

    buttons = [
        {
            "type": "button",
            "action_id": ids.ASK_OPEN_TICKET,
            "text": _plain(ASK_OPEN_TICKET),
            "style": "primary",
            "value": asked.encode(),
        },
        {
            "type": "button",
            "action_id": ids.ASK_NO_THANKS,
            "text": _plain(ASK_NO_THANKS),
            "value": AskedMessage(asked.author_id, asked.ts).encode(),
        },
    ]
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(ASK_TO_TRACK)},
        {"type": "actions", "block_id": ids.ASK_BLOCK, "elements": buttons},
    ]
    return ASK_TO_TRACK_FALLBACK, blocks
