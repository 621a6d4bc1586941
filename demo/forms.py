"""What the demo page's input becomes: the JSON Slack would send the app for it.

Pure functions, standard library only. `state_values` builds a modal submission's `view.state.values`
from the page's form fields; `action` builds the `actions[0]` of a `block_actions` payload for a
control the person used. Shapes follow Slack's interaction payloads
(https://api.slack.com/reference/interaction-payloads/block-actions,
https://api.slack.com/reference/interaction-payloads/views#view_submission): options are echoed
as the element defines them, so `text` is the option's real text.
"""

from __future__ import annotations

import copy
from collections.abc import Iterator, Mapping, Sequence
from typing import Any

from demo.render import action_id_of, block_id_of

# element type → (state key, kind): "one" a single string or None, "many" a list of strings,
# "option" one option object or None, "options" a list of option objects.
_STATE_KEYS: Mapping[str, tuple[str, str]] = {
    "plain_text_input": ("value", "one"),
    "url_text_input": ("value", "one"),
    "email_text_input": ("value", "one"),
    "number_input": ("value", "one"),
    "rich_text_input": ("value", "one"),
    "static_select": ("selected_option", "option"),
    "external_select": ("selected_option", "option"),
    "radio_buttons": ("selected_option", "option"),
    "overflow": ("selected_option", "option"),
    "multi_static_select": ("selected_options", "options"),
    "multi_external_select": ("selected_options", "options"),
    "checkboxes": ("selected_options", "options"),
    "users_select": ("selected_user", "one"),
    "multi_users_select": ("selected_users", "many"),
    "channels_select": ("selected_channel", "one"),
    "multi_channels_select": ("selected_channels", "many"),
    "conversations_select": ("selected_conversation", "one"),
    "multi_conversations_select": ("selected_conversations", "many"),
    "datepicker": ("selected_date", "one"),
    "timepicker": ("selected_time", "one"),
}
# element type → its initial value's key (what Slack reports while nobody has changed it)
_INITIAL_KEYS: Mapping[str, str] = {
    "value": "initial_value",
    "selected_option": "initial_option",
    "selected_options": "initial_options",
    "selected_user": "initial_user",
    "selected_users": "initial_users",
    "selected_channel": "initial_channel",
    "selected_channels": "initial_channels",
    "selected_conversation": "initial_conversation",
    "selected_conversations": "initial_conversations",
    "selected_date": "initial_date",
    "selected_time": "initial_time",
}


def _all_options(element: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """An element's options, flat: its `options`, then each of its `option_groups`' options."""
    yield from element.get("options") or []
    for group in element.get("option_groups") or []:
        yield from group.get("options") or []


def _option(element: Mapping[str, Any], value: str | None) -> dict[str, Any] | None:
    """The element's option whose value is `value` (a copy, as Slack echoes it), else None."""
    if value is None:
        return None
    for option in _all_options(element):
        if isinstance(option, Mapping) and str(option.get("value")) == value:
            return copy.deepcopy(dict(option))
    return None


def _state(element: Mapping[str, Any], chosen: Sequence[str] | None) -> dict[str, Any]:
    """One element's state entry: {"type": …, KEY: …}. `chosen` None means "as rendered" (its
    initial value, as Slack reports an untouched field); an empty string is no value."""
    kind = str(element.get("type") or "")
    key, shape = _STATE_KEYS.get(kind, ("value", "one"))
    entry: dict[str, Any] = {"type": kind}
    if chosen is None:
        initial = element.get(_INITIAL_KEYS[key])
        if shape == "option":
            entry[key] = _option(element, initial.get("value")) if isinstance(initial, Mapping) else None
        elif shape == "options":
            entry[key] = [o for o in (_option(element, i.get("value")) for i in initial or []) if o is not None]
        elif shape == "many":
            entry[key] = [str(v) for v in initial or []]
        else:
            entry[key] = str(initial) if initial not in (None, "") else None
        return entry
    values = [str(v) for v in chosen if v is not None and str(v) != ""]
    if shape == "one":
        entry[key] = values[0] if values else None
    elif shape == "many":
        entry[key] = values
    elif shape == "option":
        entry[key] = _option(element, values[0]) if values else None
    else:
        entry[key] = [o for o in (_option(element, v) for v in values) if o is not None]
    return entry


def state_values(view: Mapping[str, Any], raw: Mapping[str, Sequence[str]]) -> dict[str, Any]:
    """`view.state.values` as Slack sends it on submission: {block_id: {action_id: {"type", …}}}
    for every input block of `view` (Slack sends all of them), from the page's
    `raw` {"BLOCK_ID/ACTION_ID": [values…]} (one value for text, selects and radios; several for
    checkboxes and multi-selects; [] when nothing is chosen).

    Per element type: text inputs (plain_text, url, email, number) → "value" (a string, None when
    empty); static_select / radio_buttons → "selected_option" (the element's option object, None);
    multi_static_select / checkboxes → "selected_options" (a list); users_select → "selected_user";
    multi_users_select → "selected_users"; channels/conversations likewise; datepicker →
    "selected_date" ("YYYY-MM-DD"). A block `raw` lacks keeps the element's initial value (an
    untouched field); a value that is no option of the element is dropped (never invented).
    """
    values: dict[str, Any] = {}
    for index, block in enumerate(view.get("blocks") or []):
        if not isinstance(block, Mapping) or block.get("type") != "input":
            continue
        element = block.get("element")
        if not isinstance(element, Mapping):
            continue
        block_id, action_id = block_id_of(block, index), action_id_of(element, 0)
        chosen = raw.get(f"{block_id}/{action_id}")
        values.setdefault(block_id, {})[action_id] = _state(element, chosen)
    return values


def _elements(block: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for element in [*(block.get("elements") or []), block.get("accessory"), block.get("element")]:
        if isinstance(element, Mapping):
            yield element


def _find(blocks: Sequence[Any], block_id: str, action_id: str) -> Mapping[str, Any] | None:
    """The element `action_id` of the block `block_id` (an actions block's elements, a section's
    accessory, an input block's element), with the page's stand-in ids for blocks that have none."""
    for index, block in enumerate(blocks or []):
        if not isinstance(block, Mapping) or block_id_of(block, index) != block_id:
            continue
        elements = list(_elements(block))
        for position, element in enumerate(elements):
            # an accessory or input element is the block's only one: the page numbered it 0
            number = position if block.get("elements") else 0
            if action_id_of(element, number) == action_id:
                return element
    return None


def action(
    blocks: Sequence[Any], block_id: str, action_id: str, chosen: str | None, *, now: float
) -> dict[str, Any] | None:
    """The `actions[0]` object of the `block_actions` payload Slack sends when the element
    `action_id` of block `block_id` in `blocks` (a message's or a view's) is used, or None if there
    is no such element (the page showed a control that is gone).

    Keys: type, action_id, block_id, action_ts (f"{now:.6f}", seconds since the epoch) and, by type:
    button → `text` and its own `value` (and `style`; `chosen` is ignored); overflow /
    static_select / radio_buttons → `selected_option` (the element's option whose value is
    `chosen`); users_select → `selected_user`; channels_select /
    conversations_select likewise; datepicker → `selected_date`; checkboxes / multi_static_select →
    `selected_options`, `chosen` holding the checked values one per line ("" → none).
    Also None when a single choice is missing or is no option of the element (Slack sends nothing then).
    """
    element = _find(blocks, block_id, action_id)
    if element is None:
        return None
    kind = str(element.get("type") or "")
    result: dict[str, Any] = {"type": kind, "action_id": action_id, "block_id": block_id, "action_ts": f"{now:.6f}"}
    if kind == "button":
        result["text"] = copy.deepcopy(element.get("text"))
        for key in ("value", "style", "url"):
            if key in element:
                result[key] = element[key]
        return result
    key, shape = _STATE_KEYS.get(kind, ("value", "one"))
    if shape in ("options", "many"):
        picked: list[str] = (chosen or "").split("\n") if chosen else []
    else:
        picked = [chosen] if chosen is not None else []
    state = _state(element, picked)
    if state[key] is None:  # no such option any more (or nothing chosen): Slack would send nothing
        return None
    result[key] = state[key]
    if "placeholder" in element and kind.endswith("select"):
        result["placeholder"] = copy.deepcopy(element["placeholder"])
    return result
