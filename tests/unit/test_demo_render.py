"""demo.render: Slack mrkdwn and Block Kit → safe HTML, checked by parsing the HTML it makes.

Real bot messages and modals are built with the app's own ui/ builders; hostile text goes everywhere
text can go (message text, ids, values, option labels, names). No mocks."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from html.parser import HTMLParser
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from demo.render import Names, blocks, message, mrkdwn, plain, view
from onboarding.checklist import new_checklist
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui import ids
from ui.blocks import (
    AskedMessage,
    ModalContext,
    build_ask_to_track,
    build_heard_note,
    build_rating_request,
    build_severity_set_view,
    build_ticket_card,
    build_ticket_modal,
    build_triage_mirror,
    build_welcome,
)
from ui.home import HomeTicket, build_customer_home, build_staff_home
from ui.onboarding import build_checklist, build_onboard_modal, build_payment_link_modal
from ui.triage_summary import SummaryItem, build_triage_summary

NAMES = Names(
    users={"U0CUST": "Dana Reyes", "U0ENG": "Sam Ortiz", "U0CS": "Priya Shah"},
    channels={"C0CUST": "ext-globex", "C0TRIAGE": "support-triage"},
)
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
VOID = {"br", "hr", "input", "img", "meta", "link", "col", "area", "base", "embed", "source", "track", "wbr"}
# Every tag the renderer may produce; anything else in its output is an injection.
ALLOWED_TAGS = {
    "a", "b", "i", "s", "code", "pre", "blockquote", "br", "hr", "div", "span", "button", "select", "option",
    "optgroup", "input", "label", "textarea", "form", "h2", "time", "ul", "ol", "li",
}  # fmt: skip
ALLOWED_ATTRS = {
    "class", "href", "target", "rel", "type", "name", "value", "id", "for", "placeholder", "maxlength", "minlength",
    "required", "checked", "selected", "multiple", "rows", "min", "max", "step", "label", "title", "datetime",
    "aria-label", "aria-hidden", "role",
}  # fmt: skip
NASTY = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "' onmouseover='alert(1)",
    "<javascript:alert(1)|x>",
    "<JaVaScRiPt:alert(1)|click me>",
    "<data:text/html;base64,PHNjcmlwdD4=|data>",
    '<https://ok.example/"onmouseover=alert(1)|quote in url>',
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "&amp;lt;b&amp;gt; double",
    "```</pre><script>x</script>```",
    "`</code><img src=x onerror=alert(1)>`",
    "*<b onclick=alert(1)>bold</b>*",
    "\ue0000\ue001 forged placeholder",
    '<@U0CUST|"><script>x</script>>',
    "<#C0CUST|<img src=x onerror=y>>",
    '<!subteam^S1|"><svg onload=alert(1)>>',
    '<!date^1392734382^{date}|"><script>x</script>>',
]


@dataclass
class Node:
    tag: str
    attrs: dict[str, str]
    children: list[Any] = field(default_factory=list)

    def text(self) -> str:
        return "".join(c.text() if isinstance(c, Node) else c for c in self.children)

    def walk(self) -> list[Node]:
        found = [self]
        for child in self.children:
            if isinstance(child, Node):
                found.extend(child.walk())
        return found

    def find(self, **attrs: str) -> list[Node]:
        tag = attrs.pop("tag", None)
        return [
            n
            for n in self.walk()
            if (tag is None or n.tag == tag) and all(n.attrs.get(k) == v for k, v in attrs.items())
        ]

    def one(self, **attrs: str) -> Node:
        found = self.find(**attrs)
        assert len(found) == 1, (attrs, len(found))
        return found[0]

    def by_text(self, tag: str, text: str) -> Node:
        found = [n for n in self.walk() if n.tag == tag and n.text().strip() == text]
        assert len(found) == 1, (tag, text, [n.text() for n in self.walk() if n.tag == tag])
        return found[0]


class _Tree(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.root = Node("root", {})
        self.stack = [self.root]

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        node = Node(tag, {k: v or "" for k, v in attrs})
        assert len(node.attrs) == len(attrs), f"duplicate attribute in <{tag}>"
        self.stack[-1].children.append(node)
        if tag not in VOID:
            self.stack.append(node)

    def handle_endtag(self, tag: str) -> None:
        assert tag not in VOID
        assert self.stack[-1].tag == tag, f"</{tag}> closes <{self.stack[-1].tag}>"
        self.stack.pop()

    def handle_data(self, data: str) -> None:
        self.stack[-1].children.append(data)


def parse(markup: str) -> Node:
    """The HTML as a tree; fails on unbalanced tags, tags or attributes the renderer never makes,
    and links to anything but http(s)/mailto/#."""
    tree = _Tree()
    tree.feed(markup)
    tree.close()
    assert tree.stack == [tree.root], "unclosed tags"
    for node in tree.root.walk()[1:]:
        assert node.tag in ALLOWED_TAGS, node.tag
        for name in node.attrs:
            assert name in ALLOWED_ATTRS or name.startswith("data-"), (node.tag, name)
        if "href" in node.attrs:
            assert node.attrs["href"].split(":")[0] in ("http", "https", "mailto") or node.attrs["href"] == "#"
    return tree.root


def ticket(**changes: Any) -> TicketInfo:
    values: dict[str, Any] = {
        "number": 12,
        "channel_id": "C0CUST",
        "severity": Severity.HIGH,
        "title": "Dashboards <b>won't</b> load",
        "description": "Since 9am & still failing",
        "reporter_id": "U0CUST",
        "status": Status.OPEN,
        "assignee_id": None,
        "created_at": NOW,
        "first_response_at": None,
    }
    values.update(changes)
    return TicketInfo(**values)


def render_message(blocks_: list[dict[str, Any]] | None, text: str = "", **extra: Any) -> Node:
    msg = {"ts": "1764590400.000100", "text": text, "blocks": blocks_, "user": "U0BOT", "channel": "C0CUST"}
    options: dict[str, Any] = {"is_bot": True, "author": "support-bot"}
    options.update(extra)
    return parse(message(msg, names=NAMES, where="m:C0CUST:1764590400.000100", **options))


# --- mrkdwn ---------------------------------------------------------------------------------------


def test_mrkdwn_formats_bold_italic_strike_code_pre_quotes_and_newlines() -> None:
    html = mrkdwn("*bold* _it_ ~gone~ `x < y`\n```a *not bold*\nb```\n&gt; quoted\nplain", NAMES)
    assert "<b>bold</b> <i>it</i> <s>gone</s> <code" in html
    tree = parse(html)
    assert tree.one(tag="code").text() == "x < y"
    assert tree.one(tag="pre").text() == "a *not bold*\nb"
    assert tree.one(tag="blockquote").text() == "quoted"
    assert tree.text().endswith("plain")


def test_mrkdwn_leaves_snake_case_times_and_lone_markers_alone() -> None:
    html = mrkdwn("snake_case_name at 10:00-18:00, 2 * 3 * 4 and a_b_c", NAMES)
    assert "<i>" not in html and "<b>" not in html
    assert parse(html).text() == "snake_case_name at 10:00-18:00, 2 * 3 * 4 and a_b_c"


def test_mrkdwn_shows_users_channels_and_broadcasts_by_name() -> None:
    tree = parse(mrkdwn("<@U0CUST> <@U0NOBODY> <@U0X|kim> <#C0CUST> <#C0GONE> <!here> <!subteam^S0ONCALL>", NAMES))
    assert tree.text() == "@Dana Reyes @U0NOBODY @kim #ext-globex #C0GONE @here @S0ONCALL"
    channel = tree.one(tag="a", **{"data-channel": "C0CUST"})
    assert channel.attrs["data-op"] == "open-conversation" and channel.attrs["href"] == "#"


def test_mrkdwn_links_only_http_https_and_mailto() -> None:
    tree = parse(
        mrkdwn(
            "<https://example.com/a?x=1&amp;y=2|docs> <mailto:help@example.com|mail us> <http://plain.example> "
            "<javascript:alert(1)|evil> <JAVASCRIPT:alert(1)> <data:text/html,hi|data> <ftp://x.example|ftp>",
            NAMES,
        )
    )
    links = tree.find(tag="a")
    assert [(a.attrs["href"], a.text()) for a in links] == [
        ("https://example.com/a?x=1&y=2", "docs"),
        ("mailto:help@example.com", "mail us"),
        ("http://plain.example", "http://plain.example"),
    ]
    assert all(a.attrs["target"] == "_blank" and a.attrs["rel"] == "noopener noreferrer" for a in links)
    assert "evil JAVASCRIPT:alert(1) data ftp" in tree.text()


def test_a_slack_permalink_says_which_message_it_opens() -> None:
    link = parse(mrkdwn("<https://host.slack.com/archives/C0CUST/p1764590400000100|Open the thread>")).one(tag="a")
    assert link.attrs["data-op"] == "open-link"
    assert (link.attrs["data-channel"], link.attrs["data-ts"]) == ("C0CUST", "1764590400.000100")


def test_mrkdwn_turns_known_emoji_into_characters() -> None:
    assert parse(mrkdwn(":eyes: :ticket: :white_check_mark: :no_such_emoji:")).text() == "👀 🎫 ✅ :no_such_emoji:"
    assert parse(mrkdwn(":+1::skin-tone-3: <!here|here>")).text() == "👍 @here"


@pytest.mark.parametrize("nasty", NASTY)
def test_no_text_creates_markup(nasty: str) -> None:
    """Hostile text in mrkdwn, plain_text, a name and a button: only the renderer's own tags appear
    (parse() checks the tag and attribute allowlists and link schemes)."""
    names = Names(users={"U0CUST": nasty}, channels={"C0CUST": nasty})
    parse(mrkdwn(nasty, names))
    parse(mrkdwn(f"*{nasty}* _{nasty}_ > {nasty}\n&gt; {nasty}", names))
    parse(plain({"type": "plain_text", "text": nasty}))
    parse(mrkdwn("<@U0CUST> <#C0CUST>", names))
    element = {"type": "button", "action_id": nasty, "value": nasty, "text": {"type": "plain_text", "text": nasty}}
    tree = parse(blocks([{"type": "actions", "block_id": nasty, "elements": [element]}], where=nasty, names=names))
    button = tree.one(tag="button")
    assert (button.attrs["data-action-id"], button.attrs["data-value"], button.attrs["data-where"]) == (nasty,) * 3
    assert button.attrs["data-block-id"] == nasty


def test_raw_angle_text_shows_as_typed() -> None:
    tree = parse(mrkdwn('<script>alert(1)</script> "><img src=x onerror=alert(1)>'))
    assert tree.text() == '<script>alert(1)</script> "><img src=x onerror=alert(1)>'
    assert tree.find(tag="script") == [] and tree.find(tag="img") == []


def test_slack_entities_show_as_characters_once() -> None:
    assert parse(mrkdwn("a &amp; b &lt;tag&gt; &amp;lt;")).text() == "a & b <tag> &lt;"


def test_ids_with_quotes_stay_inside_their_attribute_in_a_modal() -> None:
    nasty = 'x" onfocus="alert(1)\' autofocus'
    modal = {
        "type": "modal",
        "title": {"type": "plain_text", "text": nasty},
        "submit": {"type": "plain_text", "text": "Go"},
        "blocks": [
            {
                "type": "input",
                "block_id": nasty,
                "label": {"type": "plain_text", "text": nasty},
                "element": {"type": "plain_text_input", "action_id": nasty, "initial_value": nasty},
            }
        ],
    }
    tree = parse(view(modal, view_id=nasty, names=NAMES, errors={nasty: nasty}))
    field_ = tree.one(tag="input")
    assert field_.attrs["name"] == f"{nasty}/{nasty}" and field_.attrs["value"] == nasty
    assert tree.one(tag="div", **{"data-error-for": nasty}).text() == nasty
    assert tree.one(tag="form").attrs["data-view-id"] == nasty


# --- never an exception, never hidden ------------------------------------------------------------


def test_unknown_blocks_and_elements_show_as_escaped_json() -> None:
    items = [
        {"type": "video", "title_url": "<script>"},
        {"type": "actions", "elements": [{"type": "workflow_button", "text": "</pre><b>"}]},
        {"type": "section", "fields": 5},
        "not even a dict",
    ]
    tree = parse(blocks(items, where="w", names=NAMES))
    shown = [pre.text() for pre in tree.find(tag="pre", **{"class": "bk-unknown"})]
    assert len(shown) == 4
    assert json.loads(shown[0]) == items[0] and json.loads(shown[1])["text"] == "</pre><b>"
    assert json.loads(shown[2]) == items[2] and json.loads(shown[3]) == "not even a dict"


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)
_block = st.fixed_dictionaries(
    {"type": st.sampled_from(["section", "actions", "context", "input", "header", "rich_text", "image", "x"])},
    optional={
        "text": _json,
        "fields": _json,
        "elements": _json,
        "element": _json,
        "accessory": _json,
        "label": _json,
        "block_id": _json,
    },
)


@settings(max_examples=150, deadline=None)
@given(st.lists(_block | _json, max_size=4))
def test_any_blocks_render_without_raising_into_allowed_markup(items: list[Any]) -> None:
    parse(blocks(items, where="w", names=NAMES))
    parse(view({"type": "modal", "blocks": items, "title": "t"}, view_id="V1", names=NAMES))


# --- real bot messages ----------------------------------------------------------------------------


def test_ticket_card_shows_its_fields_buttons_and_controls() -> None:
    text, card = build_ticket_card(ticket(), sla_text="due in 2 hours")
    tree = render_message(card, text)
    assert "Ticket #12: Dashboards <b>won't</b> load" in tree.text()  # the customer's tags are text
    assert tree.find(tag="b")[0].text() == "Ticket #12: Dashboards <b>won't</b> load"
    assert "Reported by@Dana Reyes" in tree.text().replace("\n", "")
    assert "Since 9am & still failing" in tree.text()
    take = tree.by_text("button", "Take it")
    assert take.attrs["data-action-id"] == ids.TICKET_TAKE and take.attrs["data-value"] == "12"
    assert take.attrs["data-block-id"] == "ticket_actions:12" and take.attrs["data-type"] == "button"
    assert "bk-primary" in take.attrs["class"] and take.attrs["data-where"] == "m:C0CUST:1764590400.000100"
    for label in ("Waiting on customer", "Resolve"):
        assert tree.by_text("button", label).attrs["data-value"] == "12"
    reassign = tree.one(tag="select", **{"data-action-id": ids.TICKET_REASSIGN})
    assert reassign.attrs["data-type"] == "users_select"
    assert [o.text() for o in reassign.find(tag="option")] == ["Reassign", "Dana Reyes", "Priya Shah", "Sam Ortiz"]
    more = tree.one(tag="select", **{"data-action-id": ids.TICKET_MORE})
    assert more.attrs["data-type"] == "overflow"
    assert [(o.attrs["value"], o.text()) for o in more.find(tag="option")][1:] == [("severity:12", "Change severity")]


def test_a_conversation_mirror_asks_before_not_a_ticket() -> None:
    _, mirror = build_triage_mirror(
        ticket(severity=None, status=Status.NEW),
        "https://host.slack.com/archives/C0CUST/p1764590400000100",
        conversation=True,
    )
    tree = render_message(mirror)
    noise = tree.by_text("button", "Not a ticket")
    assert noise.attrs["data-confirm"].startswith("Close #12 as not a ticket?\n\nIt is kept and counted")
    assert "the customer's 👀 goes away" in noise.attrs["data-confirm"]
    assert tree.by_text("button", "Set severity").attrs["data-action-id"] == ids.TICKET_SET_SEVERITY
    assert "in #ext-globex" in tree.text()
    link = tree.by_text("a", "Open the customer's message")
    assert link.attrs["data-op"] == "open-link" and link.attrs["data-ts"] == "1764590400.000100"


def test_welcome_heard_note_rating_and_ask_buttons() -> None:
    tree = render_message(build_welcome()[1])
    assert "press File a ticket below" in tree.text()
    assert tree.by_text("button", "File a ticket").attrs["data-action-id"] == ids.FILE_TICKET_BUTTON

    heard = render_message(build_heard_note(5, None)[1], ephemeral=True)
    button = heard.by_text("button", "Set severity")  # the section's accessory
    assert button.attrs["data-block-id"] == "heard:5" and button.attrs["data-value"] == "5"
    assert "👀 Thanks, the team has your message" in heard.text()

    rating = render_message(build_rating_request(ticket(status=Status.RESOLVED))[1])
    assert rating.by_text("button", "👍 Helpful").attrs["data-action-id"] == ids.RATE_HELPFUL
    assert rating.by_text("button", "👎 Not helpful").attrs["data-block-id"] == "rating:12"

    ask = render_message(build_ask_to_track(AskedMessage("U0CUST", "1.000001", 'say "hi" <b>'))[1])
    value = ask.by_text("button", "Open ticket").attrs["data-value"]
    assert AskedMessage.decode(value) == AskedMessage("U0CUST", "1.000001", 'say "hi" <b>')


def test_triage_summary_lines_have_their_menus() -> None:
    items = [SummaryItem(ticket(number=n), None) for n in (3, 4)]
    tree = render_message(build_triage_summary(items)[1])
    menus = tree.find(tag="select", **{"data-action-id": ids.SUMMARY_ITEM_MENU})
    assert [m.attrs["data-block-id"] for m in menus] == ["summary_item:3", "summary_item:4"]
    assert [o.attrs["value"] for o in menus[0].find(tag="option")][1:] == ["take:3", "severity:3", "resolve:3"]


def test_onboarding_checklist_steps_and_dividers() -> None:
    _, checklist = build_checklist("Globex <Corp>", new_checklist(), NOW)
    tree = render_message(checklist)
    assert "Onboarding checklist for Globex <Corp>" in tree.text()
    assert len(tree.find(tag="hr")) == sum(1 for b in checklist if b["type"] == "divider")
    done = [b for b in tree.walk() if b.tag == "button" and b.text() == "Mark done"]
    assert len(done) == sum(1 for b in checklist if b["type"] == "actions")


# --- message rows ---------------------------------------------------------------------------------


def test_message_row_shows_author_time_reactions_replies_and_hover_menu() -> None:
    msg = {"ts": "1764590400.000100", "text": "exports fail", "user": "U0CUST", "channel": "C0CUST"}
    row = parse(
        message(
            msg, names=NAMES, where="m", is_bot=False, author="Dana Reyes", replies=2, reactions={"eyes": 1, "fire": 3}
        )
    )
    top = row.one(**{"data-testid": "message"})
    assert (top.attrs["data-channel"], top.attrs["data-ts"]) == ("C0CUST", "1764590400.000100")
    assert row.one(tag="time").text() == "12:00" and "APP" not in row.text()
    assert [c.text() for c in row.find(tag="span", **{"class": "reaction"})] == ["👀 1", "🔥 3"]
    assert row.by_text("button", "2 replies").attrs["data-op"] == "open-thread"
    ops = [
        (n.attrs["data-op"], n.attrs.get("data-name") or n.attrs.get("data-callback-id"))
        for n in row.walk()
        if "data-op" in n.attrs
    ]
    assert ops == [
        ("open-thread", None),
        ("open-thread", None),
        ("react", "ticket"),
        ("react", "white_check_mark"),
        ("shortcut", "create_ticket"),
    ]
    assert all(
        n.attrs["data-channel"] == "C0CUST" and n.attrs["data-ts"] == "1764590400.000100"
        for n in row.walk()
        if "data-op" in n.attrs
    )
    assert row.by_text("button", "💬 Reply in thread")


def test_bot_ephemeral_and_thread_rows() -> None:
    bot = render_message(None, "hello <@U0CUST>")
    assert "APP" in bot.text() and "hello @Dana Reyes" in bot.text()
    ephemeral = render_message(None, "just you", ephemeral=True)
    assert "Only visible to you" in ephemeral.text()
    assert not [n for n in ephemeral.walk() if "data-op" in n.attrs]
    reply = {"ts": "2.000001", "thread_ts": "1.000001", "text": "r", "channel": "C0CUST"}
    in_thread = parse(message(reply, names=NAMES, where="m", is_bot=False, author="Sam", in_thread=True))
    assert "Reply in thread" not in in_thread.text()
    assert [n.attrs["data-name"] for n in in_thread.walk() if n.attrs.get("data-op") == "react"] == [
        "ticket",
        "white_check_mark",
    ]


def test_rich_text_blocks() -> None:
    rich = {
        "type": "rich_text",
        "elements": [
            {
                "type": "rich_text_section",
                "elements": [
                    {"type": "text", "text": "hi <b> ", "style": {"bold": True}},
                    {"type": "user", "user_id": "U0ENG"},
                    {"type": "emoji", "name": "tada"},
                    {"type": "link", "url": "javascript:alert(1)", "text": "bad"},
                    {"type": "link", "url": "https://ok.example", "text": "good"},
                ],
            },
            {
                "type": "rich_text_list",
                "style": "ordered",
                "elements": [{"type": "rich_text_section", "elements": [{"type": "text", "text": "one"}]}],
            },
            {"type": "rich_text_preformatted", "elements": [{"type": "text", "text": "x = 1"}]},
        ],
    }
    tree = parse(blocks([rich], where="w", names=NAMES))
    assert tree.one(tag="b").text() == "hi <b> "
    assert "@Sam Ortiz🎉bad" in tree.text()
    assert [a.attrs["href"] for a in tree.find(tag="a")] == ["https://ok.example"]
    assert tree.one(tag="ol").text() == "one" and tree.one(tag="pre").text() == "x = 1"


# --- modals and App Home --------------------------------------------------------------------------


def test_ticket_modal_is_a_form_with_named_controls() -> None:
    modal = build_ticket_modal(ModalContext("C0CUST"), title="Exports fail", severity=Severity.HIGH)
    tree = parse(view(modal, view_id="V1", names=NAMES))
    form = tree.one(tag="form")
    assert form.attrs["data-testid"] == "modal" and form.attrs["data-view-id"] == "V1"
    assert tree.one(tag="h2").text() == "File a ticket"
    radios = tree.find(tag="input", type="radio")
    assert {r.attrs["name"] for r in radios} == {"severity/severity"}
    assert [r.attrs["value"] for r in radios] == ["critical", "high", "medium", "low"]
    assert [r.attrs["value"] for r in radios if "checked" in r.attrs] == ["high"]
    assert "🔴 Critical" in tree.text() and "PostHog is down for you" in tree.text()
    title = tree.one(tag="input", name="title/title")
    assert title.attrs["value"] == "Exports fail" and title.attrs["data-type"] == "plain_text_input"
    assert "required" in title.attrs and title.attrs["maxlength"]
    assert "data-action-id" not in title.attrs  # typing in a form is not an action
    assert tree.one(tag="label", **{"for": title.attrs["id"]}).text() == "Title"
    description = tree.one(tag="textarea", name="description/description")
    assert "required" not in description.attrs
    assert "Description (optional)" in tree.text()
    assert tree.one(**{"data-testid": "modal-submit"}).text() == "File ticket"
    assert tree.one(**{"data-testid": "modal-close"}).text() == "Cancel"


def test_modal_errors_show_under_their_block() -> None:
    modal = build_ticket_modal(ModalContext("C0CUST"))
    tree = parse(view(modal, view_id="V1", names=NAMES, errors={"severity": "Please pick a severity.", "x": "?"}))
    block = tree.one(tag="div", **{"data-block-id": "severity"})
    assert block.one(**{"data-error-for": "severity"}).text() == "Please pick a severity."
    assert tree.one(**{"data-error-for": "x"}).text() == "?"  # an error for no block is not hidden


def test_onboard_and_payment_link_modals() -> None:
    tree = parse(view(build_onboard_modal("C0CUST", "U0CS"), view_id="V2", names=NAMES))
    cloud = tree.one(tag="select", name="cloud_provider/cloud_provider")
    assert cloud.attrs["data-type"] == "static_select" and "required" in cloud.attrs
    assert cloud.find(tag="option")[0].text() == "Pick one" and len(cloud.find(tag="option")) > 2
    owner = tree.one(tag="select", name="cs_owner/cs_owner")
    assert owner.attrs["data-type"] == "users_select"
    assert [o.attrs["value"] for o in owner.find(tag="option") if "selected" in o.attrs] == ["U0CS"]
    assert "Approximate is fine" in tree.text() and "starts the onboarding checklist in #ext-globex" in tree.text()

    link = parse(view(build_payment_link_modal("C0CUST", "https://buy.example/x"), view_id="V3", names=NAMES))
    field_ = link.one(tag="input", name="payment_link/payment_link")
    assert (field_.attrs["type"], field_.attrs["data-type"]) == ("url", "url_text_input")
    assert field_.attrs["value"] == "https://buy.example/x"


def test_a_view_without_submit_has_only_close() -> None:
    tree = parse(view(build_severity_set_view(12, Severity.HIGH, timedelta(hours=2)), view_id="V4", names=NAMES))
    assert tree.find(**{"data-testid": "modal-submit"}) == []
    assert tree.one(**{"data-testid": "modal-close"}).text() == "Done"


def test_app_home_has_no_form_and_its_buttons_point_at_the_view() -> None:
    tickets = [HomeTicket(7, "C0CUST", "Exports <fail>", Severity.CRITICAL, Status.OPEN, None, NOW, "overdue")]
    tree = parse(view(build_staff_home(tickets, [], 0, NOW), view_id="VH", names=NAMES))
    assert tree.find(tag="form") == [] and tree.one(**{"data-testid": "home"}).attrs["data-view-id"] == "VH"
    assert tree.one(tag="div", **{"class": "bk-header"}).text() == "Support"
    assert "#7 · Exports <fail>" in tree.text()
    buttons = [{"type": "button", "action_id": "go", "text": {"type": "plain_text", "text": "Go"}}]
    modal = parse(
        view({"type": "modal", "blocks": [{"type": "actions", "elements": buttons}]}, view_id="VM", names=NAMES)
    )
    assert modal.by_text("button", "Go").attrs["data-where"] == "v:VM"  # a button in a modal is an action
    customer = parse(view(build_customer_home([], 0, NOW), view_id="VC", names=NAMES))
    button = customer.by_text("button", "File a ticket")
    assert button.attrs["data-where"] == "v:VC" and button.attrs["data-action-id"] == ids.FILE_TICKET_HOME_BUTTON
