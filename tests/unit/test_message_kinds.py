"""Pure parts of "who wrote this": message kinds, readable text, staff classification, event teams."""

from __future__ import annotations

import pytest

from slack_api.identity import HostIdentity, Who, classify_user, event_team, payload_team
from slack_api.message_kinds import MessageKind, message_kind, readable_text, thread_reply

HOST = HostIdentity(team_id="T0HOST", enterprise_id=None, bot_user_id="U0BOT", bot_id="B0BOT", url="https://x/")
GRID = HostIdentity(team_id="T0HOST", enterprise_id="E0GRID", bot_user_id="U0BOT", bot_id="B0BOT", url="https://x/")
REPLY = {"type": "message", "user": "U1", "text": "hi", "ts": "2.000002", "thread_ts": "1.000001", "channel": "C1"}


@pytest.mark.parametrize(
    ("event", "kind"),
    [
        (REPLY, MessageKind.REPLY),
        ({**REPLY, "subtype": "thread_broadcast"}, MessageKind.REPLY),
        ({**REPLY, "subtype": "file_share", "text": ""}, MessageKind.REPLY),
        ({**REPLY, "subtype": "me_message"}, MessageKind.REPLY),
        ({**REPLY, "subtype": ""}, MessageKind.REPLY),  # java-slack-sdk's samples: "" for a plain message
        ({**REPLY, "thread_ts": None}, MessageKind.TOP_LEVEL),
        ({**REPLY, "thread_ts": REPLY["ts"]}, MessageKind.TOP_LEVEL),  # a thread's root
        ({**REPLY, "subtype": "bot_message", "bot_id": "B1"}, MessageKind.FROM_AN_APP),
        ({**REPLY, "bot_id": "B1"}, MessageKind.FROM_AN_APP),  # an app posting with a user
        ({**REPLY, "bot_profile": {"id": "B1"}}, MessageKind.FROM_AN_APP),
        ({**REPLY, "workflow_id": "Wf1"}, MessageKind.FROM_AN_APP),
        ({"type": "message", "subtype": "message_changed", "message": REPLY}, MessageKind.EDIT),
        ({"type": "message", "subtype": "message_deleted", "deleted_ts": "2.000002"}, MessageKind.DELETION),
        ({**REPLY, "subtype": "huddle_thread"}, MessageKind.NOTICE),
        ({**REPLY, "subtype": "channel_join"}, MessageKind.NOTICE),
        ({**REPLY, "subtype": "channel_leave"}, MessageKind.NOTICE),
        ({**REPLY, "user": None}, MessageKind.NOTICE),
    ],
)
def test_each_message_kind(event: dict, kind: MessageKind) -> None:
    assert message_kind(event) is kind
    assert (thread_reply(event) is not None) is (kind is MessageKind.REPLY)


def test_a_reply_carries_the_authors_team_from_the_event() -> None:
    reply = thread_reply({**REPLY, "user_team": "T0CUST", "team": "T0OTHER"})
    assert reply is not None and reply.team_hint == "T0CUST" and reply.thread_ts == "1.000001"


def test_event_team_prefers_user_team_then_profile_then_team() -> None:
    assert event_team({"user_team": "T1", "team": "T2"}) == "T1"
    assert event_team({"user_profile": {"team": "T3"}, "team": "T2"}) == "T3"
    assert event_team({"team": "T2"}) == "T2"
    assert event_team({"team": ""}) is None and event_team({}) is None


def test_payload_team_reads_the_users_team() -> None:
    assert payload_team({"user": {"id": "U1", "team_id": "T9"}}) == "T9"
    assert payload_team({"user": {"id": "U1"}}) is None and payload_team({}) is None


@pytest.mark.parametrize(
    ("user", "host", "who"),
    [
        ({"team_id": "T0HOST"}, HOST, Who.STAFF),
        ({"team_id": "T0HOST", "is_restricted": True}, HOST, Who.CUSTOMER),
        ({"team_id": "T0HOST", "is_ultra_restricted": True}, HOST, Who.CUSTOMER),
        ({"team_id": "T0CUST"}, HOST, Who.CUSTOMER),
        ({"team_id": "T0SISTER", "enterprise_user": {"enterprise_id": "E0GRID"}}, GRID, Who.STAFF),
        (
            {"team_id": "T0SISTER", "enterprise_user": {"enterprise_id": "E0GRID"}, "is_restricted": True},
            GRID,
            Who.CUSTOMER,
        ),
    ],
)
def test_classify_user(user: dict, host: HostIdentity, who: Who) -> None:
    assert classify_user(user, host) is who


def test_readable_text_falls_back_to_attachments_and_files() -> None:
    assert readable_text({"text": " Exports fail "}) == "Exports fail"
    alert = {"text": "", "attachments": [{"fallback": "fb", "title": "Lag 45 min", "text": "eu-1"}]}
    assert readable_text(alert) == "Lag 45 min\neu-1"
    assert readable_text({"attachments": [{"fallback": "only fallback"}]}) == "only fallback"
    assert readable_text({"text": "", "files": [{"name": "a.csv"}]}) == "File: a.csv"
    assert readable_text({}) == ""


def test_a_top_level_message_without_a_ts_is_nothing_to_track() -> None:
    """An edit's inner `message` in Slack's samples may lack `ts`: nothing to link to or react on."""
    from slack_api.message_kinds import top_level_message

    assert top_level_message({"type": "message", "user": "U0CUST", "text": "Our exports fail", "channel": "C1"}) is None
    found = top_level_message({"type": "message", "user": "U0CUST", "text": "x", "channel": "C1", "ts": "1.000100"})
    assert found is not None and (found.ts, found.thread_ts) == ("1.000100", "1.000100")
