"""What Slack refuses in a message or a view: Block Kit's documented limits, checked as Slack does.

Pure functions over the JSON the bot sends. Each problem is reported the way Slack words it:
`"must be less than 3001 characters [json-pointer:/blocks/0/text/text]"`. Lengths are counted
on the strings as sent (the sender's `&amp;` counts as five characters, an emoji as one code
point). slack_sdk's `slack_sdk.models` validators run too (`Block.parse(...).to_dict()`,
`View(**view).to_dict()`), for the rules they cover and these don't.
"""

from __future__ import annotations

from typing import Any

from slack_sdk.errors import SlackObjectFormationError
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000
SECTION_TEXT_MAX = 3000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
INPUT_LABEL_MAX = 2000
BLOCK_ID_MAX = 255
ACTION_ID_MAX = 255
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
SELECT_OPTIONS_MAX = 100
OVERFLOW_OPTIONS_MAX = 5
PLACEHOLDER_MAX = 150
VIEW_TITLE_MAX = 24
VIEW_BUTTON_MAX = 24  # submit, close
PRIVATE_METADATA_MAX = 3000
CALLBACK_ID_MAX = 255
TEXT_OBJECT_TYPES = ("plain_text", "mrkdwn")
_OPTION_ELEMENTS = ("static_select", "multi_static_select", "overflow", "radio_buttons", "checkboxes")


def _too_long(limit: int, pointer: str) -> str:
    return f"must be less than {limit + 1} characters [json-pointer:{pointer}]"


def _too_many(limit: int, pointer: str) -> str:
    return f"no more than {limit} items allowed [json-pointer:{pointer}]"


def _string(value: Any, limit: int, pointer: str, errors: list[str], *, required: bool = False) -> None:
    if value is None:
        if required:
            errors.append(f"missing required field [json-pointer:{pointer}]")
        return
    if not isinstance(value, str):
        errors.append(f"expected a string [json-pointer:{pointer}]")
    elif required and not value:
        errors.append(f"must be more than 0 characters [json-pointer:{pointer}]")
    elif len(value) > limit:
        errors.append(_too_long(limit, pointer))


def _text_object(obj: Any, limit: int, pointer: str, errors: list[str], *, plain_only: bool = False) -> None:
    """A composition text object: {"type": "plain_text"|"mrkdwn", "text": "..."} within `limit`."""
    if not isinstance(obj, dict):
        errors.append(f"expected an object [json-pointer:{pointer}]")
        return
    allowed = ("plain_text",) if plain_only else TEXT_OBJECT_TYPES
    if obj.get("type") not in allowed:
        errors.append(f"must be one of {', '.join(allowed)} [json-pointer:{pointer}/type]")
    _string(obj.get("text"), limit, f"{pointer}/text", errors, required=True)


def _options(options: Any, limit: int, pointer: str, errors: list[str]) -> None:
    if not isinstance(options, list):
        errors.append(f"expected an array [json-pointer:{pointer}]")
        return
    if len(options) > limit:
        errors.append(_too_many(limit, pointer))
    for i, option in enumerate(options):
        _option(option, f"{pointer}/{i}", errors)


def _option(option: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(option, dict):
        errors.append(f"expected an object [json-pointer:{pointer}]")
        return
    _text_object(option.get("text"), OPTION_TEXT_MAX, f"{pointer}/text", errors)
    _string(option.get("value"), OPTION_VALUE_MAX, f"{pointer}/value", errors, required=True)
    if option.get("description") is not None:
        _text_object(option["description"], OPTION_DESCRIPTION_MAX, f"{pointer}/description", errors)


def _element(element: Any, pointer: str, errors: list[str], action_ids: dict[str, str] | None = None) -> None:
    """An interactive element (button, select, overflow, input...) or an image/text in a context."""
    if not isinstance(element, dict):
        errors.append(f"expected an object [json-pointer:{pointer}]")
        return
    kind = element.get("type")
    if kind in TEXT_OBJECT_TYPES:
        _text_object(element, SECTION_TEXT_MAX, pointer, errors)
        return
    _string(element.get("action_id"), ACTION_ID_MAX, f"{pointer}/action_id", errors)
    if action_ids is not None and isinstance(element.get("action_id"), str):
        if element["action_id"] in action_ids:
            errors.append(f"duplicate action_id [json-pointer:{pointer}/action_id]")
        action_ids[element["action_id"]] = pointer
    if kind == "button":
        _text_object(element.get("text"), BUTTON_TEXT_MAX, f"{pointer}/text", errors, plain_only=True)
        _string(element.get("value"), BUTTON_VALUE_MAX, f"{pointer}/value", errors)
    if element.get("placeholder") is not None:
        _text_object(element["placeholder"], PLACEHOLDER_MAX, f"{pointer}/placeholder", errors, plain_only=True)
    if kind in _OPTION_ELEMENTS and element.get("options") is not None:
        limit = OVERFLOW_OPTIONS_MAX if kind == "overflow" else SELECT_OPTIONS_MAX
        _options(element["options"], limit, f"{pointer}/options", errors)
    for i, group in enumerate(element.get("option_groups") or []):
        _options((group or {}).get("options"), SELECT_OPTIONS_MAX, f"{pointer}/option_groups/{i}/options", errors)
    if element.get("initial_option") is not None:
        _option(element["initial_option"], f"{pointer}/initial_option", errors)
        if isinstance(element.get("options"), list) and element["initial_option"] not in element["options"]:
            errors.append(f"initial_option must match one of the options [json-pointer:{pointer}/initial_option]")
    for i, option in enumerate(element.get("initial_options") or []):
        _option(option, f"{pointer}/initial_options/{i}", errors)


def _block(block: Any, pointer: str, errors: list[str]) -> None:
    if not isinstance(block, dict):
        errors.append(f"expected an object [json-pointer:{pointer}]")
        return
    kind = block.get("type")
    _string(block.get("block_id"), BLOCK_ID_MAX, f"{pointer}/block_id", errors)
    if kind == "section":
        if block.get("text") is None and not block.get("fields"):
            errors.append(f"must provide either text or fields [json-pointer:{pointer}]")
        if block.get("text") is not None:
            _text_object(block["text"], SECTION_TEXT_MAX, f"{pointer}/text", errors)
        fields = block.get("fields")
        if fields is not None:
            if len(fields) > SECTION_FIELDS_MAX:
                errors.append(_too_many(SECTION_FIELDS_MAX, f"{pointer}/fields"))
            for i, field in enumerate(fields):
                _text_object(field, SECTION_FIELD_TEXT_MAX, f"{pointer}/fields/{i}", errors)
        if block.get("accessory") is not None:
            _element(block["accessory"], f"{pointer}/accessory", errors)
    elif kind == "header":
        _text_object(block.get("text"), HEADER_TEXT_MAX, f"{pointer}/text", errors, plain_only=True)
    elif kind == "context":
        elements = block.get("elements") or []
        if not elements:
            errors.append(f"must provide at least 1 item [json-pointer:{pointer}/elements]")
        if len(elements) > CONTEXT_ELEMENTS_MAX:
            errors.append(_too_many(CONTEXT_ELEMENTS_MAX, f"{pointer}/elements"))
        for i, element in enumerate(elements):
            _element(element, f"{pointer}/elements/{i}", errors)
    elif kind == "actions":
        elements = block.get("elements") or []
        if not elements:
            errors.append(f"must provide at least 1 item [json-pointer:{pointer}/elements]")
        if len(elements) > ACTIONS_ELEMENTS_MAX:
            errors.append(_too_many(ACTIONS_ELEMENTS_MAX, f"{pointer}/elements"))
        action_ids: dict[str, str] = {}
        for i, element in enumerate(elements):
            _element(element, f"{pointer}/elements/{i}", errors, action_ids)
    elif kind == "input":
        _text_object(block.get("label"), INPUT_LABEL_MAX, f"{pointer}/label", errors, plain_only=True)
        if block.get("hint") is not None:
            _text_object(block["hint"], INPUT_LABEL_MAX, f"{pointer}/hint", errors, plain_only=True)
        if block.get("element") is None:
            errors.append(f"missing required field [json-pointer:{pointer}/element]")
        else:
            _element(block["element"], f"{pointer}/element", errors)
    if not any(e.endswith(f"[json-pointer:{pointer}]") or f"[json-pointer:{pointer}/" in e for e in errors):
        _sdk_block(block, pointer, errors)


def _sdk_block(block: dict[str, Any], pointer: str, errors: list[str]) -> None:
    """slack_sdk's own validators (only where ours found nothing, so a fault is reported once)."""
    try:
        parsed = Block.parse(block)
        if parsed is not None:
            parsed.to_dict()  # validates the block and everything in it
    except SlackObjectFormationError as exc:
        errors.append(f"{exc} [json-pointer:{pointer}]")
    except (TypeError, ValueError, KeyError, AttributeError) as exc:
        errors.append(f"invalid block ({type(exc).__name__}: {exc}) [json-pointer:{pointer}]")


def blocks_errors(blocks: Any, max_blocks: int, pointer: str = "/blocks") -> list[str]:
    """Problems in a list of blocks: each block's limits, the count, unique block_ids."""
    if blocks is None:
        return []
    if not isinstance(blocks, list):
        return [f"expected an array [json-pointer:{pointer}]"]
    errors: list[str] = []
    if len(blocks) > max_blocks:
        errors.append(_too_many(max_blocks, pointer))
    seen: set[str] = set()
    for i, block in enumerate(blocks):
        _block(block, f"{pointer}/{i}", errors)
        block_id = block.get("block_id") if isinstance(block, dict) else None
        if isinstance(block_id, str):
            if block_id in seen:
                errors.append(f"duplicate block_id [json-pointer:{pointer}/{i}/block_id]")
            seen.add(block_id)
    return errors


def message_errors(args: dict[str, Any]) -> tuple[str, list[str]] | None:
    """(error code, messages) if Slack would refuse this chat.postMessage / update / postEphemeral.

    `invalid_blocks` for the blocks; `msg_too_long` for a `text` over 40,000 characters.
    """
    errors = blocks_errors(args.get("blocks"), MESSAGE_MAX_BLOCKS)
    if errors:
        return "invalid_blocks", errors
    text = args.get("text")
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        return "msg_too_long", [_too_long(MESSAGE_TEXT_MAX, "/text")]
    return None


def view_errors(view: Any) -> list[str]:
    """Problems Slack would answer `invalid_arguments` for in views.open/push/update/publish."""
    if not isinstance(view, dict):
        return ["expected an object [json-pointer:/view]"]
    errors: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        errors.append("must be one of modal, home [json-pointer:/view/type]")
    if kind == "modal":
        _text_object(view.get("title"), VIEW_TITLE_MAX, "/view/title", errors, plain_only=True)
    for key in ("submit", "close"):
        if view.get(key) is not None:
            _text_object(view[key], VIEW_BUTTON_MAX, f"/view/{key}", errors, plain_only=True)
    _string(view.get("private_metadata"), PRIVATE_METADATA_MAX, "/view/private_metadata", errors)
    _string(view.get("callback_id"), CALLBACK_ID_MAX, "/view/callback_id", errors)
    _string(view.get("external_id"), CALLBACK_ID_MAX, "/view/external_id", errors)
    blocks = view.get("blocks")
    if blocks is None:
        errors.append("missing required field [json-pointer:/view/blocks]")
    errors.extend(blocks_errors(blocks, VIEW_MAX_BLOCKS, "/view/blocks"))
    has_input = isinstance(blocks, list) and any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
    if kind == "modal" and has_input and view.get("submit") is None:
        errors.append("submit is required when an input block is present [json-pointer:/view/submit]")
    if not errors:
        try:
            View(**view).to_dict()
        except SlackObjectFormationError as exc:
            errors.append(f"{exc} [json-pointer:/view]")
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            errors.append(f"invalid view ({type(exc).__name__}: {exc}) [json-pointer:/view]")
    return errors
