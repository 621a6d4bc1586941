"""The pretend Slack the demo shows: our workspace, two customers' organisations in Slack Connect
channels, the triage channel, three people a visitor can be, and the settings that point the real
bot at it. Made-up ids and credentials only; nothing here reaches Slack.
"""

from __future__ import annotations

from dataclasses import dataclass

from fakeslack.signing import bot_env
from fakeslack.workspace import BOT_USER, HOST_TEAM

GLOBEX_TEAM = "T0GLOBEX"
INITECH_TEAM = "T0INITECH"
GLOBEX_CHANNEL = "C0GLOBEX"
INITECH_CHANNEL = "C0INITECH"
TRIAGE_CHANNEL = "C0TRIAGE"
HOME = "home"
"""The sidebar id of the bot's App Home."""


@dataclass(frozen=True)
class Person:
    """Someone in the pretend Slack: `team` is their organisation's workspace id."""

    user: str
    name: str
    title: str
    team: str
    staff: bool


@dataclass(frozen=True)
class Persona:
    """Who the visitor is on the page ("customer", "engineer", "cs")."""

    id: str
    person: Person
    sees: tuple[str, ...]  # the channels in their sidebar, in order


DANA = Person("U0DANA", "Dana Reyes", "Customer, data lead at Globex", GLOBEX_TEAM, staff=False)
LEE = Person("U0LEE", "Lee Chen", "Customer, engineer at Initech", INITECH_TEAM, staff=False)
SAM = Person("U0SAM", "Sam Okafor", "Support engineer", HOST_TEAM, staff=True)
PRIYA = Person("U0PRIYA", "Priya Shah", "Customer success (CS owner)", HOST_TEAM, staff=True)
PEOPLE = (DANA, LEE, SAM, PRIYA)

CHANNELS = {
    GLOBEX_CHANNEL: ("ext-globex", "Slack Connect channel with Globex", True),
    INITECH_CHANNEL: ("ext-initech", "Slack Connect channel with Initech", True),
    TRIAGE_CHANNEL: ("support-triage", "Every ticket, mirrored for the team (internal)", False),
}
"""channel id → (name, topic, shared with a customer's organisation)."""

CUSTOMERS_IN = {GLOBEX_CHANNEL: (DANA,), INITECH_CHANNEL: (LEE,)}
"""Each shared channel's people from the customer's side (staff are in every channel)."""

PERSONAS = (
    Persona("customer", DANA, (GLOBEX_CHANNEL,)),
    Persona("engineer", SAM, (GLOBEX_CHANNEL, INITECH_CHANNEL, TRIAGE_CHANNEL, SAM.user, HOME)),
    Persona("cs", PRIYA, (GLOBEX_CHANNEL, INITECH_CHANNEL, TRIAGE_CHANNEL, PRIYA.user, HOME)),
)
PERSONA_BY_ID = {p.id: p for p in PERSONAS}
BOT_NAME = "support-bot"

FAST = {
    "SUPPORT_SLA_CRITICAL": "40s",
    "SUPPORT_SLA_HIGH": "60s",
    "SUPPORT_SLA_MEDIUM": "90s",
    "SUPPORT_SLA_LOW": "120s",
    "SUPPORT_SLA_UNTRIAGED": "60s",
    "SUPPORT_CRITICAL_UPDATE_EVERY": "60s",
    "SUPPORT_ASK_COOLDOWN": "30s",
    "SUPPORT_DASHBOARD_NUDGE_AFTER": "20s",
    "SUPPORT_DASHBOARD_NUDGE_EVERY": "20s",
    "SUPPORT_DASHBOARD_NUDGE_MAX": "3",
    "SUPPORT_DIGEST_SCHEDULE": "*/2 * * * *",
}
"""`--fast`: minutes and hours become seconds, so a first-response warning (75% of the target),
a breach page and an onboarding nudge all happen within about a minute, and the digest posts
every two minutes."""


def person(user: str) -> Person | None:
    """The person with Slack user id `user`, if the demo knows them."""
    return next((p for p in PEOPLE if p.user == user), None)


def display_name(user: str) -> str:
    """How `user` reads on the page ("Dana Reyes", "support-bot", or the raw id)."""
    if user == BOT_USER:
        return BOT_NAME
    found = person(user)
    return found.name if found else user


def settings_env(slack_url: str, database_url: str, *, fast: bool) -> dict[str, str]:
    """The environment of the demo's bot: the stub at `slack_url`, the database, our triage
    channel, the engineer on call, business hours around the clock; `fast` adds `FAST`."""
    env = bot_env(
        slack_url,
        database_url,
        SUPPORT_TRIAGE_CHANNEL=TRIAGE_CHANNEL,
        SUPPORT_DIGEST_CHANNEL=TRIAGE_CHANNEL,
        SUPPORT_ONCALL=SAM.user,
        SUPPORT_BUSINESS_HOURS="",
        SUPPORT_PROCESSES="1",
        LOG_LEVEL="WARNING",
    )
    return {**env, **(FAST if fast else {})}
