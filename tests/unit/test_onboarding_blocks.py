"""Golden-style structural tests of the onboarding Block Kit builders: no Slack, no mocks."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from onboarding.checklist import Checklist, StepRecord, StepState, attach_link, mark_step, new_checklist
from onboarding.customer import Plan, validate_customer_fields
from tests.support import texts_in
from ui import ids
from ui.blocks import ModalContext
from ui.onboarding import (
    ONBOARD_STAFF_ONLY,
    STEP_BUTTONS_STAFF_ONLY,
    build_a_team_guidance,
    build_channel_size_warning,
    build_checklist,
    build_nudge,
    build_onboard_modal,
    build_payment_link_modal,
    build_spend_note,
)

T0 = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)
STAFF = "U0STAFF"
CHANNEL = "C0ACME"
NASTY_COMPANY = "<!channel> & Co"


def _buttons(blocks: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    """(block_id, action_id, value) of every button, in order."""
    return [
        (block["block_id"], element["action_id"], element["value"])
        for block in blocks
        if block["type"] == "actions"
        for element in block["elements"]
        if element["type"] == "button"
    ]


def _assert_valid_message(text: str, blocks: list[dict[str, Any]]) -> None:
    assert text.strip(), "every message needs a text fallback"
    assert 0 < len(blocks) <= 50
    block_ids = [block["block_id"] for block in blocks if "block_id" in block]
    assert len(block_ids) == len(set(block_ids)), "block ids must be unique in a message"
    for block in blocks:
        if block["type"] == "actions":
            action_ids = [element["action_id"] for element in block["elements"]]
            assert len(action_ids) == len(set(action_ids)), "action ids must be unique within a block"
        if block["type"] == "section" and "text" in block:
            assert len(block["text"]["text"]) <= 3000
    for button in (e for b in blocks if b["type"] == "actions" for e in b["elements"]):
        assert len(button["text"]["text"]) <= 75 and len(button["value"]) <= 2000


def _step_sections(blocks: list[dict[str, Any]]) -> dict[int, str]:
    """Step number → the text of that step's section."""
    prefix = "onboarding_text_"
    return {
        int(block["block_id"].removeprefix(prefix)): block["text"]["text"]
        for block in blocks
        if block.get("block_id", "").startswith(prefix)
    }


def _mixed_checklist() -> Checklist:
    checklist = new_checklist()
    checklist, _ = mark_step(checklist, 5, StepState.DONE, STAFF, datetime(2026, 11, 22, 15, 0, tzinfo=UTC))
    checklist, _ = mark_step(checklist, 6, StepState.DONE, "U0STAFF2", T0 + timedelta(days=2))
    checklist, _ = mark_step(checklist, 9, StepState.DECLINED, STAFF, T0 + timedelta(days=3))
    return checklist


# --- the /onboard modal ------------------------------------------------------------------------------


def test_onboard_modal_shape() -> None:
    modal = build_onboard_modal(CHANNEL, STAFF)
    assert modal["type"] == "modal"
    assert modal["callback_id"] == ids.ONBOARD_MODAL
    assert json.loads(modal["private_metadata"])["c"] == CHANNEL
    assert ModalContext.decode(modal["private_metadata"]) == ModalContext(CHANNEL, "onboard")
    for key in ("title", "submit", "close"):
        assert modal[key]["type"] == "plain_text" and 0 < len(modal[key]["text"]) <= 24
    inputs = [block for block in modal["blocks"] if block["type"] == "input"]
    assert [block["block_id"] for block in inputs] == [
        ids.ONBOARD_COMPANY_BLOCK,
        ids.ONBOARD_EVENTS_BLOCK,
        ids.ONBOARD_MAUS_BLOCK,
        ids.ONBOARD_CLOUD_BLOCK,
        ids.ONBOARD_PLAN_BLOCK,
        ids.ONBOARD_SPEND_BLOCK,
        ids.ONBOARD_OWNER_BLOCK,
    ]
    assert all(block["block_id"] == block["element"]["action_id"] for block in inputs)
    by_id = {block["block_id"]: block for block in inputs}
    assert by_id[ids.ONBOARD_COMPANY_BLOCK]["element"]["max_length"] == 120
    assert by_id[ids.ONBOARD_EVENTS_BLOCK]["optional"] is True
    assert by_id[ids.ONBOARD_MAUS_BLOCK]["optional"] is True
    assert not by_id[ids.ONBOARD_SPEND_BLOCK].get("optional", False)
    assert "USD" in by_id[ids.ONBOARD_SPEND_BLOCK]["label"]["text"]
    owner = by_id[ids.ONBOARD_OWNER_BLOCK]["element"]
    assert owner["type"] == "users_select" and owner["initial_user"] == STAFF


def test_onboard_modal_selects_offer_the_providers_and_plans() -> None:
    modal = build_onboard_modal(CHANNEL, STAFF)
    by_id = {block["block_id"]: block for block in modal["blocks"] if block["type"] == "input"}

    def options(block_id: str) -> list[tuple[str, str]]:
        element = by_id[block_id]["element"]
        assert element["type"] == "static_select"
        return [(option["text"]["text"], option["value"]) for option in element["options"]]

    assert options(ids.ONBOARD_CLOUD_BLOCK) == [("AWS", "aws"), ("GCP", "gcp"), ("Azure", "azure"), ("Other", "other")]
    assert options(ids.ONBOARD_PLAN_BLOCK) == [
        ("Cloud", "cloud"),
        ("Scale (self-hosted)", "scale"),
        ("Enterprise", "enterprise"),
    ]
    for block in by_id.values():
        for option in block["element"].get("options", []):
            assert len(option["text"]["text"]) <= 75


def test_onboard_modal_without_a_default_owner_leaves_the_picker_empty() -> None:
    modal = build_onboard_modal(CHANNEL, "")
    owner = next(b for b in modal["blocks"] if b.get("block_id") == ids.ONBOARD_OWNER_BLOCK)
    assert "initial_user" not in owner["element"]


def test_validation_errors_land_on_modal_blocks() -> None:
    block_ids = {b["block_id"] for b in build_onboard_modal(CHANNEL, STAFF)["blocks"] if b["type"] == "input"}
    errors = validate_customer_fields("", "x", "y", "")
    assert errors and set(errors) <= block_ids


def test_payment_link_modal_prefills_only_a_clean_link() -> None:
    modal = build_payment_link_modal(CHANNEL, "https://buy.stripe.com/abc")
    assert modal["callback_id"] == ids.PAYMENT_LINK_MODAL
    assert ModalContext.decode(modal["private_metadata"]).channel_id == CHANNEL
    assert all(len(modal[key]["text"]) <= 24 for key in ("title", "submit", "close"))
    (block,) = modal["blocks"]
    assert block["block_id"] == block["element"]["action_id"] == ids.PAYMENT_LINK_BLOCK
    assert block["element"]["initial_value"] == "https://buy.stripe.com/abc"
    unsafe = build_payment_link_modal(CHANNEL, "javascript:alert(1)")
    assert "initial_value" not in unsafe["blocks"][0]["element"]


# --- the checklist -----------------------------------------------------------------------------------


def test_new_checklist_shows_five_pending_steps_with_their_buttons() -> None:
    text, blocks = build_checklist("Acme", new_checklist(), T0)
    _assert_valid_message(text, blocks)
    assert text == "Onboarding checklist for Acme: 0 of 5 done"
    assert "0 of 5 done" in blocks[0]["text"]["text"]
    step_sections = list(_step_sections(blocks).values())
    assert [section.split("\n")[0] for section in step_sections] == [
        "*5. The right people are in this channel*",
        "*6. Implementation is tracked in a GitHub project*",
        "*7. Ready to ingest events*",
        "*8. Dashboard-setup call booked*",
        "*9. PostHog team added as guests (optional)*",
    ]
    assert all("Not done yet" in section and "Owner: " in section for section in step_sections)
    assert _buttons(blocks) == [
        ("onboarding_step_5", ids.STEP_MARK_DONE_BUTTON, "5"),
        ("onboarding_step_6", ids.STEP_MARK_DONE_BUTTON, "6"),
        ("onboarding_step_7", ids.STEP_MARK_DONE_BUTTON, "7"),
        ("onboarding_step_7", ids.PAYMENT_LINK_BUTTON, "7"),
        ("onboarding_step_8", ids.STEP_MARK_DONE_BUTTON, "8"),
        ("onboarding_step_9", ids.STEP_MARK_DONE_BUTTON, "9"),
        ("onboarding_step_9", ids.STEP_DECLINE_BUTTON, "9"),
    ]
    labels = [e["text"]["text"] for b in blocks if b["type"] == "actions" for e in b["elements"]]
    assert labels.count("Mark done") == 5 and "Decline" in labels and "Add payment link" in labels


def test_settled_steps_show_who_and_when_and_offer_undo() -> None:
    text, blocks = build_checklist("Acme", _mixed_checklist(), T0)
    _assert_valid_message(text, blocks)
    assert "3 of 5 done (1 declined)" in text
    assert "3 of 5 done (1 declined)" in blocks[0]["text"]["text"]
    sections = _step_sections(blocks)
    assert "Done by <@U0STAFF> on 2026-11-22" in sections[5]
    assert "Done by <@U0STAFF2> on 2026-11-03" in sections[6]
    assert "Declined by <@U0STAFF> on 2026-11-04" in sections[9]
    assert "Not done yet" in sections[8]
    buttons = _buttons(blocks)
    assert ("onboarding_step_5", ids.STEP_UNDO_BUTTON, "5") in buttons
    assert ("onboarding_step_9", ids.STEP_UNDO_BUTTON, "9") in buttons
    assert [b for b in buttons if b[0] == "onboarding_step_9"] == [("onboarding_step_9", ids.STEP_UNDO_BUTTON, "9")]
    assert ("onboarding_step_8", ids.STEP_MARK_DONE_BUTTON, "8") in buttons


def test_company_name_is_escaped_everywhere() -> None:
    text, blocks = build_checklist(NASTY_COMPANY, new_checklist(), T0)
    nudge_text, nudge_blocks = build_nudge(NASTY_COMPANY, CHANNEL, T0, 1, 3)
    for payload in (text, blocks, nudge_text, nudge_blocks):
        rendered = json.dumps(payload) if not isinstance(payload, str) else payload
        assert "<!channel>" not in rendered
    assert "&lt;!channel&gt; &amp; Co" in text
    assert "&lt;!channel&gt; &amp; Co" in blocks[0]["text"]["text"]
    assert "&lt;!channel&gt; &amp; Co" in nudge_text


def test_payment_link_is_shown_on_step_7_with_ampersands_escaped() -> None:
    checklist, _ = attach_link(new_checklist(), 7, "https://buy.stripe.com/x?a=1&b=2")
    _, blocks = build_checklist("Acme", checklist, T0)
    section = _step_sections(blocks)[7]
    assert "<https://buy.stripe.com/x?a=1&amp;b=2|Payment link>" in section
    labels = [e["text"]["text"] for b in blocks if b.get("block_id") == "onboarding_step_7" for e in b["elements"]]
    assert labels == ["Mark done", "Change payment link"]


@pytest.mark.parametrize("bad_link", ["javascript:alert(1)", "https://x.example|<!channel>", "ftp://x.example/a"])
def test_an_unsafe_stored_link_is_dropped(bad_link: str) -> None:
    checklist = Checklist({7: StepRecord(link=bad_link)})  # e.g. a row edited by hand
    _, blocks = build_checklist("Acme", checklist, T0)
    rendered = json.dumps(blocks)
    assert "Payment link>" not in rendered and bad_link not in rendered
    assert "<!channel>" not in rendered


def test_a_strange_user_id_is_not_turned_into_a_mention() -> None:
    checklist = Checklist({5: StepRecord(StepState.DONE, "<!here>", T0)})
    _, blocks = build_checklist("Acme", checklist, T0)
    assert "<!here>" not in json.dumps(blocks)


# --- A-team guidance, nudges, notes ------------------------------------------------------------------


def test_a_team_guidance_names_the_roles_and_says_keep_it_small() -> None:
    text, blocks = build_a_team_guidance()
    _assert_valid_message(text, blocks)
    body = "\n".join(texts_in(blocks))
    for word in ("engineering", "data", "product management", "2–3 power users", "customer success", "sales"):
        assert word in body
    assert "(if relevant)" in body
    assert "Keep the group" in body


def test_nudge_names_the_customer_links_the_channel_and_lists_the_agenda() -> None:
    text, blocks = build_nudge("Acme", CHANNEL, T0, 2, 3)
    _assert_valid_message(text, blocks)
    body = "\n".join(texts_in(blocks))
    assert "*Acme*" in body and f"<#{CHANNEL}>" in body and f"<#{CHANNEL}>" in text
    for word in ("Acquisition", "Activation", "Retention", "Referral", "Revenue"):
        assert word in body
    for topic in ("Deep-dive dashboards", "Session recordings, heatmaps and paths", "Feature flags", "Experiments"):
        assert topic in body
    assert "product manager" in body
    assert "Reminder 2 of 3." in body and "last one" not in body
    assert _buttons(blocks) == [("onboarding_nudge_actions", ids.DASHBOARD_CALL_BOOKED_BUTTON, CHANNEL)]
    button = blocks[2]["elements"][0]
    assert button["text"]["text"] == "Mark dashboard call booked"


def test_last_nudge_says_so() -> None:
    _, blocks = build_nudge("Acme", CHANNEL, T0, 3, 3)
    assert "Reminder 3 of 3. This is the last one." in "\n".join(texts_in(blocks))


def test_channel_size_warning_and_spend_note() -> None:
    warning = build_channel_size_warning(CHANNEL, 11, 8)
    assert f"<#{CHANNEL}>" in warning and "11" in warning and "8" in warning
    note = build_spend_note(1500, Plan.SCALE)
    assert "$1,500/month" in note and "$2,000/month" in note and "Scale (self-hosted)" in note
    assert "anyway" in note


def test_refusals_point_to_the_team() -> None:
    assert "PostHog team" in ONBOARD_STAFF_ONLY
    assert "PostHog team" in STEP_BUTTONS_STAFF_ONLY


def test_callback_and_action_ids_are_unique_across_the_app() -> None:
    names = [name for name in dir(ids) if name.isupper() and name.endswith(("_MODAL", "_BUTTON"))]
    values = [getattr(ids, name) for name in names]
    assert {"ONBOARD_MODAL", "PAYMENT_LINK_MODAL", "DASHBOARD_CALL_BOOKED_BUTTON", "STEP_UNDO_BUTTON"} <= set(names)
    assert len(values) == len(set(values))
