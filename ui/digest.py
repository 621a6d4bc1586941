"""Block Kit for the weekly digest posted to the team: pure, from a `tickets.digest.Digest`.

Lists that can grow without bound (customers, breaches, stalled onboardings) are packed into a few
sections and cut with "…and N more", so the message stays within Slack's 50 blocks and 3,000
characters per section however busy the week was. Customer and company names are escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime

from tickets.digest import Digest
from tickets.rules import humanize_duration
from tickets.slack_text import cut, slack_length
from ui.blocks import Blocks, _mrkdwn, _plain, escape_text, severity_label
from ui.home import _channel, progress_bar
from ui.onboarding import _company

MESSAGE_MAX_BLOCKS = 50
SECTION_TEXT_BUDGET = 2900  # under Slack's 3,000, leaving room for the "…and N more" line
CUSTOMER_SECTIONS_MAX = 5
STALLED_SECTIONS_MAX = 3
BREACH_NUMBERS_MAX = 200
NAME_MAX = 80


def _day(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y-%m-%d")


def _customer_name(channel_id: str, name: str, channel_names: dict[str, str]) -> str:
    """The customer's name, else the channel's name, else the channel id; always escaped and short."""
    for candidate in (name, channel_names.get(channel_id, "")):
        clean = " ".join((candidate or "").split())
        if clean:
            return escape_text(cut(clean, NAME_MAX))
    return escape_text(channel_id)


def _packed_sections(heading: str, lines: list[str], max_sections: int, noun: str) -> Blocks:
    """`lines` under a bold heading, packed into at most `max_sections` sections of ≤ 3,000 characters."""
    sections: list[list[str]] = [[f"*{heading}*"]]
    sizes = [slack_length(heading) + 2]
    shown = 0
    for line in lines:
        if sizes[-1] + 1 + slack_length(line) > SECTION_TEXT_BUDGET:
            if len(sections) == max_sections:
                break
            sections.append([])
            sizes.append(0)
        sections[-1].append(line)
        sizes[-1] += 1 + slack_length(line)
        shown += 1
    if shown < len(lines):
        sections[-1].append(f"_…and {len(lines) - shown:,} more {noun}_")
    return [{"type": "section", "text": _mrkdwn("\n".join(section))} for section in sections]


def _median_line(digest: Digest) -> str:
    lines = ["*Median first response* (tickets opened this week)"]
    for severity, median in digest.median_first_response.items():
        count = digest.responses_counted.get(severity, 0)
        value = "no responses" if median is None else f"{humanize_duration(median)} ({count:,} answered)"
        lines.append(f"{severity_label(severity)}: {value}")
    median = digest.median_next_response
    value = (
        "none answered"
        if median is None
        else f"{humanize_duration(median)} ({digest.next_responses_counted:,} answered)"
    )
    lines.append(f"*Median next response* (customer wrote again after a staff reply): {value}")
    return "\n".join(lines)


def _conversations(conversations: int, noise: int) -> str:
    if not conversations:
        return ""
    plural = "s" if conversations != 1 else ""
    return f", {conversations:,} conversation{plural} ({noise:,} not a ticket)"


def _breach_text(digest: Digest) -> str:
    if not digest.breached_numbers:
        return "*SLA breaches*\nNone this week. :tada:"
    numbers = ", ".join(f"#{n}" for n in digest.breached_numbers[:BREACH_NUMBERS_MAX])
    extra = len(digest.breached_numbers) - BREACH_NUMBERS_MAX
    more = f" _…and {extra:,} more_" if extra > 0 else ""
    return f"*SLA breaches* ({digest.breach_count:,})\n{numbers}{more}"


def build_digest_message(digest: Digest, channel_names: dict[str, str]) -> tuple[str, Blocks]:
    """The weekly digest message: totals, median first response per severity and median next
    response, per-customer counts with their conversations (busiest first), SLA breaches by ticket
    number, and stalled onboardings (longest idle first).

    `channel_names` (channel id → name) names customers whose tickets carry no customer name.
    At most 50 blocks; the text fallback sums the week up.
    """
    period = f"{_day(digest.since)} to {_day(digest.until)}"
    customer_lines = [
        f"• *{_customer_name(c.channel_id, c.customer_name, channel_names)}* {_channel(c.channel_id)}: "
        f"{c.opened:,} opened, {c.resolved:,} resolved{_conversations(c.conversations, c.noise)}"
        for c in digest.customers
    ]
    stalled_lines = [
        f"• *{_company(s.onboarding.company)}* {_channel(s.onboarding.channel_id)}: "
        f"`{progress_bar(s.onboarding.settled_steps, s.onboarding.total_steps)}`, "
        f"no change for {humanize_duration(s.idle_for)}"
        for s in digest.stalled
    ]
    blocks: Blocks = [
        {"type": "header", "text": _plain("Weekly support digest")},
        {"type": "context", "elements": [_mrkdwn(f"{period} (UTC, end exclusive)")]},
        {
            "type": "section",
            "fields": [
                _mrkdwn(f"*Opened*\n{digest.opened:,}"),
                _mrkdwn(f"*Resolved*\n{digest.resolved:,}"),
                _mrkdwn(f"*SLA breaches*\n{digest.breach_count:,}"),
                _mrkdwn(f"*Stalled onboardings*\n{len(digest.stalled):,}"),
                _mrkdwn(f"*Conversations*\n{digest.conversations:,} ({digest.noise:,} not a ticket)"),
            ],
        },
        {"type": "section", "text": _mrkdwn(_median_line(digest))},
        {"type": "divider"},
    ]
    if customer_lines:
        blocks.extend(_packed_sections("By customer", customer_lines, CUSTOMER_SECTIONS_MAX, "customers"))
    else:
        blocks.append({"type": "section", "text": _mrkdwn("*By customer*\nNo tickets opened or resolved this week.")})
    blocks.append({"type": "divider"})
    blocks.append({"type": "section", "text": _mrkdwn(_breach_text(digest))})
    blocks.append({"type": "divider"})
    if stalled_lines:
        blocks.extend(_packed_sections("Stalled onboardings", stalled_lines, STALLED_SECTIONS_MAX, "onboardings"))
    else:
        blocks.append({"type": "section", "text": _mrkdwn("*Stalled onboardings*\nNone: every onboarding is moving.")})
    text = (
        f"Weekly support digest ({period}): {digest.opened:,} opened, {digest.resolved:,} resolved, "
        f"{digest.breach_count:,} SLA breaches, {len(digest.stalled):,} stalled onboardings"
    )
    return text, blocks
