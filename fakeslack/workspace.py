"""The Slack world the stub pretends to be: the host workspace, a customer's organisation, the bot,
two staff members, a customer and their shared channel, and the triage channel.

Plain string ids, as Slack gives them. A test, the benchmark or a demo may use others; these are the
defaults every builder in this package falls back to.
"""

from __future__ import annotations

HOST_TEAM = "T0HOST"
"""The workspace the bot is installed in (its members are staff)."""
CUSTOMER_TEAM = "T0CUSTOMER"
"""A customer's organisation, on the other side of a Slack Connect channel."""
BOT_USER = "U0BOT"
"""The bot's own user id (what auth.test answers)."""
APP_ID = "A0APP"

STAFF = "U0STAFF"
STAFF_2 = "U0STAFF2"
CUSTOMER = "U0CUST"
CUSTOMER_CHANNEL = "C0ACME"
"""A shared channel with the customer's organisation."""
TRIAGE = "C0TRIAGE"
"""The staff channel every new ticket is mirrored to (SUPPORT_TRIAGE_CHANNEL)."""
