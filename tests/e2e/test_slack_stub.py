"""The Slack stub refuses what Slack refuses, in Slack's words, and serves what Slack serves.

Driven through slack_sdk's own WebClient, as the bot drives it.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from fakeslack import HOST_TEAM, SlackStub
from fakeslack.rules import message_errors, view_errors

CHANNEL = "C0STUB"


@pytest.fixture
def stub() -> Iterator[SlackStub]:
    running = SlackStub().start()
    yield running
    running.stop()


@pytest.fixture
def client(stub: SlackStub) -> WebClient:
    return WebClient(token="xoxb-test", base_url=stub.url, timeout=2, retry_handlers=[])


def section(text: str, **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": {"type": "mrkdwn", "text": text}, **extra}


def modal(**extra: Any) -> dict[str, Any]:
    return {
        "type": "modal",
        "callback_id": "ticket_modal",
        "title": {"type": "plain_text", "text": "File a ticket"},
        "blocks": [section("hi")],
        **extra,
    }


def refusal(call: Any) -> dict[str, Any]:
    with pytest.raises(SlackApiError) as raised:
        call()
    assert raised.value.response.status_code == 200  # Slack refuses with HTTP 200
    return dict(raised.value.response.data)


# -- messages ----------------------------------------------------------------------------------
def test_a_3001_character_section_is_refused_in_slacks_words(client: WebClient, stub: SlackStub) -> None:
    answer = refusal(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("a" * 3001)]))
    assert answer["ok"] is False
    assert answer["error"] == "invalid_blocks"
    assert answer["errors"] == ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"]
    assert stub.posts(CHANNEL) == []


def test_a_3000_character_section_is_posted(client: WebClient, stub: SlackStub) -> None:
    assert client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("a" * 3000)])["ok"]
    assert len(stub.posts(CHANNEL)) == 1


def test_escaped_text_is_counted_as_sent_not_as_read() -> None:
    assert message_errors({"blocks": [section("&amp;" * 600)]}) is None  # 3000 characters on the wire
    assert message_errors({"blocks": [section("&amp;" * 600 + "!")]}) == (
        "invalid_blocks",
        ["must be less than 3001 characters [json-pointer:/blocks/0/text/text]"],
    )


def test_51_blocks_are_refused_and_50_posted(client: WebClient) -> None:
    answer = refusal(lambda: client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("b")] * 51))
    assert answer["errors"] == ["no more than 50 items allowed [json-pointer:/blocks]"]
    assert client.chat_postMessage(channel=CHANNEL, text="x", blocks=[section("b")] * 50)["ok"]


def test_chat_update_and_post_ephemeral_are_checked_too(client: WebClient) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    header = {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}
    answer = refusal(lambda: client.chat_update(channel=CHANNEL, ts=ts, text="x", blocks=[header]))
    assert answer["errors"] == ["must be less than 151 characters [json-pointer:/blocks/0/text/text]"]
    answer = refusal(lambda: client.chat_postEphemeral(channel=CHANNEL, user="U1", text="x", blocks=[header]))
    assert answer["error"] == "invalid_blocks"


@pytest.mark.parametrize(
    ("block", "error"),
    [
        (
            {"type": "header", "text": {"type": "plain_text", "text": "h" * 151}},
            "must be less than 151 characters [json-pointer:/blocks/0/text/text]",
        ),
        (
            {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 11},
            "no more than 10 items allowed [json-pointer:/blocks/0/elements]",
        ),
        (
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f"}] * 11},
            "no more than 10 items allowed [json-pointer:/blocks/0/fields]",
        ),
        (
            {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2001}]},
            "must be less than 2001 characters [json-pointer:/blocks/0/fields/0/text]",
        ),
        (section(""), "must be more than 0 characters [json-pointer:/blocks/0/text/text]"),
        (section("s", block_id="b" * 256), "must be less than 256 characters [json-pointer:/blocks/0/block_id]"),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "t" * 76}, "action_id": "a"}],
            },
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/text/text]",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "button",
                        "text": {"type": "plain_text", "text": "t"},
                        "action_id": "a",
                        "value": "v" * 2001,
                    }
                ],
            },
            "must be less than 2001 characters [json-pointer:/blocks/0/elements/0/value]",
        ),
        (
            {
                "type": "actions",
                "elements": [{"type": "button", "text": {"type": "plain_text", "text": "t"}, "action_id": "a" * 256}],
            },
            "must be less than 256 characters [json-pointer:/blocks/0/elements/0/action_id]",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "overflow",
                        "action_id": "o",
                        "options": [
                            {"text": {"type": "plain_text", "text": "o" * 76}, "value": "1"},
                            {"text": {"type": "plain_text", "text": "fine"}, "value": "2"},
                        ],
                    }
                ],
            },
            "must be less than 76 characters [json-pointer:/blocks/0/elements/0/options/0/text/text]",
        ),
        (
            {
                "type": "actions",
                "elements": [
                    {
                        "type": "static_select",
                        "action_id": "s",
                        "options": [{"text": {"type": "plain_text", "text": "o"}, "value": "v" * 151}],
                    }
                ],
            },
            "must be less than 151 characters [json-pointer:/blocks/0/elements/0/options/0/value]",
        ),
    ],
    ids=[
        "header 151",
        "context 11",
        "fields 11",
        "field 2001",
        "empty text",
        "block_id 256",
        "button text 76",
        "button value 2001",
        "action_id 256",
        "option text 76",
        "option value 151",
    ],
)
def test_each_documented_block_limit_is_refused(block: dict[str, Any], error: str) -> None:
    assert message_errors({"text": "x", "blocks": [block]}) == ("invalid_blocks", [error])


def test_an_initial_option_must_be_one_of_the_options() -> None:
    options = [{"text": {"type": "plain_text", "text": n}, "value": n} for n in ("low", "high")]
    radio = {"type": "radio_buttons", "action_id": "r", "options": options}
    block = {"type": "input", "label": {"type": "plain_text", "text": "Severity"}, "element": radio}
    assert message_errors({"blocks": [{**block, "element": {**radio, "initial_option": options[1]}}]}) is None
    stray = {"text": {"type": "plain_text", "text": "medium"}, "value": "medium"}
    assert message_errors({"blocks": [{**block, "element": {**radio, "initial_option": stray}}]}) == (
        "invalid_blocks",
        ["initial_option must match one of the options [json-pointer:/blocks/0/element/initial_option]"],
    )


def test_the_limits_themselves_are_accepted() -> None:
    button = {"type": "button", "text": {"type": "plain_text", "text": "t" * 75}, "action_id": "a" * 255}
    blocks = [
        {"type": "header", "text": {"type": "plain_text", "text": "h" * 150}},
        {"type": "context", "elements": [{"type": "mrkdwn", "text": "c"}] * 10},
        {"type": "section", "fields": [{"type": "mrkdwn", "text": "f" * 2000}] * 10, "block_id": "b" * 255},
        {"type": "actions", "elements": [{**button, "value": "v" * 2000}]},
    ]
    assert message_errors({"text": "t" * 40_000, "blocks": blocks}) is None


def test_a_block_id_used_twice_in_one_message_is_refused() -> None:
    assert message_errors({"blocks": [section("a", block_id="x"), section("b", block_id="x")]}) == (
        "invalid_blocks",
        ["duplicate block_id [json-pointer:/blocks/1/block_id]"],
    )


def test_text_over_40000_characters_is_refused(client: WebClient) -> None:
    answer = refusal(lambda: client.chat_postMessage(channel=CHANNEL, text="t" * 40_001))
    assert answer["error"] == "msg_too_long"


def test_slack_sdks_own_validators_run_where_ours_have_no_rule() -> None:
    image = {"type": "image", "image_url": "https://example.com/a.png", "alt_text": "a" * 2001}
    refused = message_errors({"blocks": [image]})
    assert refused is not None and refused[0] == "invalid_blocks"
    assert refused[1] == ["alt_text attribute cannot exceed 2000 characters [json-pointer:/blocks/0]"]


# -- views -------------------------------------------------------------------------------------
def test_a_view_title_of_25_characters_is_refused_as_invalid_arguments(client: WebClient) -> None:
    view = modal(title={"type": "plain_text", "text": "t" * 25})
    answer = refusal(lambda: client.views_open(trigger_id="t1", view=view))
    assert answer["error"] == "invalid_arguments"
    assert answer["response_metadata"]["messages"] == [
        "[ERROR] must be less than 25 characters [json-pointer:/view/title/text]"
    ]
    assert client.views_open(trigger_id="t2", view=modal(title={"type": "plain_text", "text": "t" * 24}))["ok"]


@pytest.mark.parametrize(
    ("changes", "error"),
    [
        (
            {"submit": {"type": "plain_text", "text": "s" * 25}},
            "must be less than 25 characters [json-pointer:/view/submit/text]",
        ),
        (
            {"close": {"type": "plain_text", "text": "c" * 25}},
            "must be less than 25 characters [json-pointer:/view/close/text]",
        ),
        ({"private_metadata": "m" * 3001}, "must be less than 3001 characters [json-pointer:/view/private_metadata]"),
        ({"callback_id": "c" * 256}, "must be less than 256 characters [json-pointer:/view/callback_id]"),
        ({"blocks": [section("b")] * 101}, "no more than 100 items allowed [json-pointer:/view/blocks]"),
        (
            {
                "blocks": [
                    {
                        "type": "input",
                        "block_id": "title",
                        "label": {"type": "plain_text", "text": "Title"},
                        "element": {"type": "plain_text_input", "action_id": "title"},
                    }
                ]
            },
            "submit is required when an input block is present [json-pointer:/view/submit]",
        ),
    ],
    ids=["submit 25", "close 25", "private_metadata 3001", "callback_id 256", "101 blocks", "input without submit"],
)
def test_each_documented_view_limit_is_refused(changes: dict[str, Any], error: str) -> None:
    assert view_errors(modal(**changes)) == [error]


def test_every_views_method_is_checked(client: WebClient) -> None:
    bad = modal(blocks=[section("b")] * 101)
    for call in (
        lambda: client.views_open(trigger_id="t", view=bad),
        lambda: client.views_push(trigger_id="t", view=bad),
        lambda: client.views_update(view_id="V1", view=bad),
        lambda: client.views_publish(user_id="U1", view={"type": "home", "blocks": [section("b")] * 101}),
    ):
        assert refusal(call)["error"] == "invalid_arguments"


# -- history and replies -----------------------------------------------------------------------
def test_history_is_top_level_messages_and_broadcasts_newest_first(client: WebClient, stub: SlackStub) -> None:
    stub.add_message(CHANNEL, "100.000001", "U1", "first")
    stub.add_message(CHANNEL, "100.000002", "U2", "a reply", thread_ts="100.000001")
    stub.add_message(CHANNEL, "100.000003", "U1", "second")
    broadcast = client.chat_postMessage(channel=CHANNEL, text="also here", thread_ts="100.000001", reply_broadcast=True)
    found = client.conversations_history(channel=CHANNEL)["messages"]
    assert [m["ts"] for m in found] == [broadcast["ts"], "100.000003", "100.000001"]
    assert found[0]["subtype"] == "thread_broadcast"


def test_history_bounds_are_exclusive_unless_inclusive(client: WebClient, stub: SlackStub) -> None:
    for n in (1, 2, 3):
        stub.add_message(CHANNEL, f"100.00000{n}", "U1", f"m{n}")
    window = {"channel": CHANNEL, "oldest": "100.000001", "latest": "100.000003"}
    assert [m["ts"] for m in client.conversations_history(**window)["messages"]] == ["100.000002"]
    inclusive = client.conversations_history(**window, inclusive=True)["messages"]
    assert [m["ts"] for m in inclusive] == ["100.000003", "100.000002", "100.000001"]
    one = client.conversations_history(channel=CHANNEL, latest="100.000002", oldest="100.000002", inclusive=True)
    assert [m["text"] for m in one["messages"]] == ["m2"]


def test_replies_with_a_parent_is_the_thread_with_a_reply_just_that_reply(client: WebClient, stub: SlackStub) -> None:
    stub.add_message(CHANNEL, "100.000001", "U1", "parent")
    stub.add_message(CHANNEL, "100.000002", "U2", "reply 1", thread_ts="100.000001")
    stub.add_message(CHANNEL, "100.000003", "U1", "reply 2", thread_ts="100.000001")
    thread = client.conversations_replies(channel=CHANNEL, ts="100.000001")["messages"]
    assert [m["text"] for m in thread] == ["parent", "reply 1", "reply 2"]
    reply = client.conversations_replies(channel=CHANNEL, ts="100.000002")["messages"]
    assert [m["text"] for m in reply] == ["reply 1"]
    assert refusal(lambda: client.conversations_replies(channel=CHANNEL, ts="999.000001"))["error"] == (
        "thread_not_found"
    )


# -- people --------------------------------------------------------------------------------------
def test_a_guest_looks_up_with_our_team_id_and_restricted(client: WebClient, stub: SlackStub) -> None:
    stub.make_guest("UGUEST")
    stub.make_guest("USINGLE", ultra=True)
    guest = client.users_info(user="UGUEST")["user"]
    assert (guest["team_id"], guest["is_restricted"], guest["is_ultra_restricted"]) == (HOST_TEAM, True, False)
    single = client.users_info(user="USINGLE")["user"]
    assert (single["team_id"], single["is_ultra_restricted"]) == (HOST_TEAM, True)


def test_a_users_look_up_can_be_rate_limited_then_answer(client: WebClient, stub: SlackStub) -> None:
    stub.add_user("U1")
    stub.add_user("U2")
    stub.fail_user("U1", "ratelimited", times=1, retry_after=7)
    with pytest.raises(SlackApiError) as raised:
        client.users_info(user="U1")
    assert raised.value.response.status_code == 429
    assert raised.value.response.headers["Retry-After"] == "7"
    assert raised.value.response["error"] == "ratelimited"
    assert client.users_info(user="U2")["ok"]  # only that user's look-up fails
    assert client.users_info(user="U1")["user"]["id"] == "U1"


def test_a_users_look_up_can_fail_with_a_server_error_or_time_out(client: WebClient, stub: SlackStub) -> None:
    stub.add_user("U1")
    stub.fail_user("U1", "server_error", times=2)
    for _ in range(2):
        with pytest.raises(SlackApiError) as raised:
            client.users_info(user="U1")
        assert raised.value.response.status_code == 500
    stub.fail_user("U1", "timeout", delay=3)
    started = time.monotonic()
    with pytest.raises(TimeoutError):
        client.users_info(user="U1")  # the client's timeout is 2 s
    assert time.monotonic() - started < 3
    with pytest.raises(ValueError, match="unknown failure kind"):
        stub.fail_user("U1", "gone")


# -- channels and messages -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("change", "error"),
    [("archive", "is_archived"), ("remove_bot", "not_in_channel"), ("delete_channel", "channel_not_found")],
)
def test_posts_and_updates_in_a_lost_channel_answer_slacks_error(
    client: WebClient, stub: SlackStub, change: str, error: str
) -> None:
    stub.add_channel(CHANNEL, "acme")
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    getattr(stub, change)(CHANNEL)
    assert refusal(lambda: client.chat_postMessage(channel=CHANNEL, text="more"))["error"] == error
    assert refusal(lambda: client.chat_update(channel=CHANNEL, ts=ts, text="changed"))["error"] == error
    assert refusal(lambda: client.chat_postEphemeral(channel=CHANNEL, user="U1", text="psst"))["error"] == error
    assert client.chat_postMessage(channel="C0OTHER", text="elsewhere")["ok"]


def test_an_archived_channel_can_be_unarchived(client: WebClient, stub: SlackStub) -> None:
    stub.add_channel(CHANNEL, "acme")
    stub.archive(CHANNEL)
    assert client.conversations_info(channel=CHANNEL)["channel"]["is_archived"] is True
    stub.unarchive(CHANNEL)
    assert client.chat_postMessage(channel=CHANNEL, text="back")["ok"]


def test_reactions_are_recorded_and_refused_as_slack_does(client: WebClient, stub: SlackStub) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    assert client.reactions_add(channel=CHANNEL, timestamp=ts, name="eyes")["ok"]
    assert stub.reactions[(CHANNEL, ts)] == {"eyes": [stub.bot_user]}
    assert refusal(lambda: client.reactions_add(channel=CHANNEL, timestamp=ts, name="eyes"))["error"] == (
        "already_reacted"
    )
    assert client.reactions_remove(channel=CHANNEL, timestamp=ts, name="eyes")["ok"]
    assert refusal(lambda: client.reactions_remove(channel=CHANNEL, timestamp=ts, name="eyes"))["error"] == (
        "no_reaction"
    )


def test_a_deleted_message_is_not_found(client: WebClient, stub: SlackStub) -> None:
    ts = client.chat_postMessage(channel=CHANNEL, text="card")["ts"]
    stub.delete_message(CHANNEL, ts)
    assert refusal(lambda: client.chat_update(channel=CHANNEL, ts=ts, text="x"))["error"] == "message_not_found"
    assert refusal(lambda: client.reactions_add(channel=CHANNEL, timestamp=ts, name="eyes"))["error"] == (
        "message_not_found"
    )
    assert refusal(lambda: client.chat_getPermalink(channel=CHANNEL, message_ts=ts))["error"] == "message_not_found"
    assert client.conversations_history(channel=CHANNEL)["messages"] == []


# -- user groups ---------------------------------------------------------------------------------
def test_a_user_group_lists_its_members(client: WebClient, stub: SlackStub) -> None:
    stub.add_usergroup("S0TEAM", ["U0B", "U0A"])
    assert client.usergroups_users_list(usergroup="S0TEAM")["users"] == ["U0B", "U0A"]
    # GET with the arguments in the query string, as Slack prefers for this method
    assert client.api_call("usergroups.users.list", http_verb="GET", params={"usergroup": "S0TEAM"})["ok"]


def test_a_user_group_look_up_is_refused_as_slack_does(client: WebClient, stub: SlackStub) -> None:
    stub.add_usergroup("S0OLD", ["U0A"], enabled=False)
    assert refusal(lambda: client.usergroups_users_list(usergroup="S0NOPE"))["error"] == "no_such_subteam"
    assert refusal(lambda: client.usergroups_users_list(usergroup="S0OLD"))["error"] == "no_such_subteam"
    assert client.usergroups_users_list(usergroup="S0OLD", include_disabled=True)["users"] == ["U0A"]
    assert refusal(lambda: client.api_call("usergroups.users.list", params={}))["error"] == "invalid_arg_name"
    # It takes a form only: a JSON body is not read, so the group is missing.
    sent_as_json = lambda: client.api_call("usergroups.users.list", json={"usergroup": "S0OLD"})  # noqa: E731
    assert refusal(sent_as_json)["error"] == "invalid_arg_name"


def test_a_user_group_look_up_needs_the_usergroups_read_scope(client: WebClient, stub: SlackStub) -> None:
    stub.add_usergroup("S0TEAM", ["U0A"])
    stub.revoke_scope("usergroups:read")
    answer = refusal(lambda: client.usergroups_users_list(usergroup="S0TEAM"))
    assert answer["error"] == "missing_scope" and answer["needed"] == "usergroups:read"
