"""What the bot says to one person about their ticket, rating, 🎫, mention or form: plain strings
(Slack mrkdwn) and small pure builders. The use cases in services/ choose one; listeners send it."""

from __future__ import annotations

from datetime import timedelta

# -- who may do what ------------------------------------------------------------------------------
WHO_ARE_YOU_UNKNOWN = (
    "I couldn't check who you are just now (Slack didn't answer), so nothing changed. Try again in a moment."
)
STAFF_ONLY = "Only the support team can change a ticket. Reply in the ticket's thread and they will pick it up."
CS_OWNER_NOT_STAFF = "Pick someone on our team: the CS owner gets the onboarding reminders."
ASSIGNEE_NOT_STAFF = "Tickets can only be assigned to someone on the support team, so nothing was changed."
NOT_THIS_CHANNEL = "That ticket does not belong to this channel, so nothing was changed."
PICK_AN_AREA = "Pick one of the product areas."
RATINGS_ARE_FOR_CUSTOMERS = "Ratings are for the customer: thanks for closing the loop!"

# -- a conversation (a customer's plain message the bot tracks, issue 16) ---------------------------
ONLY_CONVERSATIONS_ARE_NOISE = (
    "Only a conversation (a customer message the bot tracked by itself) can be closed as not a ticket. "
    "Resolve this one instead."
)
SEVERITY_IS_THE_AUTHORS = "Only the person who wrote that message can set its severity here."
CONVERSATION_CLOSED = "That is closed now. Write in its thread if you still need help, and it reopens."
CUSTOMER_SEVERITY_REASON = "set by the customer"  # the audit trail's reason for a customer's severity

# -- a ticket from a message (🎫, the Create-ticket shortcut, a mention) ----------------------------
OWN_MESSAGE_NO_TICKET = (
    "That is one of my own messages, so it can't become a ticket. "
    "To report a problem, use /ticket or the “File a ticket” button, or 🎫 the message that describes it."
)
MESSAGE_GONE = "I couldn't find that message (was it deleted?), so no ticket was filed."
MENTION_HELP = (
    "Tell me what is wrong after the mention, e.g. “@support dashboards won't load”, and I will file a ticket."
)

# -- forms ------------------------------------------------------------------------------------------
PICK_A_SEVERITY = "Please pick a severity."
TICKET_FORM_EXPIRED = "This form has expired. Please close it and file the ticket again."
ONBOARD_FORM_EXPIRED = "This form has expired. Please run /onboard again."
PICK_A_CLOUD = "Please pick a cloud provider."
PICK_A_PLAN = "Please pick a plan."
SAVE_FAILED = "That could not be saved just now. Please press the button again in a moment."
PLAIN_HTTPS_LINK = "Use a plain https:// link."


def already_a_ticket(number: int) -> str:
    """A 🎫 on a message that is already ticket `number`."""
    return f"That message is already ticket #{number}: follow it in the ticket's thread."


def already_a_ticket_short(number: int) -> str:
    """The Create-ticket shortcut on a message that is already ticket `number`."""
    return f"That message is already ticket #{number}."


def card_of_ticket(number: int) -> str:
    """A 🎫 (or the shortcut) on the card of ticket `number`, not on a message of the customer's."""
    return f"That is the card of ticket #{number}: reply in its thread to add to it."


def severity_already_set(number: int, label: str) -> str:
    """The customer's Set severity on conversation `number`, which has one (`label`) already."""
    return f"#{number} is already marked {label}. To change that, say so in its thread and the team will."


def action_refused(problem: str) -> str:
    """A card button the workflow does not allow now (`problem`: the workflow's words, no period)."""
    return f"That did not change the ticket: {problem}."


def severity_refused(problem: str) -> str:
    """The severity form's error for a change the workflow does not allow (`problem`: its words)."""
    return f"{problem}".capitalize() + "."


# -- intake (issue 16): ask mode's private question, and the staff control `/ticket intake` ----------
ASK_TO_TRACK = "Track this as a ticket? The support team will follow it up with you here."
ASK_TO_TRACK_FALLBACK = "Track this as a ticket? · Open ticket · No thanks"
ASK_OPEN_TICKET = "Open ticket"
ASK_NO_THANKS = "No thanks"
ASK_NOT_YOURS = "That question was for the person who wrote the message."
ASK_OUT_OF_DATE = "That button is out of date. Use /ticket, or 🎫 the message, to file a ticket."
INTAKE_STAFF_ONLY = "Only the support team can change how this channel's messages are tracked."
INTAKE_COMMAND = "intake"  # `/ticket intake [all|ask|explicit]`


def intake_mode_status(
    channel_id: str, current: str, is_default: bool, labels: dict[str, str], changed_by: str | None = None
) -> str:
    """`/ticket intake`'s answer: the channel's intake mode (`current`, from the SUPPORT_INTAKE
    default if `is_default`), or that `changed_by` just set it, and the three choices (`labels`:
    mode -> what it means, in order)."""
    if changed_by:
        head = f"<@{changed_by}> set intake in <#{channel_id}> to *{current}*: {labels[current]}."
    else:
        default = " (the default)" if is_default else ""
        head = f"Intake in <#{channel_id}> is *{current}*{default}: {labels[current]}."
    choices = "\n".join(f"• `/ticket intake {mode}`: {meaning}" for mode, meaning in labels.items())
    return f"{head}\nChange it with:\n{choices}"


def intake_usage(labels: dict[str, str]) -> str:
    """`/ticket intake <word>` (staff) with a word that is not a mode."""
    modes = ", ".join(f"`{mode}`" for mode in labels)
    return f"That is not an intake mode. Use one of {modes}, or `/ticket intake` to see the current one."


# -- a ticket waiting on the customer (issue 18) ------------------------------------------------------
def _in_words(delta: timedelta) -> str:
    """'2 days', '1 day', '3 hours', '20 minutes', '5 seconds': in the largest unit it holds a whole
    one of, rounded to the nearest (an alarm fires a little late: 1 d 23 h 59 min is '2 days')."""
    seconds = max(0.0, delta.total_seconds())
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60), ("second", 1)):
        if seconds >= size or unit == "second":
            count = max(1, round(seconds / size)) if seconds else 0
            return f"{count} {unit}{'' if count == 1 else 's'}"
    raise AssertionError("unreachable")


def pending_reminder(number: int, reporter_id: str, closes_in: timedelta) -> str:
    """Posted in the thread of ticket `number` when it has waited on the customer (`reporter_id`)
    for a while; `closes_in` is how long until it is closed if nobody replies."""
    return (
        f"Hi <@{reporter_id}>, just checking in on ticket #{number}: do you still need help with this? "
        f"Reply here and the team will pick it up. If we don't hear from you, "
        f"we'll close it in {_in_words(closes_in)}."
    )


def pending_closed(number: int, reporter_id: str, waited: timedelta) -> str:
    """Posted in the thread of ticket `number` when it was closed because no reply came in `waited`."""
    return (
        f"Hi <@{reporter_id}>, we've closed ticket #{number} because we haven't heard back "
        f"in {_in_words(waited)}. If you still need help, just reply here and it reopens."
    )
