"""What we record about a customer at onboarding, and the rules that hang on it.

The dedicated-Slack threshold comes from PostHog's support options: a shared channel is for
Enterprise customers, or others spending at least $2,000 a month.
"""

from __future__ import annotations

import re
from enum import StrEnum

COMPANY_MAX = 120
DEDICATED_SLACK_MIN_MONTHLY_SPEND = 2000
# Far beyond any real figure, and well inside a 64-bit column.
AMOUNT_MAX = 10**15
# Digits, optionally grouped with commas or underscores ("1,000,000", "1_000_000"); a leading $ is allowed.
_AMOUNT = re.compile(r"\$?\s*(\d+(?:[,_]\d+)*)")


class Plan(StrEnum):
    CLOUD = "cloud"
    SCALE = "scale"
    ENTERPRISE = "enterprise"


PLAN_LABELS: dict[Plan, str] = {
    Plan.CLOUD: "Cloud",
    Plan.SCALE: "Scale (self-hosted)",
    Plan.ENTERPRISE: "Enterprise",
}


class CloudProvider(StrEnum):
    AWS = "aws"
    GCP = "gcp"
    AZURE = "azure"
    OTHER = "other"


CLOUD_PROVIDER_LABELS: dict[CloudProvider, str] = {
    CloudProvider.AWS: "AWS",
    CloudProvider.GCP: "GCP",
    CloudProvider.AZURE: "Azure",
    CloudProvider.OTHER: "Other",
}


def parse_plan(value: str | None) -> Plan | None:
    """The plan named by `value` (case-insensitive), or None."""
    try:
        return Plan((value or "").strip().lower())
    except ValueError:
        return None


def parse_cloud_provider(value: str | None) -> CloudProvider | None:
    """The cloud provider named by `value` (case-insensitive), or None."""
    try:
        return CloudProvider((value or "").strip().lower())
    except ValueError:
        return None


def dedicated_slack_eligible(plan: Plan, monthly_spend: int) -> bool:
    """Whether the customer qualifies for a dedicated Slack channel: Enterprise always, others from $2,000/month."""
    return plan == Plan.ENTERPRISE or monthly_spend >= DEDICATED_SLACK_MIN_MONTHLY_SPEND


def parse_amount(text: str | None) -> int | None:
    """A non-negative whole number typed as digits, optionally grouped with commas or underscores
    ("1,000,000"; a leading "$" is fine); None for anything else, including "2k", "1.5" or "-3"."""
    match = _AMOUNT.fullmatch((text or "").strip())
    if match is None:
        return None
    amount = int(match.group(1).replace(",", "").replace("_", ""))
    return amount if amount <= AMOUNT_MAX else None


def validate_customer_fields(
    company: str | None, monthly_events: str | None, maus: str | None, monthly_spend: str | None
) -> dict[str, str]:
    """Field errors for the onboarding form, keyed 'company', 'monthly_events', 'maus', 'monthly_spend'.

    Company and spend are required; events and MAUs are each optional but at least one is needed
    (the missing-both error is reported on 'monthly_events').
    """
    errors: dict[str, str] = {}
    clean_company = (company or "").strip()
    if not clean_company:
        errors["company"] = "Please give the company's name."
    elif len(clean_company) > COMPANY_MAX:
        errors["company"] = f"Keep the company name under {COMPANY_MAX} characters."
    number_hint = "Use a whole number, like 1,000,000."
    has_volume = False
    for field, text in (("monthly_events", monthly_events), ("maus", maus)):
        if (text or "").strip():
            if parse_amount(text) is None:
                errors[field] = number_hint
            else:
                has_volume = True
    if not has_volume and "monthly_events" not in errors and "maus" not in errors:
        errors["monthly_events"] = "Give monthly events or MAUs (or both): an approximate figure is fine."
    if not (monthly_spend or "").strip():
        errors["monthly_spend"] = "Please give the expected monthly spend in USD (0 if not known yet)."
    elif parse_amount(monthly_spend) is None:
        errors["monthly_spend"] = "Use a whole number of US dollars, like 2,500."
    return errors


def should_warn_channel_size(customer_member_count: int, max_members: int, already_warned: bool) -> bool:
    """Warn once when the customer's side of the channel grows past `max_members`."""
    return not already_warned and customer_member_count > max_members
