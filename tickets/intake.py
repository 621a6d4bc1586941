"""Intake: which customer messages become conversations, and which are only noise.

A customer channel has an intake mode (`IntakeMode`). In `all`, every substantive top-level
customer message starts a conversation (a ticket with source "message"); in `ask`, its author is
asked privately whether to track it; in `explicit`, only the explicit ways in file tickets.

`is_noise` is the small rule that keeps pleasantries and acknowledgements ("thanks!", "ok",
"+1", an emoji alone) from becoming conversations. It reads plain text (tickets/slack_text.py's
`plain_text` of the wire format), needs no service, and errs towards tracking: anything with a
word outside its short vocabulary is substantive. Pure functions, no I/O.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum

from tickets.slack_text import visible

CONVERSATION_SOURCE = "message"  # a ticket's `source` when it started as a customer's plain message
HEARD_EMOJI = "eyes"  # the bot's reaction on a tracked customer message
RESOLVED_EMOJI = "white_check_mark"  # replaces it when the conversation is resolved


class IntakeMode(StrEnum):
    ALL = "all"  # every substantive top-level customer message starts a conversation
    ASK = "ask"  # the author is asked privately: "Track this as a ticket?"
    EXPLICIT = "explicit"  # only /ticket, the button, 🎫, the shortcut and mentions file tickets


INTAKE_MODE_LABELS = {
    IntakeMode.ALL: "every customer message is tracked",
    IntakeMode.ASK: "customers are asked whether to track a message",
    IntakeMode.EXPLICIT: "only tickets filed on purpose are tracked",
}

# Words that, alone or together, only acknowledge or greet: "ok thanks!", "got it, cheers".
_PLEASANTRIES = frozenset(
    """
    thanks thank thx ty tysm tyvm thankyou thnx thanx cheers ta much many lot lots so very you u all guys team
    ok okay k kk okey okie alright aight fine cool great perfect awesome nice sweet excellent amazing brilliant
    lovely wonderful good super neat gotcha got it will do noted understood makes sense sounds sound
    yes yep yeah yup sure no nope np worries problem problemo welcome again
    lgtm ack roger done fixed works working now that that's thats it's its all
    hi hello hey hiya howdy morning evening afternoon gm bye later ciao
    appreciate appreciated it haha lol hah ha hehe wow oh ah yay woohoo
    """.split()  # noqa: SIM905 - a vocabulary reads better as words
)
_NOISE_MAX_WORDS = 6  # a longer run of pleasantries is probably saying something
_EMOJI_CODE = re.compile(r":[a-z0-9_+'\-]+:(?::skin-tone-\d:)?", re.IGNORECASE)
_WORD = re.compile(r"[a-z0-9']+")
_MENTION = re.compile(r"@[\w.\-]+")  # "@alice thanks!" thanks a person: the mention adds nothing


def is_noise(text: str | None) -> bool:
    """True if a message (plain text) only acknowledges, greets or reacts.

    Noise: nothing visible; only emoji (`:tada:` codes or Unicode pictographs) and punctuation
    other than "?" (a bare "??" nudges: it asks); a mention with no words ("@alice") calls someone;
    "+1" or "-1"; or at most six words that are all pleasantries ("thanks!", "thank you so much",
    "ok", "got it", "sounds good 👍", "hi team", "@alice thanks!"). Anything else, including any
    question mark, a number, a link or a channel, is substantive.
    """
    clean = visible(text).lower()
    if not clean:
        return True
    clean = _EMOJI_CODE.sub(" ", clean)
    if _MENTION.search(clean) and not _WORD.search(_MENTION.sub(" ", clean)):
        return False  # only "@alice" (or "@here"): calling someone, not thanking them
    clean = _MENTION.sub(" ", clean)
    if "?" in clean:
        return False  # "ok?" asks something; "??" alone is a customer asking where the answer is
    words = _WORD.findall(clean.replace("’", "'"))
    leftover = _WORD.sub(" ", clean.replace("’", "'"))
    if any(ch.isalnum() for ch in leftover):  # letters outside a-z (another script): substantive
        return False
    if "http" in words or "https" in words or any(ch in leftover for ch in "#/<>"):
        return False
    if not words:
        return True  # emoji, punctuation, "+1"
    if words == ["1"]:
        return clean.replace(" ", "") in ("+1", "-1")  # a vote; a bare "1" may answer a question
    if len(words) > _NOISE_MAX_WORDS:
        return False
    return all(word in _PLEASANTRIES for word in words)


def joins_conversation(last_message_at: datetime | None, posted_at: datetime, window: timedelta) -> bool:
    """Whether a customer's top-level message posted at `posted_at` joins their conversation whose
    latest top-level message was at `last_message_at` (None: they have no open conversation):
    within `window` of it, and not before it (an out-of-order delivery still joins)."""
    if last_message_at is None:
        return False
    return posted_at - last_message_at <= window
