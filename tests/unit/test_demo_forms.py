"""demo.forms: the page's form fields and clicks → the JSON Slack sends (view.state.values, block_actions'
actions[0]). Shapes are Slack's documented ones; the real modals and cards come from ui/ builders."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from demo.forms import action, state_values
from fakeslack.payloads import ticket_values
from tickets.model import TicketInfo
from tickets.rules import Status
from tickets.severity import Severity
from ui import ids
from ui.blocks import ModalContext, build_heard_note, build_ticket_card, build_ticket_modal
from ui.onboarding import build_onboard_modal, build_payment_link_modal
from ui.triage_summary import SummaryItem, build_triage_summary

NOW = 1764590400.25


def _plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text, "emoji": True}


def _option(text: str, value: str) -> dict[str, Any]:
    return {"text": _plain(text), "value": value}


EVERY_INPUT = {
    "type": "modal",
    "blocks": [
        {"type": "section", "text": {"type": "mrkdwn", "text": "not an input"}},
        {"type": "input", "block_id": "t", "element": {"type": "plain_text_input", "action_id": "t"}},
        {"type": "input", "block_id": "u", "element": {"type": "url_text_input", "action_id": "u"}},
        {"type": "input", "block_id": "e", "element": {"type": "email_text_input", "action_id": "e"}},
        {
            "type": "input",
            "block_id": "n",
            "element": {"type": "number_input", "action_id": "n", "is_decimal_allowed": False},
        },
        {
            "type": "input",
            "block_id": "s",
            "element": {
                "type": "static_select",
                "action_id": "s",
                "option_groups": [{"label": _plain("G"), "options": [_option("One", "1"), _option("Two", "2")]}],
            },
        },
        {
            "type": "input",
            "block_id": "m",
            "element": {
                "type": "multi_static_select",
                "action_id": "m",
                "options": [_option("A", "a"), _option("B", "b")],
            },
        },
        {"type": "input", "block_id": "us", "element": {"type": "users_select", "action_id": "us"}},
        {
            "type": "input",
            "block_id": "r",
            "element": {
                "type": "radio_buttons",
                "action_id": "r",
                "options": [_option("Yes", "y"), _option("No", "n")],
            },
        },
        {
            "type": "input",
            "block_id": "c",
            "element": {"type": "checkboxes", "action_id": "c", "options": [_option("X", "x"), _option("Y", "y")]},
        },
        {"type": "input", "block_id": "d", "element": {"type": "datepicker", "action_id": "d"}},
    ],
}


def test_every_input_type_gets_slacks_state_shape() -> None:
    raw = {
        "t/t": ["hello"],
        "u/u": ["https://x.example"],
        "e/e": ["a@b.example"],
        "n/n": ["42"],
        "s/s": ["2"],
        "m/m": ["b", "a"],
        "us/us": ["U0ENG"],
        "r/r": ["n"],
        "c/c": ["x", "y"],
        "d/d": ["2026-12-24"],
    }
    assert state_values(EVERY_INPUT, raw) == {
        "t": {"t": {"type": "plain_text_input", "value": "hello"}},
        "u": {"u": {"type": "url_text_input", "value": "https://x.example"}},
        "e": {"e": {"type": "email_text_input", "value": "a@b.example"}},
        "n": {"n": {"type": "number_input", "value": "42"}},
        "s": {"s": {"type": "static_select", "selected_option": _option("Two", "2")}},
        "m": {"m": {"type": "multi_static_select", "selected_options": [_option("B", "b"), _option("A", "a")]}},
        "us": {"us": {"type": "users_select", "selected_user": "U0ENG"}},
        "r": {"r": {"type": "radio_buttons", "selected_option": _option("No", "n")}},
        "c": {"c": {"type": "checkboxes", "selected_options": [_option("X", "x"), _option("Y", "y")]}},
        "d": {"d": {"type": "datepicker", "selected_date": "2026-12-24"}},
    }


def test_empty_fields_are_null_or_empty_lists_and_every_input_block_is_sent() -> None:
    empty = {key: [] for key in ("t/t", "u/u", "e/e", "n/n", "s/s", "m/m", "us/us", "r/r", "c/c", "d/d")}
    empty["t/t"] = [""]  # an emptied text box
    values = state_values(EVERY_INPUT, empty)
    assert list(values) == ["t", "u", "e", "n", "s", "m", "us", "r", "c", "d"]
    assert values["t"]["t"] == {"type": "plain_text_input", "value": None}
    assert values["s"]["s"] == {"type": "static_select", "selected_option": None}
    assert values["m"]["m"]["selected_options"] == [] and values["c"]["c"]["selected_options"] == []
    assert values["us"]["us"]["selected_user"] is None and values["d"]["d"]["selected_date"] is None
    assert state_values(EVERY_INPUT, {}) == values  # nothing sent: the untouched (empty) fields


def test_a_value_that_is_no_option_is_dropped() -> None:
    values = state_values(EVERY_INPUT, {"s/s": ["3"], "m/m": ["a", "zz"], "r/r": ["<script>"]})
    assert values["s"]["s"]["selected_option"] is None and values["r"]["r"]["selected_option"] is None
    assert values["m"]["m"]["selected_options"] == [_option("A", "a")]


def test_ticket_modal_matches_what_the_tests_send_and_keeps_option_text() -> None:
    modal = build_ticket_modal(ModalContext("C0CUST"))
    raw = {"severity/severity": ["high"], "title/title": ["Exports fail"], "description/description": ["since 9"]}
    values = state_values(modal, raw)
    sent_today = ticket_values("high", "Exports fail", "since 9")
    assert values["title"] == sent_today["title"] and values["description"] == sent_today["description"]
    option = values["severity"]["severity"]["selected_option"]
    assert option["value"] == "high" and option["text"]["text"] == ":large_orange_circle: High"
    assert option == next(o for o in modal["blocks"][1]["element"]["options"] if o["value"] == "high")


def test_untouched_fields_report_their_initial_values() -> None:
    modal = build_ticket_modal(ModalContext("C0CUST"), title="Prefilled", severity=Severity.LOW)
    values = state_values(modal, {})
    assert values["title"]["title"]["value"] == "Prefilled"
    assert values["severity"]["severity"]["selected_option"]["value"] == "low"
    assert values["description"]["description"]["value"] is None
    owner = state_values(build_onboard_modal("C0CUST", "U0CS"), {})["cs_owner"]["cs_owner"]
    assert owner == {"type": "users_select", "selected_user": "U0CS"}
    assert state_values(build_onboard_modal("C0CUST", "U0CS"), {"cs_owner/cs_owner": []})["cs_owner"]["cs_owner"] == {
        "type": "users_select",
        "selected_user": None,
    }


def test_onboard_and_payment_link_modals() -> None:
    raw = {
        "company/company": ["Globex"],
        "monthly_events/monthly_events": [""],
        "cloud_provider/cloud_provider": ["aws"],
        "plan/plan": ["enterprise"],
        "monthly_spend/monthly_spend": ["2500"],
        "cs_owner/cs_owner": ["U0CS"],
    }
    values = state_values(build_onboard_modal("C0CUST", ""), raw)
    assert set(values) == {"company", "monthly_events", "maus", "cloud_provider", "plan", "monthly_spend", "cs_owner"}
    assert values["maus"]["maus"] == {"type": "plain_text_input", "value": None}
    assert values["cloud_provider"]["cloud_provider"]["selected_option"]["value"] == "aws"
    link = state_values(build_payment_link_modal("C0CUST"), {"payment_link/payment_link": ["https://pay.example"]})
    assert link == {"payment_link": {"payment_link": {"type": "url_text_input", "value": "https://pay.example"}}}


def _ticket(number: int = 12) -> TicketInfo:
    return TicketInfo(
        number, "C0CUST", Severity.HIGH, "t", "", "U0CUST", Status.OPEN, None, datetime(2026, 12, 1, tzinfo=UTC), None
    )


def test_a_button_click_is_slacks_button_action() -> None:
    _, card = build_ticket_card(_ticket())
    clicked = action(card, "ticket_actions:12", ids.TICKET_TAKE, None, now=NOW)
    assert clicked == {
        "type": "button",
        "action_id": ids.TICKET_TAKE,
        "block_id": "ticket_actions:12",
        "action_ts": "1764590400.250000",
        "text": _plain("Take it"),
        "value": "12",
        "style": "primary",
    }


def test_overflow_users_select_and_accessory_actions() -> None:
    _, card = build_ticket_card(_ticket())
    more = action(card, "ticket_actions:12", ids.TICKET_MORE, "severity:12", now=NOW)
    assert more is not None and more["type"] == "overflow"
    assert more["selected_option"] == {"text": _plain("Change severity"), "value": "severity:12"}
    reassign = action(card, "ticket_actions:12", ids.TICKET_REASSIGN, "U0ENG", now=NOW)
    assert reassign is not None and reassign["selected_user"] == "U0ENG" and reassign["type"] == "users_select"
    assert reassign["placeholder"] == _plain("Reassign")

    _, heard = build_heard_note(5, None)
    severity = action(heard, "heard:5", ids.CUSTOMER_SET_SEVERITY, None, now=NOW)
    assert severity is not None and severity["value"] == "5" and severity["block_id"] == "heard:5"

    _, summary = build_triage_summary([SummaryItem(_ticket(3), None)])
    menu = action(summary, "summary_item:3", ids.SUMMARY_ITEM_MENU, "resolve:3", now=NOW)
    assert menu is not None and menu["selected_option"]["value"] == "resolve:3"


def test_gone_controls_and_options_give_none() -> None:
    _, card = build_ticket_card(_ticket())
    assert action(card, "ticket_actions:99", ids.TICKET_TAKE, None, now=NOW) is None
    assert action(card, "ticket_actions:12", "no_such_action", None, now=NOW) is None
    assert action(card, "ticket_actions:12", ids.TICKET_MORE, "severity:99", now=NOW) is None
    assert action(card, "ticket_actions:12", ids.TICKET_REASSIGN, "", now=NOW) is None
    assert action([], "b", "a", None, now=NOW) is None


def test_view_elements_checkboxes_and_blocks_without_ids() -> None:
    checks = {"type": "checkboxes", "action_id": "c", "options": [_option("X", "x"), _option("Y", "y")]}
    anonymous = {"type": "actions", "elements": [{"type": "button", "text": _plain("Go"), "value": "go"}, checks]}
    go = action([anonymous], "block-0", "action-0", None, now=NOW)  # the stand-in ids demo.render shows
    assert go is not None and go["value"] == "go" and go["block_id"] == "block-0"
    ticked = action([anonymous], "block-0", "c", "y\nx", now=NOW)
    assert ticked is not None and ticked["selected_options"] == [_option("Y", "y"), _option("X", "x")]
    date = {"type": "section", "block_id": "s", "accessory": {"type": "datepicker", "action_id": "d"}}
    picked = action([date], "s", "d", "2026-12-24", now=NOW)
    assert picked == {
        "type": "datepicker",
        "action_id": "d",
        "block_id": "s",
        "action_ts": "1764590400.250000",
        "selected_date": "2026-12-24",
    }
