"""Block Kit builders for onboarding: the /onboard modal, the shared checklist, A-team guidance, nudges.

Pure functions from plain values to Slack payloads. Company names and links are treated as untrusted:
company names go through `escape_text`, links must be plain http(s) URLs or they are left out.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from onboarding.checklist import Checklist, StepRecord, StepState, clean_payment_link, progress
from onboarding.customer import (
    CLOUD_PROVIDER_LABELS,
    COMPANY_MAX,
    DEDICATED_SLACK_MIN_MONTHLY_SPEND,
    PLAN_LABELS,
    Plan,
)
from onboarding.reminders import DASHBOARD_CALL_AGENDA
from onboarding.steps import A_TEAM_KEEP_IT_SMALL, A_TEAM_ROLES, INGESTION_READY, ONBOARDING_STEPS, StepDefinition
from tickets.slack_text import cut, slack_length
from ui import ids
from ui.blocks import SECTION_TEXT_LIMIT, Blocks, ModalContext, _mrkdwn, _plain, _truncate, escape_text

ONBOARD_SOURCE = "onboard"
PAYMENT_LINK_SOURCE = "payment_link"
_SLACK_USER_ID = re.compile(r"[UW][A-Z0-9]{2,}")


def _company(company: str) -> str:
    return escape_text(_truncate((company or "").strip(), COMPANY_MAX)) or "this customer"


def _mention(user_id: str | None) -> str | None:
    if not user_id:
        return None
    return f"<@{user_id}>" if _SLACK_USER_ID.fullmatch(user_id) else escape_text(user_id)


def _day(at: datetime) -> str:
    """The calendar day, in UTC when the time is zone-aware."""
    return (at.astimezone(UTC) if at.tzinfo else at).strftime("%Y-%m-%d")


def _button(action_id: str, label: str, value: str, style: str | None = None) -> dict[str, Any]:
    button: dict[str, Any] = {"type": "button", "action_id": action_id, "text": _plain(label), "value": value}
    if style:
        button["style"] = style
    return button


def _static_select(action_id: str, placeholder: str, labels: dict[Any, str]) -> dict[str, Any]:
    return {
        "type": "static_select",
        "action_id": action_id,
        "placeholder": _plain(placeholder),
        "options": [{"text": _plain(_truncate(label, 75)), "value": str(key)} for key, label in labels.items()],
    }


def _text_input(
    block_id: str, label: str, placeholder: str, *, optional: bool = False, hint: str | None = None
) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "input",
        "block_id": block_id,
        "optional": optional,
        "label": _plain(label),
        "element": {
            "type": "plain_text_input",
            "action_id": block_id,
            "max_length": 30,
            "placeholder": _plain(placeholder),
        },
    }
    if hint:
        block["hint"] = _plain(hint)
    return block


def build_onboard_modal(channel_id: str, default_owner: str) -> dict[str, Any]:
    """The /onboard modal: the customer's facts from the sales conversation, and who owns the onboarding."""
    company = _text_input(ids.ONBOARD_COMPANY_BLOCK, "Company name", "Acme Inc.")
    company["element"]["max_length"] = COMPANY_MAX
    owner_element: dict[str, Any] = {
        "type": "users_select",
        "action_id": ids.ONBOARD_OWNER_BLOCK,
        "placeholder": _plain("Who owns this onboarding"),
    }
    if default_owner:
        owner_element["initial_user"] = default_owner
    volume_hint = "Approximate is fine. Give monthly events, MAUs, or both."
    return {
        "type": "modal",
        "callback_id": ids.ONBOARD_MODAL,
        "private_metadata": ModalContext(channel_id, ONBOARD_SOURCE).encode(),
        "title": _plain("Onboard a customer"),
        "submit": _plain("Start onboarding"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "section",
                "text": _mrkdwn(
                    f"This starts the onboarding checklist in <#{channel_id}>. "
                    "Fill in what you learned in the sales conversation."
                ),
            },
            company,
            _text_input(ids.ONBOARD_EVENTS_BLOCK, "Monthly events", "1,000,000", optional=True, hint=volume_hint),
            _text_input(ids.ONBOARD_MAUS_BLOCK, "Monthly active users (MAUs)", "50,000", optional=True),
            {
                "type": "input",
                "block_id": ids.ONBOARD_CLOUD_BLOCK,
                "label": _plain("Cloud provider"),
                "element": _static_select(ids.ONBOARD_CLOUD_BLOCK, "Pick one", CLOUD_PROVIDER_LABELS),
            },
            {
                "type": "input",
                "block_id": ids.ONBOARD_PLAN_BLOCK,
                "label": _plain("Plan"),
                "element": _static_select(ids.ONBOARD_PLAN_BLOCK, "Pick one", PLAN_LABELS),
            },
            _text_input(
                ids.ONBOARD_SPEND_BLOCK,
                "Monthly spend (USD)",
                "2,500",
                hint=f"A dedicated channel is for Enterprise, or from ${DEDICATED_SLACK_MIN_MONTHLY_SPEND:,}/month.",
            ),
            {
                "type": "input",
                "block_id": ids.ONBOARD_OWNER_BLOCK,
                "label": _plain("CS owner"),
                "element": owner_element,
            },
        ],
    }


def build_payment_link_modal(channel_id: str, current_link: str | None = None) -> dict[str, Any]:
    """The modal behind "Add payment link" on step 7: one URL field."""
    element: dict[str, Any] = {
        "type": "url_text_input",
        "action_id": ids.PAYMENT_LINK_BLOCK,
        "placeholder": _plain("https://buy.stripe.com/…"),
    }
    link = clean_payment_link(current_link)
    if link:
        element["initial_value"] = link
    return {
        "type": "modal",
        "callback_id": ids.PAYMENT_LINK_MODAL,
        "private_metadata": ModalContext(channel_id, PAYMENT_LINK_SOURCE).encode(),
        "title": _plain("Payment link"),
        "submit": _plain("Save link"),
        "close": _plain("Cancel"),
        "blocks": [
            {
                "type": "input",
                "block_id": ids.PAYMENT_LINK_BLOCK,
                "label": _plain("Payment link for the customer"),
                "hint": _plain("It is shown on step 7 of the checklist, in the customer channel."),
                "element": element,
            }
        ],
    }


def _state_line(record: StepRecord) -> str:
    if record.state == StepState.PENDING:
        return ":white_circle: Not done yet"
    emoji, verb = (":white_check_mark:", "Done") if record.state == StepState.DONE else (":no_entry_sign:", "Declined")
    line = f"{emoji} {verb}"
    who = _mention(record.by)
    if who:
        line += f" by {who}"
    if record.at:
        line += f" on {_day(record.at)}"
    return line


def _link_line(link: str) -> str:
    return f":link: <{link.replace('&', '&amp;')}|Payment link>"


def _step_buttons(step: StepDefinition, record: StepRecord, link_button: str | None = None) -> list[dict[str, Any]]:
    value = str(step.number)
    if link_button:  # a url button (≤ 3,000 characters, not escaped): the link did not fit the text
        buttons = [{**_button(ids.PAYMENT_LINK_VISIT_BUTTON, "Open payment link", value), "url": link_button}]
    else:
        buttons = []
    if record.state != StepState.PENDING:
        return [_button(ids.STEP_UNDO_BUTTON, "Undo", value), *buttons]
    return [*_pending_buttons(step, record, value), *buttons]


def _pending_buttons(step: StepDefinition, record: StepRecord, value: str) -> list[dict[str, Any]]:
    buttons = [_button(ids.STEP_MARK_DONE_BUTTON, "Mark done", value, "primary")]
    if step.can_decline:
        buttons.append(_button(ids.STEP_DECLINE_BUTTON, "Decline", value))
    if step.accepts_link:
        label = "Change payment link" if clean_payment_link(record.link) else "Add payment link"
        buttons.append(_button(ids.PAYMENT_LINK_BUTTON, label, value))
    return buttons


def _step_blocks(step: StepDefinition, record: StepRecord) -> Blocks:
    """The step's text and its buttons. A payment link goes in the text if it fits after escaping
    (Slack's 3,000 counts `&amp;` as 5), else on a url button, whose url is not escaped."""
    lines = [f"*{step.number}. {step.title}*", step.meaning]
    link = clean_payment_link(record.link) if step.number == INGESTION_READY else None
    owner = f"_Owner: {step.owner}_  ·  {_state_line(record)}"
    link_button = None
    if link and slack_length("\n".join([*lines, _link_line(link), owner])) <= SECTION_TEXT_LIMIT:
        lines.append(_link_line(link))
    elif link:
        lines.append(":link: Payment link: *Open payment link* below")
        link_button = link
    lines.append(owner)
    return [
        {
            "type": "section",
            "block_id": f"onboarding_text_{step.number}",
            "text": _mrkdwn(cut("\n".join(lines), SECTION_TEXT_LIMIT)),
        },
        {
            "type": "actions",
            "block_id": f"{ids.ONBOARD_STEP_BLOCK_PREFIX}{step.number}",
            "elements": _step_buttons(step, record, link_button),
        },
    ]


def progress_line(checklist: Checklist) -> str:
    """The checklist's progress, like "3 of 5 done", noting declined steps (they count as settled)."""
    settled, total = progress(checklist)
    declined = sum(1 for record in checklist.values() if record.state == StepState.DECLINED)
    return f"{settled} of {total} done" + (f" ({declined} declined)" if declined else "")


def build_checklist(company: str, checklist: Checklist, started_at: datetime) -> tuple[str, Blocks]:
    """The shared onboarding checklist: a progress line, then each step with its state and buttons."""
    name = _company(company)
    summary = progress_line(checklist)
    blocks: Blocks = [
        {"type": "section", "text": _mrkdwn(f"*Onboarding checklist for {name}*: {summary}")},
        {
            "type": "context",
            "elements": [_mrkdwn(f"Started {_day(started_at)}. The PostHog team ticks steps off here as they happen.")],
        },
    ]
    for step in ONBOARDING_STEPS:
        blocks.append({"type": "divider"})
        blocks.extend(_step_blocks(step, checklist[step.number]))
    return f"Onboarding checklist for {name}: {summary}", blocks


def build_a_team_guidance() -> tuple[str, Blocks]:
    """Who the customer should bring into the channel (step 5), posted with the checklist."""
    roles = "\n".join(f"• {role.role}" + (" (if relevant)" if role.only_if_relevant else "") for role in A_TEAM_ROLES)
    blocks: Blocks = [
        {
            "type": "section",
            "text": _mrkdwn(
                "*Bring your A-team* :busts_in_silhouette:\n"
                "You talk directly to the engineers building PostHog here. From your side, we suggest adding:"
            ),
        },
        {"type": "section", "text": _mrkdwn(roles)},
        {"type": "context", "elements": [_mrkdwn(A_TEAM_KEEP_IT_SMALL)]},
    ]
    return "Bring your A-team: engineering, data, product, 2–3 power users. Keep the group small.", blocks


def build_nudge(
    company: str, channel_id: str, started_at: datetime, nudge_number: int, max_count: int
) -> tuple[str, Blocks]:
    """A DM to the CS owner: the dashboard-setup call (step 8) is not booked yet, and what it should cover."""
    name = _company(company)
    agenda = "\n".join(f"• *{item.topic}*: {item.detail}" for item in DASHBOARD_CALL_AGENDA)
    blocks: Blocks = [
        {
            "type": "section",
            "text": _mrkdwn(
                f":calendar: The dashboard-setup call with *{name}* (<#{channel_id}>) is not booked yet. "
                f"Onboarding started {_day(started_at)}. Ask for at least one product manager from their side."
            ),
        },
        {"type": "section", "text": _mrkdwn(f"*What the call should cover*\n{agenda}")},
        {
            "type": "actions",
            "block_id": "onboarding_nudge_actions",
            "elements": [
                _button(ids.DASHBOARD_CALL_BOOKED_BUTTON, "Mark dashboard call booked", channel_id, "primary")
            ],
        },
        {
            "type": "context",
            "elements": [
                _mrkdwn(
                    f"Reminder {nudge_number} of {max_count}."
                    + (" This is the last one." if nudge_number >= max_count else "")
                )
            ],
        },
    ]
    return f"Reminder: book the dashboard-setup call with {name} (<#{channel_id}>).", blocks


def build_channel_size_warning(channel_id: str, count: int, max_members: int) -> str:
    """For staff: the customer's side of the channel has grown past the suggested A-team size."""
    return (
        f":busts_in_silhouette: <#{channel_id}> now has {count} people from the customer's side, "
        f"more than the {max_members} we suggest. A bigger group tends to add noise; "
        "you may want to suggest keeping it to their A-team."
    )


def build_spend_note(spend: int, plan: Plan) -> str:
    """For staff (ephemeral): the customer is under the dedicated-Slack spend threshold; onboarding goes ahead."""
    return (
        f"Note: ${spend:,}/month on {PLAN_LABELS[plan]} is under the "
        f"${DEDICATED_SLACK_MIN_MONTHLY_SPEND:,}/month we usually ask for a dedicated Slack channel. "
        "Onboarding has started anyway."
    )


ONBOARD_STAFF_ONLY = (
    "Onboarding is started by the PostHog team. If you are expecting it, let us know in this channel "
    "and someone will set it up."
)
STEP_BUTTONS_STAFF_ONLY = (
    "Thanks! Steps are ticked off by the PostHog team. Tell us in this channel when your part is done "
    "and we will mark it."
)
STEP_BUTTON_OUT_OF_DATE = "That button is out of date. Run /onboard to get the current checklist."
NO_ONBOARDING_HERE = "There is no onboarding in that channel any more."


def build_onboarding_under_way(company: str) -> str:
    """/onboard in a channel already onboarding: its checklist was posted again instead."""
    return f"Onboarding for {escape_text(company)} is already under way: I have posted its current checklist again."


def build_step_refused(problem: str) -> str:
    """A step button asked for a change the checklist does not allow (`problem`: the rule's words)."""
    return f"That step cannot be changed that way ({problem})."


def build_dashboard_call_booked(channel_id: str) -> str:
    """The CS owner's nudge button: step 8's call is booked, so the nudges stop."""
    return f"Marked the dashboard-setup call as booked for <#{channel_id}>. No more reminders."


def build_scaling_checkin(company: str, channel_id: str, month: int) -> tuple[str, Blocks]:
    """A DM to the CS owner at month 1 and 2 of onboarding: is the instance sized right yet (step 6)?"""
    name = _company(company)
    text = (
        f":straight_ruler: It is month {month} of onboarding for *{name}* (<#{channel_id}>). "
        "The first one or two months are for sizing their instance: check the implementation project "
        "for lag or errors, and whether the instance is now the size they need — no bigger."
    )
    return f"Month {month} scaling check-in for {name}", [{"type": "section", "text": _mrkdwn(text)}]
