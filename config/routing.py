"""The routing file (`SUPPORT_ROUTING_FILE`, TOML): product areas, each with its own route, and tiers.

Pure parsing with the standard library's `tomllib`; no Slack, no database. `load_routing(path)`
returns a frozen `Routing` or raises `RoutingFileError` listing every problem found, one line each
naming the file, the area (or tier) and the field, so an operator fixes the file in one pass.

The shape (docs/routing.md has a complete example)::

    [[area]]
    name = "Session replay"            # shown in the ticket form's Area picker
    description = "Recordings, heatmaps, paths"
    channel = "C0123REPLAY"            # this area's triage channel
    oncall = "S0123REPLAY"             # user (U…/W…) or user group (S…) mentioned on breach
    assign = "round_robin"             # none | round_robin | cs_owner
    pagerduty_routing_key = "…"        # optional
    [tiers.Enterprise]
    first_response = { critical = "15m", high = "1h", medium = "4h", low = "1d" }
    next_response = { critical = "15m", high = "2h", medium = "8h", low = "2d" }
    critical_update = "30m"            # optional
    [tiers.onboarding]                 # customers within SUPPORT_ONBOARDING_WINDOW of /onboard
    first_response = { critical = "15m", high = "1h", medium = "2h", low = "8h" }

A tier is named after a plan of the onboarding record (`onboarding.customer.Plan`: its value or
its label, any case) or is `onboarding`; `ticket_tier` decides which one a new ticket gets.
Assignment policies are applied by services/assignment.py, from the `Route` of `ticket_route`.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import Any

from config.settings import ConfigError, Settings, parse_duration
from onboarding.customer import PLAN_LABELS, Plan
from tickets.severity import Severity

SETTING = "SUPPORT_ROUTING_FILE"
_CHANNEL_ID = re.compile(r"^[CG][A-Z0-9]{2,}$")
_ONCALL_ID = re.compile(r"^[UWS][A-Z0-9]{2,}$")
# Slack's limits on a static_select: 100 options, 75 characters of text and of description.
MAX_AREAS = 100
MAX_OPTION_TEXT = 75

_AREA_KEYS = frozenset({"name", "description", "channel", "oncall", "assign", "pagerduty_routing_key"})
_TIER_KEYS = frozenset({"first_response", "next_response", "critical_update"})
_TOP_KEYS = frozenset({"area", "tiers"})
ONBOARDING_TIER = "onboarding"  # the tier of customers within SUPPORT_ONBOARDING_WINDOW of /onboard


class AssignPolicy(StrEnum):
    """Who gets a new ticket of an area (services/assignment.py applies it, after the ticket is
    stored): nobody (`none`), the next member of the area's on-call user group (`round_robin`;
    the on-call user, if it is a user), or the customer's CS owner from onboarding (`cs_owner`)."""

    NONE = "none"
    ROUND_ROBIN = "round_robin"
    CS_OWNER = "cs_owner"


@dataclass(frozen=True)
class Area:
    """One product area and its route.

    `channel` is a channel ID (C…/G…); `oncall` a user (U…/W…) or user group (S…) ID or None (then
    SUPPORT_ONCALL applies); `pagerduty_routing_key` None means SUPPORT_PAGERDUTY_ROUTING_KEY."""

    name: str
    channel: str
    description: str = ""
    oncall: str | None = None
    assign: AssignPolicy = AssignPolicy.NONE
    pagerduty_routing_key: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Tier:
    """Targets for one plan (or `onboarding`): durations per severity; a severity left out keeps
    the global target (services.tickets.SlaPolicy.for_tier merges them)."""

    name: str
    first_response: Mapping[Severity, timedelta] = field(default_factory=dict)
    next_response: Mapping[Severity, timedelta] = field(default_factory=dict)
    critical_update: timedelta | None = None


@dataclass(frozen=True)
class Routing:
    """The parsed routing file: areas in file order (the picker's order) and tiers by name."""

    areas: tuple[Area, ...]
    tiers: Mapping[str, Tier] = field(default_factory=dict)

    def area(self, name: str | None) -> Area | None:
        """The area called `name` (exact), or None for None or a name no longer in the file."""
        if name is None:
            return None
        return next((a for a in self.areas if a.name == name), None)


def tier_plan(name: str) -> Plan | None:
    """The plan a tier's name stands for: a plan's value or label, ignoring case ("Enterprise",
    "cloud", "Scale (self-hosted)", and "Scale" too); None for `onboarding` or any other name."""
    folded = name.strip().casefold()
    for plan in Plan:
        label = PLAN_LABELS[plan].casefold()
        if folded in (plan.value, label, label.split(" (")[0]):
            return plan
    return None


def find_tier(tiers: Mapping[str, Tier], name: str | None) -> Tier | None:
    """The tier called `name`, ignoring case (names are unique so), or None for None or a name
    no longer in the file."""
    if name is None:
        return None
    folded = name.casefold()
    return next((tier for key, tier in tiers.items() if key.casefold() == folded), None)


def ticket_tier(
    tiers: Mapping[str, Tier], plan: str | None, started_at: datetime | None, now: datetime, window: timedelta
) -> str | None:
    """The tier a new ticket gets (its name as written in the file), from the channel's onboarding
    record (`plan`, a `Plan` value, and `started_at`, when /onboard ran; both None: no record).

    A customer still onboarding (`now - started_at < window`, SUPPORT_ONBOARDING_WINDOW) gets the
    `onboarding` tier if the file has one; otherwise the tier named after their plan; otherwise
    None (the global targets). No record, or no tiers: None."""
    if plan is None or not tiers:
        return None
    if started_at is not None and now - started_at < window:
        onboarding = find_tier(tiers, ONBOARDING_TIER)
        if onboarding is not None:
            return onboarding.name
    return next((tier.name for tier in tiers.values() if tier_plan(tier.name) == plan), None)


@dataclass(frozen=True)
class Route:
    """Where a ticket's triage goes: `channel` (its triage mirror and notes), `oncall` (mentioned on
    a breach; None: nobody), `pagerduty_routing_key` (None: no paging), `area` (the area's name;
    None: the default route of SUPPORT_TRIAGE_CHANNEL, SUPPORT_ONCALL, SUPPORT_PAGERDUTY_ROUTING_KEY),
    `assign` (who gets its new tickets; the default route: nobody) and `group` (whom round_robin
    picks among: a user group S…, or a single user U…/W…; the route's on-call; None: nobody)."""

    channel: str
    oncall: str | None = None
    pagerduty_routing_key: str | None = field(default=None, repr=False)
    area: str | None = None
    assign: AssignPolicy = AssignPolicy.NONE
    group: str | None = None


def ticket_route(settings: Settings, area: str | None) -> Route:
    """The one decision of where a ticket's triage goes, from its `area` (a name, or None).

    An area of the routing file: its channel, its oncall (else SUPPORT_ONCALL), its PagerDuty key
    (else SUPPORT_PAGERDUTY_ROUTING_KEY), its assignment policy and round_robin's group (the oncall).
    No area, no routing file, or an area no longer in the file: the default route
    (SUPPORT_TRIAGE_CHANNEL..., nobody assigned), exactly as without a routing file."""
    found = settings.routing.area(area) if settings.routing is not None else None
    if found is None:
        return Route(settings.triage_channel or "", settings.oncall, settings.pagerduty_routing_key)
    oncall = found.oncall or settings.oncall
    return Route(
        found.channel,
        oncall,
        found.pagerduty_routing_key or settings.pagerduty_routing_key,
        found.name,
        found.assign,
        oncall,
    )


def area_choices(settings: Settings) -> list[tuple[str, str]]:
    """The ticket form's Area picker: (name, description) of every area, in file order; [] without
    a routing file (then the form has no picker)."""
    return [(a.name, a.description) for a in settings.routing.areas] if settings.routing is not None else []


def area_channels(settings: Settings) -> set[str]:
    """Every area's triage channel (staff channels, never customer channels); empty without a file."""
    return {a.channel for a in settings.routing.areas} if settings.routing is not None else set()


class RoutingFileError(ConfigError):
    """The routing file cannot be used. `problems` holds one line per problem; str() is those
    lines, each starting with SUPPORT_ROUTING_FILE and the file's path."""

    def __init__(self, path: Path | str, problems: list[str]) -> None:
        self.path = str(path)
        # One line each, whatever the file holds (a quoted key may contain a line break).
        self.problems = [f"{self.path}: {p}".replace("\r", "\\r").replace("\n", "\\n") for p in problems]
        super().__init__(SETTING, "\n".join(self.problems))

    def __str__(self) -> str:
        return "\n".join(f"{SETTING}: {p}" for p in self.problems)


def check_round_robin(routing: Routing, path: Path | str, default_oncall: str | None) -> None:
    """Raises RoutingFileError naming every round_robin area with nobody to take turns: no
    `oncall` of its own and no SUPPORT_ONCALL (`default_oncall`)."""
    problems = [
        f"area {a.name!r}: assign: round_robin takes turns in the area's oncall group, and it has"
        " no oncall (nor is SUPPORT_ONCALL set)"
        for a in routing.areas
        if a.assign == AssignPolicy.ROUND_ROBIN and not (a.oncall or default_oncall)
    ]
    if problems:
        raise RoutingFileError(path, problems)


def load_routing(path: Path | str) -> Routing:
    """Read and validate the routing file at `path`. Raises RoutingFileError (a ConfigError) when
    the file is missing, unreadable, not TOML, or holds any invalid area or tier."""
    try:
        raw = Path(path).read_bytes()
    except OSError as exc:
        raise RoutingFileError(path, [f"cannot read the file ({exc.strerror or exc})"]) from None
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))  # a BOM, as some Windows editors write one, is fine
    except (UnicodeDecodeError, tomllib.TOMLDecodeError) as exc:
        raise RoutingFileError(path, [f"is not valid TOML ({exc})"]) from None
    return parse_routing(data, path)


def parse_routing(data: Mapping[str, Any], path: Path | str = "<routing>") -> Routing:
    """Validate an already-parsed TOML document (see load_routing). Raises RoutingFileError."""
    problems: list[str] = []
    for key in sorted(set(data) - _TOP_KEYS):
        problems.append(f"{key}: unknown key (expected [[area]] and [tiers.NAME] tables)")
    areas = _areas(data.get("area"), problems)
    tiers = _tiers(data.get("tiers", {}), problems)
    if "area" not in data and not data.get("tiers"):
        problems.append("the file holds no [[area]] and no [tiers.NAME] tables (list product areas, tiers or both)")
    if problems:
        raise RoutingFileError(path, problems)
    return Routing(areas=tuple(areas), tiers=tiers)


def _areas(raw: Any, problems: list[str]) -> list[Area]:
    if raw is None:
        return []  # tiers only: one triage channel (SUPPORT_TRIAGE_CHANNEL), no Area picker
    if not isinstance(raw, list):
        problems.append("area: must be [[area]] tables")
        return []
    if len(raw) > MAX_AREAS:
        problems.append(f"area: at most {MAX_AREAS} areas (Slack's limit on a picker), not {len(raw)}")
    areas: list[Area] = []
    seen: set[str] = set()
    for index, entry in enumerate(raw, start=1):
        label = f"area #{index}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: must be a table")
            continue
        name = entry.get("name")
        if isinstance(name, str) and name.strip():
            label = f"area {name.strip()!r}"
        area = _area(entry, label, problems)
        if area is None:
            continue
        if area.name.casefold() in seen:
            problems.append(f"{label}: name: duplicate area name")
            continue
        seen.add(area.name.casefold())
        areas.append(area)
    return areas


def _area(entry: Mapping[str, Any], label: str, problems: list[str]) -> Area | None:
    before = len(problems)
    for key in sorted(set(entry) - _AREA_KEYS):
        problems.append(f"{label}: {key}: unknown key (expected one of {', '.join(sorted(_AREA_KEYS))})")
    name = _text(entry, "name", label, problems, required=True, limit=MAX_OPTION_TEXT)
    description = _text(entry, "description", label, problems, limit=MAX_OPTION_TEXT) or ""
    channel = _text(entry, "channel", label, problems, required=True)
    if channel is not None and not _CHANNEL_ID.match(channel):
        problems.append(f"{label}: channel: must be a channel ID such as C0123456789, not {channel!r}")
    oncall = _text(entry, "oncall", label, problems)
    if oncall is not None and not _ONCALL_ID.match(oncall):
        problems.append(f"{label}: oncall: must be a user ID (U…) or a user group ID (S…), not {oncall!r}")
    assign_raw = _text(entry, "assign", label, problems) or AssignPolicy.NONE.value
    assign = None
    try:
        assign = AssignPolicy(assign_raw)
    except ValueError:
        choices = " | ".join(p.value for p in AssignPolicy)
        problems.append(f"{label}: assign: must be {choices}, not {assign_raw!r}")
    key = _text(entry, "pagerduty_routing_key", label, problems)
    if len(problems) > before or name is None or channel is None or assign is None:
        return None
    return Area(name, channel, description, oncall, assign, key)


def _text(
    entry: Mapping[str, Any], key: str, label: str, problems: list[str], required: bool = False, limit: int = 0
) -> str | None:
    value = entry.get(key)
    if value is None:
        if required:
            problems.append(f"{label}: {key}: is missing")
        return None
    if not isinstance(value, str):
        problems.append(f"{label}: {key}: must be a string")
        return None
    value = value.strip()
    if not value:
        if required:
            problems.append(f"{label}: {key}: is empty")
        return None
    if limit and len(value) > limit:
        problems.append(f"{label}: {key}: at most {limit} characters (Slack's limit), not {len(value)}")
        return None
    return value


def _tiers(raw: Any, problems: list[str]) -> dict[str, Tier]:
    if not isinstance(raw, dict):
        problems.append("tiers: must be [tiers.NAME] tables")
        return {}
    tiers: dict[str, Tier] = {}
    seen: dict[str, str] = {}  # what each tier stands for (a plan, or onboarding): the first tier's name
    for name, entry in raw.items():
        label = f"tier {name!r}"
        if not isinstance(entry, dict):
            problems.append(f"{label}: must be a table")
            continue
        before = len(problems)
        plan = tier_plan(name)
        meaning = plan.value if plan is not None else name.strip().casefold()
        if plan is None and meaning != ONBOARDING_TIER:
            choices = ", ".join(PLAN_LABELS[p].split(" (")[0] for p in Plan)
            problems.append(f"{label}: not a plan of the onboarding record (expected {choices} or onboarding)")
        elif meaning in seen:
            problems.append(f"{label}: the same tier as {seen[meaning]!r} (tier names ignore case)")
        else:
            seen[meaning] = name
        for key in sorted(set(entry) - _TIER_KEYS):
            problems.append(f"{label}: {key}: unknown key (expected one of {', '.join(sorted(_TIER_KEYS))})")
        first = _targets(entry.get("first_response"), f"{label}: first_response", problems)
        following = _targets(entry.get("next_response"), f"{label}: next_response", problems)
        update = None
        if "critical_update" in entry:
            update = _duration(entry["critical_update"], f"{label}: critical_update", problems)
        if len(problems) == before:
            tiers[name] = Tier(name, first, following, update)
    return tiers


def _targets(raw: Any, label: str, problems: list[str]) -> dict[Severity, timedelta]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        problems.append(f'{label}: must be a table such as {{ critical = "15m", high = "1h" }}')
        return {}
    targets: dict[Severity, timedelta] = {}
    for key, value in raw.items():
        try:
            severity = Severity(key)
        except ValueError:
            choices = ", ".join(s.value for s in Severity)
            problems.append(f"{label}: {key}: unknown severity (expected {choices})")
            continue
        duration = _duration(value, f"{label}: {key}", problems)
        if duration is not None:
            targets[severity] = duration
    return targets


def _duration(value: Any, label: str, problems: list[str]) -> timedelta | None:
    try:
        return parse_duration(value if isinstance(value, str) else "")
    except ValueError:
        problems.append(f"{label}: {value!r} is not a duration like 30s, 15m, 2h or 7d")
        return None
