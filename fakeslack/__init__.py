"""A stand-in for Slack on 127.0.0.1, for the tests, the benchmark and a demo.

- `fakeslack.stub.SlackStub`: the Slack Web API, as strict as Slack about what it accepts
  (`fakeslack.rules`), recording every call and able to fail on demand (`Fault`).
- `fakeslack.payloads`: what Slack sends an app (slash commands, view submissions, clicks,
  shortcuts, Events API envelopes) and the encoders of their request bodies.
- `fakeslack.messages`: real-shaped `message` and `reaction_added` events.
- `fakeslack.signing`: request signing (`sign`, `signed_headers`) and `bot_env`, the settings of a
  support-bot pointed at the stub.
- `fakeslack.workspace`: the ids of the pretend workspace (teams, the bot, staff, a customer).

It imports none of support-bot's own packages: it is Slack, seen from outside.
"""

from __future__ import annotations

from fakeslack.signing import BOT_TOKEN, SIGNING_SECRET, bot_env, sign, signed_headers
from fakeslack.stub import Call, Fault, SlackStub
from fakeslack.workspace import (
    BOT_USER,
    CUSTOMER,
    CUSTOMER_CHANNEL,
    CUSTOMER_TEAM,
    HOST_TEAM,
    STAFF,
    STAFF_2,
    TRIAGE,
)

__all__ = [
    "BOT_TOKEN",
    "BOT_USER",
    "CUSTOMER",
    "CUSTOMER_CHANNEL",
    "CUSTOMER_TEAM",
    "HOST_TEAM",
    "SIGNING_SECRET",
    "STAFF",
    "STAFF_2",
    "TRIAGE",
    "Call",
    "Fault",
    "SlackStub",
    "bot_env",
    "sign",
    "signed_headers",
]
