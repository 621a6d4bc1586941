"""The five onboarding steps the customer and PostHog work through after the intro call.

Adapted from steps 5–9 of PostHog's sales-operations guide: once a customer is keen to proceed we
share these so both sides know what happens next and what to expect.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType


class StepOwner(StrEnum):
    """Who moves a step forward."""

    POSTHOG = "PostHog"
    CUSTOMER = "Customer"
    BOTH = "Both"


@dataclass(frozen=True)
class StepDefinition:
    """One checklist step: its number in the sales guide, a stable key, and what it asks of whom."""

    number: int
    key: str
    title: str
    meaning: str
    owner: StepOwner
    can_decline: bool = False  # optional: the customer may say no, and we never push
    accepts_link: bool = False  # staff may attach a link (the payment link) to the step


CHANNEL_PEOPLE = 5
GITHUB_PROJECT = 6
INGESTION_READY = 7
DASHBOARD_CALL = 8
GUEST_ACCESS = 9

ONBOARDING_STEPS: tuple[StepDefinition, ...] = (
    StepDefinition(
        CHANNEL_PEOPLE,
        "channel_people",
        "The right people are in this channel",
        "PostHog adds customer success and the engineers who will help with the implementation, so questions "
        "go straight to the people who build the product. The customer brings their A-team: engineering, data, "
        "a product manager, 2–3 power users, and customer success or sales if relevant. No bigger than that.",
        StepOwner.BOTH,
    ),
    StepDefinition(
        GITHUB_PROJECT,
        "github_project",
        "Implementation is tracked in a GitHub project",
        "We follow the implementation in a GitHub project. The first month or two go into sizing the instance "
        "so it is not bigger (and more expensive) than it needs to be, so expect some lag and rough edges in "
        "the first weeks.",
        StepOwner.POSTHOG,
    ),
    StepDefinition(
        INGESTION_READY,
        "ingestion_ready",
        "Ready to ingest events",
        "When the customer is ready to start sending events, we share a payment link and they add their "
        "payment details through it, so usage is tracked from the first event.",
        StepOwner.BOTH,
        accepts_link=True,
    ),
    StepDefinition(
        DASHBOARD_CALL,
        "dashboard_call",
        "Dashboard-setup call booked",
        "A call to build the first dashboards together and make sure PostHog is answering real questions. "
        "At least one product manager from the customer joins: by now they are usually the key stakeholder.",
        StepOwner.BOTH,
    ),
    StepDefinition(
        GUEST_ACCESS,
        "guest_access",
        "PostHog team added as guests (optional)",
        "If the customer is happy to, they invite the relevant PostHog people as guests in their account, so we "
        "can spot missing dashboards or configuration and help before being asked. Entirely their call.",
        StepOwner.CUSTOMER,
        can_decline=True,
    ),
)

STEPS_BY_NUMBER: MappingProxyType[int, StepDefinition] = MappingProxyType({s.number: s for s in ONBOARDING_STEPS})
STEP_NUMBERS: tuple[int, ...] = tuple(s.number for s in ONBOARDING_STEPS)


def step_by_number(number: int) -> StepDefinition:
    """The step with this number; ValueError if there is none (numbers run 5–9, as in the sales guide)."""
    try:
        return STEPS_BY_NUMBER[number]
    except KeyError:
        raise ValueError(f"no onboarding step {number!r}; steps are {STEP_NUMBERS}") from None


@dataclass(frozen=True)
class ATeamRole:
    """Someone the customer should bring into the shared channel (step 5)."""

    role: str
    only_if_relevant: bool = False


# Adapted from "bring your A team" in PostHog's support options (dedicated Slack).
A_TEAM_ROLES: tuple[ATeamRole, ...] = (
    ATeamRole("A stakeholder from engineering"),
    ATeamRole("A stakeholder from data engineering or data analysis"),
    ATeamRole("A stakeholder from product management"),
    ATeamRole("2–3 power users"),
    ATeamRole("A stakeholder from customer success", only_if_relevant=True),
    ATeamRole("A stakeholder from sales", only_if_relevant=True),
)
A_TEAM_KEEP_IT_SMALL = (
    "Keep the group about this size: every extra person adds noise, and a small group gets faster answers."
)
# One of each role above, with three power users.
A_TEAM_MAX_MEMBERS = 8
