"""A hostile real workspace replayed into intake (issue 16): the inputs a live channel sends that
test_conversation_inputs.py does not cover — DMs, private shared channels, hidden notices, links,
Enterprise Grid envelopes, edits, huge and block-only messages, duplicate deliveries racing each
other, 429s mid-burst, and the bodies others collected in ../shared/peer-payloads/."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from fakeslack import CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, HOST_TEAM, STAFF, TRIAGE, SlackStub, payloads
from fakeslack.messages import customer_message, edited_message, new_ts, person_message
from tests.support import REPO, BotUnderTest, drained, running_bot

PEER_PAYLOADS = REPO.parent / "shared" / "peer-payloads"


def _conversations(bot: BotUnderTest) -> list[tuple]:
    rows = bot.sql("SELECT reporter_id, title, source_ts FROM tickets WHERE source = 'message' ORDER BY id")
    return [tuple(r) for r in rows]


def _eyes(bot: BotUnderTest, channel: str, ts: str) -> list[str]:
    return bot.slack.reactions.get((channel, ts), {}).get("eyes", [])


def _notice(channel: str, subtype: str, **extra: Any) -> dict[str, Any]:
    ts = new_ts()
    return {"type": "message", "subtype": subtype, "ts": ts, "event_ts": ts, "channel": channel, **extra}


def test_a_direct_message_to_the_bot_is_not_a_conversation(bot: BotUnderTest, channel: str) -> None:
    dm = {**customer_message("D0CUSTDM", "Can you reset my password please"), "channel_type": "im"}
    mpim = {**customer_message("G0MPIM1", "Group DM: our flags are broken"), "channel_type": "mpim"}
    assert bot.event(dm)[0] == 200 and bot.event(mpim)[0] == 200
    drained(bot)
    assert _conversations(bot) == []
    assert bot.slack.count("reactions.add") == 0


def test_a_private_shared_channel_is_heard_like_a_public_one(bot: BotUnderTest) -> None:
    bot.join_channel("G0PRIVATE", name="acme-private")
    said = {**customer_message("G0PRIVATE", "Session replay is blank for every user"), "channel_type": "group"}
    assert bot.event(said)[0] == 200
    drained(bot)
    assert _conversations(bot) == [(CUSTOMER, "Session replay is blank for every user", said["ts"])]
    assert _eyes(bot, "G0PRIVATE", said["ts"]) == [bot.slack.bot_user]


def test_hidden_notices_and_replied_events_are_not_conversations_a_broadcast_question_is(
    bot: BotUnderTest, channel: str
) -> None:
    root = person_message(channel, STAFF, "Heads-up: maintenance window tonight 22:00 UTC")
    broadcast = customer_message(channel, "Will ingestion pause during it?", thread_ts=root["ts"])
    broadcast["subtype"] = "thread_broadcast"
    broadcast["root"] = {k: root[k] for k in ("user", "text", "ts")}
    replied = _notice(
        channel, "message_replied", hidden=True, message={**root, "reply_count": 1, "replies": [broadcast["ts"]]}
    )
    notices = [
        _notice(channel, "channel_topic", user=CUSTOMER, text="set the channel topic: PostHog x Acme", topic="x"),
        _notice(channel, "channel_purpose", user=CUSTOMER, text="set the channel purpose: support", purpose="x"),
        _notice(channel, "pinned_item", user=CUSTOMER, text=f"<@{CUSTOMER}> pinned a message to this channel."),
        _notice(channel, "ekm_access_denied", user="U00", text="Your admins have suspended everyone's access."),
        _notice(channel, "channel_name", user=CUSTOMER, old_name="acme", name="acme-support", text="renamed"),
    ]
    for event in (root, broadcast, replied, *notices):
        assert bot.event(event)[0] == 200
    drained(bot)
    # The customer's question, also sent to the channel, under a staff post no ticket owns: heard,
    # once; the notices and the hidden message_replied add nothing.
    assert _conversations(bot) == [(CUSTOMER, "Will ingestion pause during it?", broadcast["ts"])]
    assert bot.slack.count("reactions.add") == 1  # the 👀 on the question


def test_a_message_that_is_only_a_link_is_heard(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "<https://us.posthog.com/project/12/insights/abc>")
    bot.event(said)
    assert _conversations(bot) == [(CUSTOMER, "https://us.posthog.com/project/12/insights/abc", said["ts"])]


def test_an_enterprise_grid_delivery_from_another_org_is_heard(bot: BotUnderTest, channel: str) -> None:
    said = {
        **customer_message(channel, "Our org-wide SSO broke this morning"),
        "is_ext_shared_channel": True,
        "user": "W0CUSTORG",
    }
    bot.slack.add_user("W0CUSTORG", CUSTOMER_TEAM)
    body = payloads.event_callback(said, event_id="EvGRID0001", team_id=HOST_TEAM)
    body["enterprise_id"] = "E0CUSTORG"
    body["is_ext_shared_channel"] = True
    body["authorizations"] = [
        {
            "enterprise_id": None,
            "team_id": HOST_TEAM,
            "user_id": bot.slack.bot_user,
            "is_bot": True,
            "is_enterprise_install": False,
        },
    ]
    status, _, _ = bot.request(payloads.json_body(body), "application/json")
    assert status == 200
    assert _conversations(bot) == [("W0CUSTORG", "Our org-wide SSO broke this morning", said["ts"])]


def test_a_forty_thousand_character_message_is_heard_and_its_card_fits(bot: BotUnderTest, channel: str) -> None:
    long_text = "Stack trace follows\n" + ("at posthog.api.Query.run (query.py:42) " * 1050)[:40_000]
    said = customer_message(channel, long_text)
    assert bot.event(said)[0] == 200
    drained(bot)
    [(reporter, title, _)] = _conversations(bot)
    assert (reporter, title) == (CUSTOMER, "Stack trace follows")
    assert _eyes(bot, channel, said["ts"]) == [bot.slack.bot_user]
    (description,) = bot.sql("SELECT description FROM tickets")[0]
    assert 0 < len(description) < len(long_text)  # kept, cut to fit
    triage = bot.slack.posts(TRIAGE)
    assert triage and not [p for p in triage if "refused" in json.dumps(p)]  # its card went out whole


def test_emoji_only_rich_text_with_empty_text_is_noise(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "")
    said["blocks"] = [
        {
            "type": "rich_text",
            "block_id": "e1",
            "elements": [{"type": "rich_text_section", "elements": [{"type": "emoji", "name": "tada"}]}],
        }
    ]
    assert bot.event(said)[0] == 200
    drained(bot)
    assert _conversations(bot) == []


def test_words_only_in_rich_text_with_empty_text_are_heard(bot: BotUnderTest, channel: str) -> None:
    """Slack Connect and some clients deliver a person's message with `text` "" and the words only in
    its rich_text blocks: it is still a customer writing, and must not be taken for an empty message."""
    said = customer_message(channel, "")
    said["blocks"] = [
        {
            "type": "rich_text",
            "block_id": "w1",
            "elements": [
                {
                    "type": "rich_text_section",
                    "elements": [
                        {"type": "text", "text": "Our "},
                        {"type": "text", "text": "feature flags", "style": {"bold": True}},
                        {"type": "text", "text": " return false for "},
                        {"type": "user", "user_id": STAFF},
                        {"type": "text", "text": " "},
                        {"type": "link", "url": "https://acme.example/app", "text": "the app"},
                    ],
                },
                {
                    "type": "rich_text_list",
                    "style": "bullet",
                    "elements": [
                        {"type": "rich_text_section", "elements": [{"type": "text", "text": "since 09:00"}]},
                    ],
                },
            ],
        }
    ]
    assert bot.event(said)[0] == 200
    drained(bot)
    [(reporter, title, ts)] = _conversations(bot)
    assert (reporter, ts) == (CUSTOMER, said["ts"])
    assert title.startswith("Our feature flags return false for")


def test_thanks_edited_into_a_question_is_heard(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "thanks!")
    bot.event(said)
    edit = edited_message(said, "thanks! but the export still fails for project 12?")
    bot.event(edit)
    drained(bot)
    assert [ts for _, _, ts in _conversations(bot)] == [said["ts"]]


def test_one_message_delivered_twice_at_once_is_one_conversation(bot: BotUnderTest, channel: str) -> None:
    said = customer_message(channel, "Our experiment results page 500s")
    with ThreadPoolExecutor(max_workers=4) as pool:
        answers = list(pool.map(lambda n: bot.event(said, event_id=f"EvTWICE{n:04d}")[0], range(4)))
    assert answers == [200] * 4
    drained(bot)
    assert _conversations(bot) == [(CUSTOMER, "Our experiment results page 500s", said["ts"])]
    assert bot.sql("SELECT count(*) FROM ticket_threads")[0][0] == 1
    assert bot.sql("SELECT count(*) FROM ticket_messages")[0][0] == 0
    assert bot.slack.count("reactions.add") == 1


def test_a_429_on_reactions_mid_burst_only_delays_the_eyes(bot: BotUnderTest, channel: str) -> None:
    bot.slack.fail("reactions.add", status=429, times=2, retry_after=1)
    senders = ["U0BURST1", "U0BURST2", "U0BURST3"]
    said = []
    for user in senders:
        bot.slack.add_user(user, CUSTOMER_TEAM)
        said.append(person_message(channel, user, f"{user}: our dashboards stopped loading", team=CUSTOMER_TEAM))
    for event in said:
        assert bot.event(event)[0] == 200
    bot.slack.wait_for(lambda: all(_eyes(bot, channel, e["ts"]) for e in said), timeout=15)
    for event in said:
        assert _eyes(bot, channel, event["ts"]) == [bot.slack.bot_user]
    assert len(_conversations(bot)) == 3


def test_a_429_on_the_ask_ephemeral_only_delays_it(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, SUPPORT_INTAKE="ask") as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        bot.slack.fail("chat.postEphemeral", status=429, times=1, retry_after=1)
        said = customer_message(CUSTOMER_CHANNEL, "Can we get SAML on the Teams plan?")
        assert bot.event(said)[0] == 200
        bot.slack.wait_for(lambda: bot.slack.ephemerals, timeout=10)
        drained(bot)
        assert [e["user"] for e in bot.slack.ephemerals] == [CUSTOMER]  # delivered once, after the 429
        assert bot.slack.count("chat.postEphemeral") == 2
        assert _conversations(bot) == []


def _peer_messages() -> list[tuple[str, dict[str, Any]]]:
    index = PEER_PAYLOADS / "INDEX.json"
    if not index.is_file():
        return []
    found = []
    for entry in json.loads(index.read_text()):
        if entry["surface"].startswith("event:message") and entry["kind"] == "envelope":
            body = json.loads((PEER_PAYLOADS / entry["file"]).read_text())
            found.append((entry["file"], body["event"]))
    return found


PEER_MESSAGES = _peer_messages()


@pytest.mark.skipif(not PEER_MESSAGES, reason=f"no peer payloads at {PEER_PAYLOADS}")
def test_peer_message_bodies_make_conversations_only_of_people_writing(bot: BotUnderTest, channel: str) -> None:
    """Every message body from ../shared/peer-payloads, at the top level of a customer channel, each
    under a fresh ts: only a person's own substantive message becomes a conversation."""
    made: dict[str, bool] = {}
    for name, event in PEER_MESSAGES:
        event = json.loads(json.dumps(event).replace("CCUST1", channel))
        before = len(_conversations(bot))
        assert bot.event(event, event_id=f"EvPEER{len(made):04d}")[0] == 200, name
        made[name] = len(_conversations(bot)) > before
        time.sleep(0.01)
    drained(bot)
    wrongly = [
        n
        for n, m in made.items()
        if m and any(k in n for k in ("bot_message", "changed", "deleted", "replied", "channel_join", "broadcast"))
    ]
    assert wrongly == [], made


def test_slackbot_reminders_and_custom_responses_are_not_conversations(bot: BotUnderTest, channel: str) -> None:
    """Slackbot posts as the user USLACKBOT with no subtype (a /remind a customer set, a custom
    response); in a shared channel the event may name the customer's team. Nobody wrote it."""
    reminder = person_message(channel, "USLACKBOT", "Reminder: send PostHog the weekly numbers.", team=CUSTOMER_TEAM)
    response = person_message(channel, "USLACKBOT", "Our VPN guide is at go/vpn", team=CUSTOMER_TEAM)
    for event in (reminder, response):
        del event["client_msg_id"], event["blocks"]
        assert bot.event(event)[0] == 200
    drained(bot)
    assert _conversations(bot) == []
    assert bot.slack.count("reactions.add") == 0


def test_a_question_in_the_thread_of_a_customers_own_greeting_is_heard(bot: BotUnderTest, channel: str) -> None:
    hello = customer_message(channel, "Hi team :wave:")
    bot.event(hello)
    bot.event(customer_message(channel, "Our exports to S3 fail since Monday", thread_ts=hello["ts"]))
    drained(bot)
    assert [reporter for reporter, _, _ in _conversations(bot)] == [CUSTOMER]


def test_a_customers_question_under_a_staff_announcement_is_heard(bot: BotUnderTest, channel: str) -> None:
    root = person_message(channel, STAFF, "Heads-up: maintenance window tonight 22:00 UTC")
    bot.event(root)
    bot.event(customer_message(channel, "Will ingestion pause? We have a launch at 22:30", thread_ts=root["ts"]))
    drained(bot)
    assert [reporter for reporter, _, _ in _conversations(bot)] == [CUSTOMER]


def test_a_slack_connect_message_delivered_to_both_workspaces_is_one_conversation(
    bot: BotUnderTest, channel: str
) -> None:
    """Slack delivers a shared-channel message once per workspace context, about half a second
    apart, under different event ids and envelope teams (the customer's org may have installed the
    app too): one conversation, one 👀, whichever arrives first."""
    said = customer_message(channel, "Cohort exports time out after 30 s")
    assert bot.event(said, event_id="EvCONNECT001", team_id=CUSTOMER_TEAM)[0] == 200
    time.sleep(0.5)
    assert bot.event(said, event_id="EvCONNECT002", team_id=HOST_TEAM)[0] == 200
    drained(bot)
    assert _conversations(bot) == [(CUSTOMER, "Cohort exports time out after 30 s", said["ts"])]
    assert bot.slack.count("reactions.add") == 1


def test_a_bare_question_mark_nudge_starts_the_next_response_clock(bot: BotUnderTest, channel: str) -> None:
    """ "??" under a staff reply is the customer asking where the answer is: it is waiting on us
    again (a next-response clock), not a pleasantry."""
    said = customer_message(channel, "The funnel insight shows no data")
    bot.event(said)
    bot.event(person_message(channel, STAFF, "Looking into it, back soon", thread_ts=said["ts"]))
    (number,) = bot.sql("SELECT id FROM tickets WHERE source_ts = :ts", ts=said["ts"])[0]
    nudge = customer_message(channel, "??", thread_ts=said["ts"])
    bot.event(nudge)
    waiting_since, due = bot.sql("SELECT waiting_since, next_response_due_at FROM tickets WHERE id = :n", n=number)[0]
    assert waiting_since is not None and due is not None


def test_a_customer_calling_a_staff_member_by_mention_alone_is_heard(bot: BotUnderTest, channel: str) -> None:
    """A bare `<@staff>` is calling someone (unlike "@alice thanks!"): at the top level it is a
    conversation; under a staff reply it is waiting on us again."""
    ping = customer_message(channel, f"<@{STAFF}>")
    bot.event(ping)
    assert [ts for _, _, ts in _conversations(bot)] == [ping["ts"]]
    bot.event(person_message(channel, STAFF, "Hi! What's up?", thread_ts=ping["ts"]))
    bot.event(customer_message(channel, f"<@{STAFF}> :eyes:", thread_ts=ping["ts"]))
    (waiting_since,) = bot.sql("SELECT waiting_since FROM tickets WHERE source_ts = :ts", ts=ping["ts"])[0]
    assert waiting_since is not None
    bot.event(customer_message(channel, f"<@{STAFF}> thanks!"))
    assert bot.sql("SELECT count(*) FROM ticket_threads")[0][0] == 1  # thanking someone: nothing joins


def test_resolved_while_the_eyes_wait_out_a_429_ends_with_only_the_check(bot: BotUnderTest, channel: str) -> None:
    """The 👀 is held back by a 429 and staff resolve meanwhile: the message ends with ✅ alone,
    never a late 👀 beside it."""
    bot.slack.fail("reactions.add", status=429, times=1, retry_after=2)
    said = customer_message(channel, "Our heatmaps are empty since Tuesday")
    bot.event(said)
    (number,) = bot.sql("SELECT id FROM tickets WHERE source_ts = :ts", ts=said["ts"])[0]
    bot.click("ticket_resolve", user=STAFF, channel=TRIAGE, value=str(number))
    assert bot.sql("SELECT status FROM tickets WHERE id = :n", n=number)[0][0] == "resolved"
    on_message = lambda: bot.slack.reactions.get((channel, said["ts"]), {})  # noqa: E731
    bot.slack.wait_for(lambda: on_message().get("white_check_mark"), timeout=15)
    time.sleep(3)  # past the 429's Retry-After: a held-back 👀 would land now
    drained(bot)
    assert {name: users for name, users in on_message().items() if users} == {"white_check_mark": [bot.slack.bot_user]}


def test_other_edits_start_nothing(bot: BotUnderTest, channel: str) -> None:
    """Only a customer's pleasantry edited into substance is heard: a staff member's edit, an
    app's (our own card updates arrive as message_changed too), a link unfurl that leaves "thanks"
    as it was, and an edit of a message already tracked add nothing."""

    staff_ok = person_message(channel, STAFF, "ok")
    app_post = {**customer_message(channel, "ok"), "bot_id": "B0CARDS", "user": bot.slack.bot_user}
    thanks = customer_message(channel, "thanks!")
    tracked = customer_message(channel, "Our dashboards time out")
    for event in (staff_ok, thanks, tracked):
        bot.event(event)
    bot.event(edited_message(staff_ok, "ok, and the EU ingestion lag is fixed now"))
    bot.event(edited_message(app_post, "Ticket #1 (High): exports fail"))
    bot.event(
        edited_message(thanks, "thanks!", attachments=[{"title": "PostHog docs", "title_link": "https://posthog.com"}])
    )
    bot.event(edited_message(tracked, "Our dashboards time out since the upgrade"))
    drained(bot)
    assert [ts for _, _, ts in _conversations(bot)] == [tracked["ts"]]
