"""Automatic assignment (issue 18): each area's policy — none, round_robin among its on-call user
group (usergroups.users.list), cs_owner from the onboarding record — applied after the ticket is
stored, through the outbox; the assignee's DM; the audit trail by the bot; a person first wins;
failures leave the ticket unassigned and tell triage; moving a ticket into an area applies its policy."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from fakeslack import BOT_USER, CUSTOMER, CUSTOMER_CHANNEL, STAFF, STAFF_2, SlackStub
from fakeslack.payloads import ticket_values
from fakeslack.receiver import Receiver
from tests.support import BotUnderTest, drained, running_bot, start_onboarding, submit_move

REPLAY, BILLING, SURVEYS, PIPES, FLAGS = "C0REPLAY", "C0BILLING", "C0SURVEYS", "C0PIPES", "C0FLAGS"
ALICE, BOB, CAROL = "U0ALICE", "U0BOB", "U0CAROL"
ROUTING = f"""
[[area]]
name = "Session replay"
channel = "{REPLAY}"
oncall = "S0REPLAY"
assign = "round_robin"

[[area]]
name = "Billing"
channel = "{BILLING}"
assign = "cs_owner"

[[area]]
name = "Surveys"
channel = "{SURVEYS}"
oncall = "S0SURVEYS"
assign = "none"

[[area]]
name = "Data pipelines"
channel = "{PIPES}"
oncall = "S0PIPES"
assign = "round_robin"

[[area]]
name = "Feature flags"
channel = "{FLAGS}"
oncall = "{STAFF_2}"
assign = "round_robin"
"""


@pytest.fixture
def routing(tmp_path: Path, slack: SlackStub) -> str:
    """The routing file; Slack knows the replay team's group (listed out of order) and its people."""
    path = tmp_path / "routing.toml"
    path.write_text(ROUTING, encoding="utf-8")
    for person in (ALICE, BOB, CAROL):
        slack.add_user(person)
    slack.add_usergroup("S0REPLAY", [CAROL, ALICE, BOB])
    return str(path)


@pytest.fixture
def bot(slack: SlackStub, database_url: str, routing: str) -> Iterator[BotUnderTest]:
    """The bot with the routing file, in the customer channel."""
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing) as running:
        running.join_channel(CUSTOMER_CHANNEL)
        yield running


def file_in_area(bot: BotUnderTest, area: str | None, title: str = "Replays are blank") -> int:
    """/ticket in the customer channel, the form submitted with `area` picked; the ticket's number."""
    opened = len(bot.slack.calls_to("views.open"))
    status, _, _ = bot.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL, text=title)
    assert status == 200
    bot.slack.wait_for(lambda: len(bot.slack.calls_to("views.open")) > opened)
    values = ticket_values(severity="high", title=title)
    values["area"] = {"area": {"type": "static_select", "selected_option": {"value": area} if area else None}}
    status, body, _ = bot.submit_view(bot.opened_view(), values, user=CUSTOMER)
    assert status == 200 and body in (b"", b"{}"), body
    return bot.sql("SELECT max(id) FROM tickets")[0][0]


def assignee(bot: BotUnderTest, number: int) -> str | None:
    return bot.sql("SELECT assignee_id FROM tickets WHERE id = :n", n=number)[0][0]


def file_in_turn(bot: BotUnderTest, count: int) -> list[int]:
    """`count` Session replay tickets, each filed once the one before has its assignee (filed at
    once, their assignments may be made in any order by the outbox's parallel workers)."""
    numbers = []
    for i in range(count):
        numbers.append(file_in_area(bot, "Session replay", f"Replays are blank {i}"))
        assigned(bot, numbers[-1])
    return numbers


def assigned(bot: BotUnderTest, number: int) -> str:
    """Wait until ticket `number` has an assignee; return it."""
    return bot.slack.wait_for(lambda: assignee(bot, number))


def dms(slack: SlackStub, user: str, number: int) -> list[dict[str, Any]]:
    return [p for p in slack.posts(user) if f"ticket #{number} " in p["text"]]


def test_round_robin_gives_each_new_ticket_to_the_next_member_and_dms_them(
    slack: SlackStub, database_url: str, routing: str
) -> None:
    env = {"SUPPORT_ROUTING_FILE": routing, "SUPPORT_WEBHOOK_SECRET": "s3cret"}
    with (
        Receiver(ok_status=200) as receiver,
        running_bot(slack, database_url, SUPPORT_WEBHOOK_URL=receiver.url, **env) as bot,
    ):
        bot.join_channel(CUSTOMER_CHANNEL)
        numbers = file_in_turn(bot, 4)  # each assigned before the next is filed: the order is the rotation's
        got = [assigned(bot, n) for n in numbers]
        assert got == [ALICE, BOB, CAROL, ALICE]  # by user id, whatever order Slack lists them in
        call = slack.calls_to("usergroups.users.list")[0]
        assert call.args["usergroup"] == "S0REPLAY"
        # Each is told, with the ticket's number, severity, title and the link to its thread.
        for number, person in zip(numbers, got, strict=True):
            dm = slack.wait_for(lambda n=number, p=person: dms(slack, p, n))
            assert len(dm) == 1 and "(High)" in dm[0]["text"] and "Replays are blank" in dm[0]["text"]
            assert "https://host-inc.slack.com/archives/" in dm[0]["text"]
        drained(bot)
        # The audit trail: the bot did it, and why.
        events = bot.sql(
            "SELECT ticket_id, actor_id, old_value, new_value, reason FROM ticket_events "
            "WHERE field = 'assignee' ORDER BY ticket_id"
        )
        assert events == [(n, BOT_USER, None, p, "round_robin") for n, p in zip(numbers, got, strict=True)]
        assert bot.sql("SELECT status FROM tickets") == [("open",)] * 4  # assigned, not started
        # The "assignee" webhook, as for a person's reassign.
        hooks = receiver.wait_for(lambda got: [r.json() for r in got if r.json()["type"] == "ticket.assignee"])
        first = next(h for h in hooks if h["ticket"]["number"] == numbers[0])
        assert first["data"]["actor"] == BOT_USER and first["data"]["new"] == ALICE
        assert first["data"]["reason"] == "round_robin"
        # The cards show the assignee.
        mirror = next(p for p in slack.posts(REPLAY) if "Replays are blank 0" in p["text"])
        shown = [c.args for c in slack.calls_to("chat.update") if c.args["ts"] == mirror["ts"]]
        assert any(f"<@{ALICE}>" in json.dumps(u["blocks"]) for u in shown)


def test_the_rotation_survives_a_restart(slack: SlackStub, database_url: str, routing: str) -> None:
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        first = file_in_area(bot, "Session replay", "First")
        assert assigned(bot, first) == ALICE
        slack.wait_for(lambda: dms(slack, ALICE, first))
        # Resolved: nobody holds an open ticket of the area, so only the rotation decides.
        bot.click("ticket_resolve", user=STAFF, channel=CUSTOMER_CHANNEL, value=str(first))
        slack.wait_for(lambda: bot.sql("SELECT status FROM tickets WHERE id = :n", n=first)[0][0] == "resolved")
        drained(bot)
    with running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing) as bot:  # a new process
        second = file_in_area(bot, "Session replay", "Second")
        assert assigned(bot, second) == BOB
        assert bot.sql("SELECT last_user_id, picks FROM assignment_rotations") == [(BOB, 2)]


def test_round_robin_prefers_whoever_holds_the_fewest_open_tickets_of_the_area(
    slack: SlackStub, bot: BotUnderTest
) -> None:
    one, two = file_in_turn(bot, 2)
    assert (assigned(bot, one), assigned(bot, two)) == (ALICE, BOB)
    bot.click("ticket_resolve", user=STAFF, channel=CUSTOMER_CHANNEL, value=str(two))  # Bob's is done
    slack.wait_for(lambda: bot.sql("SELECT status FROM tickets WHERE id = :n", n=two)[0][0] == "resolved")
    three = file_in_area(bot, "Session replay", "Three")
    assert assigned(bot, three) == CAROL  # the rotation's turn, and she holds none
    four = file_in_area(bot, "Session replay", "Four")
    assert assigned(bot, four) == BOB  # Alice's turn, but she holds one and Bob none


def test_cs_owner_assigns_the_customers_cs_owner_from_onboarding(slack: SlackStub, bot: BotUnderTest) -> None:
    # No onboarding record yet: nobody, quietly (no error, no note).
    before = file_in_area(bot, "Billing", "Invoice is wrong")
    drained(bot)
    assert assignee(bot, before) is None
    assert not [p for p in slack.posts(BILLING) if "Nobody was assigned" in p["text"]]
    start_onboarding(bot, owner=STAFF_2)
    number = file_in_area(bot, "Billing", "Invoice is still wrong")
    assert assigned(bot, number) == STAFF_2
    assert slack.calls_to("users.info")[-1].args["user"] == STAFF_2  # still an active member
    dm = slack.wait_for(lambda: dms(slack, STAFF_2, number))[0]
    assert "CS owner" in dm["text"] and "Invoice is still wrong" in dm["text"]
    drained(bot)
    events = bot.sql("SELECT actor_id, new_value, reason FROM ticket_events WHERE field = 'assignee'")
    assert events == [(BOT_USER, STAFF_2, "cs_owner")]
    assert assignee(bot, before) is None  # filed before: not re-assigned


def test_a_deactivated_cs_owner_is_not_assigned_and_triage_is_told(slack: SlackStub, bot: BotUnderTest) -> None:
    start_onboarding(bot, owner=STAFF_2)
    slack.users[STAFF_2]["deleted"] = True  # left the company since
    number = file_in_area(bot, "Billing", "Invoice is wrong")
    note = slack.wait_for(lambda: [p for p in slack.posts(BILLING) if "Nobody was assigned" in p["text"]])
    drained(bot)
    assert len(note) == 1 and f"`{STAFF_2}` is deactivated" in note[0]["text"]
    assert assignee(bot, number) is None and not dms(slack, STAFF_2, number)


def test_none_and_no_area_leave_the_ticket_unassigned(slack: SlackStub, bot: BotUnderTest) -> None:
    numbers = [file_in_area(bot, "Surveys", "Survey"), file_in_area(bot, None, "No area")]
    slack.wait_for(lambda: bot.sql("SELECT count(*) FROM tickets WHERE triage_ts IS NOT NULL")[0][0] == 2)
    drained(bot)
    assert [assignee(bot, n) for n in numbers] == [None, None]
    assert bot.sql("SELECT count(*) FROM outbox WHERE kind = 'assign'") == [(0,)]
    assert slack.calls_to("usergroups.users.list") == []


def test_an_on_call_user_instead_of_a_group_gets_the_ticket(slack: SlackStub, bot: BotUnderTest) -> None:
    number = file_in_area(bot, "Feature flags", "Flag is stuck")
    assert assigned(bot, number) == STAFF_2
    slack.wait_for(lambda: dms(slack, STAFF_2, number))
    assert slack.calls_to("usergroups.users.list") == []


def test_a_person_who_assigns_first_is_never_overridden(slack: SlackStub, bot: BotUnderTest) -> None:
    slack.fail("usergroups.users.list", status=429, retry_after=2)  # the bot's look-up waits 2 s
    number = file_in_area(bot, "Session replay")
    slack.wait_for(lambda: slack.calls_to("usergroups.users.list"))
    bot.click("ticket_take", user=STAFF, channel=CUSTOMER_CHANNEL, value=str(number))
    slack.wait_for(lambda: assignee(bot, number) == STAFF)
    slack.wait_for(lambda: bot.sql("SELECT state FROM outbox WHERE kind = 'assign'") == [("sent",)], timeout=8)
    drained(bot)
    assert assignee(bot, number) == STAFF
    assert bot.sql("SELECT actor_id FROM ticket_events WHERE field = 'assignee'") == [(STAFF,)]
    assert all(not dms(slack, p, number) for p in (ALICE, BOB, CAROL, STAFF))


@pytest.mark.parametrize(
    ("trouble", "told"),
    [
        ("no_such_subteam", "no_such_subteam"),  # S0PIPES is not a group Slack knows
        ("empty", "has no active members"),
        ("missing_scope", "usergroups:read"),
    ],
)
def test_a_group_slack_cannot_list_leaves_the_ticket_unassigned_and_tells_triage_once(
    slack: SlackStub,
    database_url: str,
    routing: str,
    caplog: pytest.LogCaptureFixture,
    trouble: str,
    told: str,
) -> None:
    if trouble == "empty":
        slack.add_usergroup("S0PIPES", [])
    elif trouble == "missing_scope":
        slack.add_usergroup("S0PIPES", [ALICE])
        slack.revoke_scope("usergroups:read")
    with caplog.at_level(logging.WARNING), running_bot(slack, database_url, SUPPORT_ROUTING_FILE=routing) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        number = file_in_area(bot, "Data pipelines", "Export is stuck")
        note = slack.wait_for(lambda: [p for p in slack.posts(PIPES) if "Nobody was assigned" in p["text"]])
        drained(bot)
        assert len(note) == 1 and told in note[0]["text"] and f"ticket #{number} " in note[0]["text"]
        triage_ts = bot.sql("SELECT triage_ts FROM tickets WHERE id = :n", n=number)[0][0]
        assert note[0]["thread_ts"] == triage_ts  # in the ticket's triage thread
        assert "<!subteam^" not in note[0]["text"]  # nobody is paged by it
        assert assignee(bot, number) is None
        assert bot.sql("SELECT state FROM outbox WHERE kind = 'assign'") == [("sent",)]
    lines = [r for r in caplog.records if "left unassigned" in r.getMessage()]
    assert len(lines) == 1 and lines[0].exc_info is None


def test_moving_an_unassigned_ticket_into_a_round_robin_area_assigns_it(slack: SlackStub, bot: BotUnderTest) -> None:
    number = file_in_area(bot, "Surveys", "Actually a replay problem")
    slack.wait_for(lambda: bot.sql("SELECT triage_ts FROM tickets WHERE id = :n", n=number)[0][0])
    submit_move(bot, number, "Session replay", channel=SURVEYS)
    assert assigned(bot, number) == ALICE
    slack.wait_for(lambda: dms(slack, ALICE, number))
    submit_move(bot, number, "Surveys", channel=REPLAY)  # to an area that assigns nobody: the assignee stays
    drained(bot)
    assert bot.sql("SELECT area, assignee_id FROM tickets WHERE id = :n", n=number) == [("Surveys", ALICE)]
    submit_move(bot, number, "Session replay", channel=SURVEYS)  # back, assigned already: nothing owed
    drained(bot)
    assert bot.sql("SELECT area, assignee_id FROM tickets WHERE id = :n", n=number) == [("Session replay", ALICE)]
    assert bot.sql("SELECT count(*) FROM outbox WHERE kind = 'assign'") == [(1,)]


def test_picks_made_at_once_by_several_workers_still_take_turns(slack: SlackStub, bot: BotUnderTest) -> None:
    # Slack answers the look-ups together, so the assignments complete at once on the outbox's
    # parallel workers: each pick must still see the ones before it (the rotation row's lock).
    slack.hold("usergroups.users.list")
    numbers = []
    for i in range(6):
        numbers.append(file_in_area(bot, "Session replay", f"Burst {i}"))
        file_in_area(bot, None, f"Other {i}")  # 3 outbox rows: the next assignment's row is in another partition
    slack.wait_for(lambda: len(slack.calls_to("usergroups.users.list")) >= 2)
    time.sleep(0.3)  # every worker with an assignment to make is waiting for Slack
    slack.release("usergroups.users.list")
    got = sorted(assigned(bot, n) for n in numbers)
    assert got == [ALICE, ALICE, BOB, BOB, CAROL, CAROL]
    assert bot.sql("SELECT picks FROM assignment_rotations") == [(6,)]


@pytest.mark.parametrize("who", ["guest", "deactivated"])
def test_round_robin_skips_a_member_who_could_not_be_assigned_by_hand(
    slack: SlackStub, bot: BotUnderTest, who: str
) -> None:
    """A guest of our workspace is a customer to the bot (Reassign refuses them); a deactivated
    account cannot answer. Either may still be listed in the on-call group."""
    if who == "guest":
        slack.make_guest(BOB)
    else:
        slack.users[BOB]["deleted"] = True
    numbers = file_in_turn(bot, 3)
    got = [assigned(bot, n) for n in numbers]
    assert got == [ALICE, CAROL, ALICE]  # the others take turns; nobody is left unassigned


def test_round_robin_waits_when_slack_cannot_say_who_may_take_it(slack: SlackStub, bot: BotUnderTest) -> None:
    """users.info fails for every member (a Slack outage): the assignment is tried again later,
    not given to someone unchecked nor dropped."""
    for member in (ALICE, BOB, CAROL):
        slack.fail_user(member, kind="server_error")  # each member's look-up, once
    number = file_in_area(bot, "Session replay")
    assert assigned(bot, number) == ALICE
    drained(bot)
    assert bot.sql("SELECT state, attempts FROM outbox WHERE kind = 'assign'") == [("sent", 2)]
    assert [n for n in bot.slack.posts(REPLAY) if "Nobody was assigned" in n["text"]] == []


def test_a_group_of_guests_only_leaves_the_ticket_unassigned_and_triage_told(
    slack: SlackStub, bot: BotUnderTest
) -> None:
    for member in (ALICE, BOB, CAROL):
        slack.make_guest(member)
    number = file_in_area(bot, "Session replay")
    note = slack.wait_for(lambda: [n for n in slack.posts(REPLAY) if "Nobody was assigned" in n["text"]])[0]
    drained(bot)
    assert f"#{number}" in note["text"] and assignee(bot, number) is None
