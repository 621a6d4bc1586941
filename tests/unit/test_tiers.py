"""Customer tiers (issue 18) in the pure pieces: which tier a new ticket gets, the targets of a
tier merged over the global ones, the tier names the routing file accepts, the acknowledgement."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from config.routing import RoutingFileError, Tier, find_tier, load_routing, ticket_tier, tier_plan
from config.settings import ConfigError, load_settings
from onboarding.customer import Plan
from services.tickets import SlaPolicy
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui.blocks import build_ticket_ack

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=60)
MIN, HOUR = timedelta(minutes=1), timedelta(hours=1)
ENTERPRISE = Tier("Enterprise", {Severity.CRITICAL: 15 * MIN, Severity.HIGH: HOUR}, {Severity.HIGH: 2 * HOUR}, 20 * MIN)
ONBOARDING = Tier("onboarding", {Severity.MEDIUM: 2 * HOUR})
TIERS = {"Enterprise": ENTERPRISE, "onboarding": ONBOARDING}
GLOBAL = {Severity.CRITICAL: 30 * MIN, Severity.HIGH: 2 * HOUR, Severity.MEDIUM: 8 * HOUR, Severity.LOW: 48 * HOUR}
BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE"}


# --- which tier a new ticket gets -------------------------------------------------------------------


def test_a_customer_within_the_onboarding_window_gets_the_onboarding_tier() -> None:
    assert ticket_tier(TIERS, "enterprise", NOW - timedelta(days=59), NOW, WINDOW) == "onboarding"
    assert ticket_tier(TIERS, "cloud", NOW - timedelta(seconds=1), NOW, WINDOW) == "onboarding"


def test_past_the_window_the_tier_named_after_the_plan_applies() -> None:
    assert ticket_tier(TIERS, "enterprise", NOW - WINDOW, NOW, WINDOW) == "Enterprise"
    assert ticket_tier(TIERS, "enterprise", NOW - timedelta(days=400), NOW, WINDOW) == "Enterprise"


def test_a_plan_without_a_tier_or_no_record_or_no_tiers_gets_the_global_targets() -> None:
    long_ago = NOW - timedelta(days=400)
    assert ticket_tier(TIERS, "cloud", long_ago, NOW, WINDOW) is None
    assert ticket_tier(TIERS, None, None, NOW, WINDOW) is None
    assert ticket_tier({}, "enterprise", NOW, NOW, WINDOW) is None


def test_without_an_onboarding_tier_a_new_customer_gets_their_plan_s() -> None:
    assert ticket_tier({"Enterprise": ENTERPRISE}, "enterprise", NOW, NOW, WINDOW) == "Enterprise"


def test_tier_names_match_a_plan_s_value_or_label_whatever_the_case() -> None:
    assert tier_plan("Enterprise") == tier_plan("ENTERPRISE") == Plan.ENTERPRISE
    assert tier_plan("cloud") == Plan.CLOUD
    assert tier_plan("Scale") == tier_plan("Scale (self-hosted)") == Plan.SCALE
    assert tier_plan("onboarding") is None and tier_plan("Teams") is None
    scale = Tier("scale")
    assert ticket_tier({"scale": scale}, "scale", NOW - WINDOW, NOW, WINDOW) == "scale"
    assert find_tier({"scale": scale}, "SCALE") is scale and find_tier({"scale": scale}, None) is None


# --- a tier's targets --------------------------------------------------------------------------------


def policy(**kwargs: object) -> SlaPolicy:
    nexts = {**GLOBAL, Severity.LOW: 72 * HOUR}
    return SlaPolicy(GLOBAL, None, 30 * MIN, untriaged=8 * HOUR, next_response=nexts, tiers=TIERS, **kwargs)  # type: ignore[arg-type]


def test_a_tier_overrides_the_severities_it_names_and_keeps_the_rest() -> None:
    enterprise = policy().for_tier("Enterprise")
    assert enterprise.first_response_target(Severity.CRITICAL) == 15 * MIN
    assert enterprise.first_response_target(Severity.HIGH) == HOUR
    assert enterprise.first_response_target(Severity.MEDIUM) == 8 * HOUR  # left out: the global target
    assert enterprise.critical_update_every == 20 * MIN


def test_a_tier_s_next_response_falls_back_to_its_own_first_response_then_the_global_one() -> None:
    enterprise = policy().for_tier("enterprise")  # any case
    assert enterprise.next_response_target(Severity.HIGH) == 2 * HOUR  # its own next_response
    assert enterprise.next_response_target(Severity.CRITICAL) == 15 * MIN  # its own first_response
    assert enterprise.next_response_target(Severity.LOW) == 72 * HOUR  # the global next response


def test_a_conversation_with_no_severity_gets_the_shorter_of_untriaged_and_the_tier_s_medium() -> None:
    assert policy().for_tier("onboarding").first_response_target(None) == 2 * HOUR
    assert policy().for_tier("Enterprise").first_response_target(None) == 8 * HOUR  # no Medium in it
    tight = SlaPolicy(GLOBAL, None, 30 * MIN, untriaged=MIN, tiers=TIERS)
    assert tight.for_tier("onboarding").first_response_target(None) == MIN


def test_no_tier_or_one_gone_from_the_file_is_the_global_policy_and_tiers_are_built_once() -> None:
    base = policy(onboarding_window=WINDOW)
    assert base.for_tier(None) is base and base.for_tier("Teams") is base
    assert base.for_tier("Enterprise") is base.for_tier("ENTERPRISE")
    assert base.for_tier("onboarding").critical_update_every == 30 * MIN  # none in the tier: the global one
    assert base.tier_for("enterprise", NOW - timedelta(days=1), NOW) == "onboarding"


# --- the routing file and the setting ----------------------------------------------------------------

AREA = '[[area]]\nname = "Billing"\nchannel = "C0BILLING"\n'


def test_a_tier_that_is_no_plan_or_the_same_plan_twice_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "routing.toml"
    path.write_text(
        AREA
        + '[tiers.Teams]\nfirst_response = { high = "1h" }\n'
        + '[tiers.Enterprise]\nfirst_response = { high = "1h" }\n'
        + '[tiers.enterprise]\nfirst_response = { high = "2h" }\n'
        + '[tiers.Onboarding]\nfirst_response = { high = "1h" }\n',
        encoding="utf-8",
    )
    with pytest.raises(RoutingFileError) as caught:
        load_routing(path)
    assert [p.removeprefix(f"{path}: ") for p in caught.value.problems] == [
        "tier 'Teams': not a plan of the onboarding record (expected Cloud, Scale, Enterprise or onboarding)",
        "tier 'enterprise': the same tier as 'Enterprise' (tier names ignore case)",
    ]


def test_the_onboarding_window_setting() -> None:
    assert load_settings(BASE_ENV).onboarding_window == timedelta(days=60)
    assert load_settings({**BASE_ENV, "SUPPORT_ONBOARDING_WINDOW": "14d"}).onboarding_window == timedelta(days=14)
    with pytest.raises(ConfigError, match="^SUPPORT_ONBOARDING_WINDOW: "):
        load_settings({**BASE_ENV, "SUPPORT_ONBOARDING_WINDOW": "two months"})


# --- the acknowledgement -----------------------------------------------------------------------------

INFO = TicketInfo(
    number=7,
    channel_id="C1",
    severity=Severity.HIGH,
    title="Exports fail",
    description="",
    reporter_id="U1",
    status=Status.OPEN,
    assignee_id=None,
    created_at=NOW,
    first_response_at=None,
)


def test_the_acknowledgement_quotes_the_tier_that_applies() -> None:
    plain = build_ticket_ack(INFO, 2 * HOUR)
    assert "is with the team. For a High ticket we aim to give you a first response within 2 h" in plain
    enterprise = build_ticket_ack(INFO, HOUR, plan="Enterprise")
    assert "On your Enterprise plan, for a High ticket we aim to give you a first response within 1 h" in enterprise
    onboarding = build_ticket_ack(INFO, HOUR, onboarding=True)
    assert "While you're onboarding, for a High ticket we aim to give you a first response within 1 h" in onboarding
