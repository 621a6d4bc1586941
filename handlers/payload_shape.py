"""Is a (signed) request shaped like what Slack sends? A pure check, run before any listener.

Slack never sends an event envelope without its `event`, a button click without `actions` or a
submission without its `view`; a body like that is a bug or a probe. Saying what is missing once,
up front, keeps the listeners simple (they may index `body["user"]["id"]`) and turns such a
request into one warning line instead of a traceback.
"""

from __future__ import annotations

from typing import Any

# What each kind of request must carry for our listeners: (path, expected type) pairs.
_REQUIRED: dict[str, tuple[tuple[str, type], ...]] = {
    "event_callback": (("event", dict), ("event.type", str)),
    "block_actions": (("user", dict), ("user.id", str), ("actions", list)),
    "block_suggestion": (("user", dict), ("user.id", str), ("action_id", str)),
    "view_submission": (("user", dict), ("user.id", str), ("view", dict), ("view.callback_id", str)),
    "view_closed": (("user", dict), ("user.id", str), ("view", dict), ("view.callback_id", str)),
    "shortcut": (("user", dict), ("user.id", str), ("callback_id", str), ("trigger_id", str)),
    "message_action": (
        ("user", dict),
        ("user.id", str),
        ("callback_id", str),
        ("trigger_id", str),
        ("channel", dict),
        ("channel.id", str),
        ("message", dict),
        ("message.ts", str),
    ),
}
_COMMAND_FIELDS = ("command", "user_id", "channel_id", "trigger_id")


def _get(body: dict[str, Any], path: str) -> Any:
    value: Any = body
    for key in path.split("."):
        value = value.get(key) if isinstance(value, dict) else None
    return value


def payload_problem(body: Any) -> str | None:
    """What is wrong with a parsed request body, in a few words (e.g. "block_actions without
    actions"), or None if it has what our listeners read. Kinds we don't handle are not judged."""
    if not isinstance(body, dict):
        return f"a body that is a JSON {type(body).__name__}, not an object"
    if "command" in body and "type" not in body:  # a slash command (form fields, all strings)
        missing = [name for name in _COMMAND_FIELDS if not isinstance(body.get(name), str) or not body[name]]
        return f"slash command without {', '.join(missing)}" if missing else None
    kind = body.get("type")
    for path, expected in _REQUIRED.get(kind if isinstance(kind, str) else "", ()):
        if not isinstance(_get(body, path), expected):
            return f"{kind} without {path}" if _get(body, path) is None else f"{kind} with a malformed {path}"
    if kind == "block_actions":
        actions = body["actions"]
        if not actions:
            return "block_actions with no actions"
        if not all(isinstance(a, dict) and isinstance(a.get("action_id"), str) for a in actions):
            return "block_actions with an action that has no action_id"
    return None
