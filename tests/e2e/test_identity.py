"""The directory against the Slack stub: guests, failed look-ups (never cached), Slack's own "no"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from slack_sdk import WebClient

from fakeslack import CUSTOMER_TEAM, HOST_TEAM, SlackStub
from slack_api.identity import Directory, Who


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    slack = SlackStub().start()
    slack.add_user("U0STAFF", HOST_TEAM)
    slack.add_user("U0GUEST", HOST_TEAM, is_restricted=True)
    slack.add_user("U0CUST", CUSTOMER_TEAM)
    yield slack
    slack.stop()


def directory(stub: SlackStub) -> Directory:
    return Directory(WebClient(token="xoxb-test", base_url=stub.url, retry_handlers=[]))


def test_staff_guest_and_customer(stub: SlackStub) -> None:
    d = directory(stub)
    assert d.identify("U0STAFF").who is Who.STAFF
    assert d.identify("U0GUEST").who is Who.CUSTOMER
    assert d.identify("U0CUST").who is Who.CUSTOMER
    assert d.identify("U0NOBODY").who is Who.CUSTOMER  # users.info says user_not_found: Slack's answer


def test_a_failed_look_up_is_unknown_and_not_cached(stub: SlackStub) -> None:
    d = directory(stub)
    d.host()
    stub.fail("users.info", status=429, retry_after=1, times=1)
    assert d.identify("U0STAFF").who is Who.UNKNOWN
    assert d.lookup("U0STAFF") == (True, HOST_TEAM)  # asked again, not served a cached "customer"
    assert d.identify("U0STAFF").who is Who.STAFF
    stub.fail("users.info", status=500, times=1)
    assert d.identify("U0GUEST").who is Who.UNKNOWN
    assert d.identify("U0GUEST").who is Who.CUSTOMER


def test_the_events_team_decides_another_org_without_a_call(stub: SlackStub) -> None:
    d = directory(stub)
    d.host()
    stub.outage()
    assert d.identify("U0ANYONE", team_hint=CUSTOMER_TEAM).who is Who.CUSTOMER
    assert d.identify("U0STAFF", team_hint=HOST_TEAM).who is Who.UNKNOWN  # ours: the guest flags need users.info
    assert d.identify_cached("U0STAFF", HOST_TEAM) is None
    assert stub.count("users.info") == 1
