"""The routing file (SUPPORT_ROUTING_FILE): areas and tiers parsed, every problem one line naming
the file, the area and the field."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest

from config.routing import AssignPolicy, RoutingFileError, area_channels, area_choices, load_routing, ticket_route
from config.settings import ConfigError, Settings, load_settings
from services.hooks import page_routing_key
from tickets.severity import Severity

EXAMPLE = Path(__file__).resolve().parents[2] / "docs" / "routing.example.toml"
BASE_ENV = {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "s", "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE"}
GOOD_AREA = '[[area]]\nname = "Billing"\nchannel = "C0BILLING"\n'


def _write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "routing.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _problems(tmp_path: Path, text: str) -> list[str]:
    path = _write(tmp_path, text)
    with pytest.raises(RoutingFileError) as caught:
        load_routing(path)
    lines = str(caught.value).splitlines()
    assert all(line.startswith(f"SUPPORT_ROUTING_FILE: {path}: ") for line in lines)
    return [line.removeprefix(f"SUPPORT_ROUTING_FILE: {path}: ") for line in lines]


def test_the_documented_example_is_valid() -> None:
    routing = load_routing(EXAMPLE)
    names = [a.name for a in routing.areas]
    assert names[:3] == ["Product analytics", "Session replay", "Feature flags"]
    assert {"Billing", "Data warehouse", "Other"} <= set(names)
    replay = routing.area("Session replay")
    assert replay is not None
    assert (replay.channel, replay.oncall, replay.assign) == ("C0REPLAY", "S0REPLAY", AssignPolicy.ROUND_ROBIN)
    assert routing.area("Feature flags").pagerduty_routing_key  # type: ignore[union-attr]
    assert routing.area("Other").oncall is None  # type: ignore[union-attr]
    assert routing.tiers["Enterprise"].first_response[Severity.CRITICAL] == timedelta(minutes=15)
    assert routing.tiers["Enterprise"].critical_update == timedelta(minutes=30)
    assert routing.tiers["onboarding"].first_response[Severity.LOW] == timedelta(hours=8)


def test_an_area_needs_only_a_name_and_a_channel(tmp_path: Path) -> None:
    routing = load_routing(_write(tmp_path, GOOD_AREA))
    (area,) = routing.areas
    assert (area.name, area.channel, area.description, area.oncall) == ("Billing", "C0BILLING", "", None)
    assert area.assign == AssignPolicy.NONE and area.pagerduty_routing_key is None
    assert routing.tiers == {}
    assert routing.area("Nope") is None and routing.area(None) is None


def test_the_pagerduty_key_is_not_in_the_repr(tmp_path: Path) -> None:
    routing = load_routing(_write(tmp_path, GOOD_AREA + 'pagerduty_routing_key = "SECRETKEY123"\n'))
    assert "SECRETKEY123" not in repr(routing)


def test_every_problem_is_one_line_naming_the_area_and_the_field(tmp_path: Path) -> None:
    text = """
[[area]]
name = "Session replay"
channel = "#replay"
oncall = "@replay-team"
assign = "lottery"
colour = "blue"

[[area]]
description = "no name"
channel = "C0OTHER"

[[area]]
name = "Surveys"

[[area]]
name = "session replay"
channel = "C0REPLAY2"

[tiers.Enterprise]
first_response = { critical = "soon", urgent = "1h" }
critical_update = "0m"
"""
    assert _problems(tmp_path, text) == [
        "area 'Session replay': colour: unknown key (expected one of assign, channel, description, name, oncall, "
        "pagerduty_routing_key)",
        "area 'Session replay': channel: must be a channel ID such as C0123456789, not '#replay'",
        "area 'Session replay': oncall: must be a user ID (U…) or a user group ID (S…), not '@replay-team'",
        "area 'Session replay': assign: must be none | round_robin | cs_owner, not 'lottery'",
        "area #2: name: is missing",
        "area 'Surveys': channel: is missing",
        "tier 'Enterprise': first_response: critical: 'soon' is not a duration like 30s, 15m, 2h or 7d",
        "tier 'Enterprise': first_response: urgent: unknown severity (expected critical, high, medium, low)",
        "tier 'Enterprise': critical_update: '0m' is not a duration like 30s, 15m, 2h or 7d",
    ]


def test_duplicate_names_are_refused_whatever_their_case(tmp_path: Path) -> None:
    text = GOOD_AREA + '[[area]]\nname = "billing"\nchannel = "C0OTHER"\n'
    assert _problems(tmp_path, text) == ["area 'billing': name: duplicate area name"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", "the file holds no [[area]] and no [tiers.NAME] tables"),
        (GOOD_AREA + "[routes]\nx = 1\n", "routes: unknown key (expected [[area]] and [tiers.NAME] tables)"),
        (GOOD_AREA + '[tiers.Scale]\nfirst_respons = { high = "1h" }\n', "tier 'Scale': first_respons: unknown key"),
        (GOOD_AREA + 'name = "x"\n', "is not valid TOML"),
        ('[[area]]\nname = "' + "x" * 80 + '"\nchannel = "C0X"\n', "name: at most 75 characters"),
        ('[[area]]\nname = 42\nchannel = "C0X"\n', "area #1: name: must be a string"),
    ],
)
def test_a_broken_file_is_named(tmp_path: Path, text: str, expected: str) -> None:
    (problem,) = _problems(tmp_path, text)
    assert expected in problem


def test_a_missing_file_is_named(tmp_path: Path) -> None:
    missing = tmp_path / "nope.toml"
    with pytest.raises(ConfigError, match=rf"^SUPPORT_ROUTING_FILE: {missing}: cannot read the file"):
        load_routing(missing)


def test_settings_read_the_routing_file(tmp_path: Path) -> None:
    assert load_settings(BASE_ENV).routing is None  # no file: one area, the triage channel
    settings = load_settings({**BASE_ENV, "SUPPORT_ROUTING_FILE": str(_write(tmp_path, GOOD_AREA))})
    assert settings.routing is not None and settings.routing.areas[0].channel == "C0BILLING"
    with pytest.raises(ConfigError, match="SUPPORT_ROUTING_FILE"):
        load_settings({**BASE_ENV, "SUPPORT_ROUTING_FILE": str(tmp_path / "missing.toml")})


# -- a ticket's route ------------------------------------------------------------------------------
def _routed(tmp_path: Path, **env: str) -> Settings:
    text = GOOD_AREA + 'oncall = "S0BILLING"\npagerduty_routing_key = "BILLINGKEY"\n'
    text += '[[area]]\nname = "Other"\nchannel = "C0OTHER"\n'
    return load_settings({**BASE_ENV, "SUPPORT_ROUTING_FILE": str(_write(tmp_path, text)), **env})


def test_an_area_s_route_is_its_channel_group_and_key(tmp_path: Path) -> None:
    settings = _routed(tmp_path, SUPPORT_ONCALL="S0ALL", SUPPORT_PAGERDUTY_ROUTING_KEY="GLOBALKEY")
    billing = ticket_route(settings, "Billing")
    assert (billing.channel, billing.oncall, billing.pagerduty_routing_key, billing.area) == (
        "C0BILLING",
        "S0BILLING",
        "BILLINGKEY",
        "Billing",
    )
    other = ticket_route(settings, "Other")  # no oncall nor key of its own: the global ones
    assert (other.channel, other.oncall, other.pagerduty_routing_key) == ("C0OTHER", "S0ALL", "GLOBALKEY")
    assert area_choices(settings) == [("Billing", ""), ("Other", "")]
    assert area_channels(settings) == {"C0BILLING", "C0OTHER"}


def test_no_area_or_a_gone_area_or_no_file_is_the_default_route(tmp_path: Path) -> None:
    settings = _routed(tmp_path, SUPPORT_ONCALL="S0ALL")
    for area in (None, "Removed since"):
        route = ticket_route(settings, area)
        assert (route.channel, route.oncall, route.pagerduty_routing_key, route.area) == (
            "C0TRIAGE",
            "S0ALL",
            None,
            None,
        )
    plain = load_settings(BASE_ENV)
    assert ticket_route(plain, "Billing").channel == "C0TRIAGE"
    assert area_choices(plain) == [] and area_channels(plain) == set()


def test_a_page_goes_to_the_area_s_pagerduty_service(tmp_path: Path) -> None:
    settings = _routed(tmp_path, SUPPORT_PAGERDUTY_ROUTING_KEY="GLOBALKEY")
    assert page_routing_key(settings, SimpleNamespace(area="Billing")) == "BILLINGKEY"  # type: ignore[arg-type]
    assert page_routing_key(settings, SimpleNamespace(area="Other")) == "GLOBALKEY"  # type: ignore[arg-type]
    assert page_routing_key(settings, SimpleNamespace(area=None)) == "GLOBALKEY"  # type: ignore[arg-type]


def test_a_file_saved_with_a_byte_order_mark_is_read(tmp_path: Path) -> None:
    path = tmp_path / "routing.toml"
    path.write_bytes("\ufeff".encode() + GOOD_AREA.encode())  # as Notepad and some Windows editors save
    assert [a.name for a in load_routing(path).areas] == ["Billing"]


def test_a_duration_too_long_for_a_clock_is_a_problem_not_a_crash(tmp_path: Path) -> None:
    text = GOOD_AREA + '[tiers.Cloud]\nfirst_response = { critical = "99999999999999d" }\n'
    assert _problems(tmp_path, text) == [
        "tier 'Cloud': first_response: critical: '99999999999999d' is not a duration like 30s, 15m, 2h or 7d"
    ]


def test_a_key_holding_a_line_break_is_still_one_line(tmp_path: Path) -> None:
    problems = _problems(tmp_path, GOOD_AREA + '"chan\\nnel" = "C0X"\n')
    assert len(problems) == 1 and "chan\\nnel: unknown key" in problems[0]


def test_a_file_of_tiers_only_has_no_areas(tmp_path: Path) -> None:
    path = tmp_path / "routing.toml"
    path.write_text('[tiers.Enterprise]\nfirst_response = { high = "1h" }\n', encoding="utf-8")
    routing = load_routing(path)
    assert routing.areas == () and list(routing.tiers) == ["Enterprise"]


def test_a_round_robin_area_with_nobody_to_take_turns_stops_start_up(tmp_path: Path) -> None:
    path = _write(tmp_path, GOOD_AREA + 'assign = "round_robin"\n')
    with pytest.raises(ConfigError) as refused:
        load_settings({**BASE_ENV, "SUPPORT_ROUTING_FILE": str(path)})
    assert str(refused.value).splitlines() == [
        f"SUPPORT_ROUTING_FILE: {path}: area 'Billing': assign: round_robin takes turns in the area's oncall"
        " group, and it has no oncall (nor is SUPPORT_ONCALL set)"
    ]
    # SUPPORT_ONCALL gives it a group; so does its own oncall.
    assert load_settings({**BASE_ENV, "SUPPORT_ROUTING_FILE": str(path), "SUPPORT_ONCALL": "S0ONCALL"}).routing
    path.write_text(GOOD_AREA + 'assign = "round_robin"\noncall = "S0BILLING"\n', encoding="utf-8")
    assert load_settings({**BASE_ENV, "SUPPORT_ROUTING_FILE": str(path)}).routing
