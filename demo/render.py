"""Block Kit and Slack mrkdwn → safe HTML for the demo page: message rows, threads, modals, App Home.

Pure functions of their arguments, standard library only. Everything that came from Slack (and so
possibly from a customer: message text, option values, block and action ids, names) is HTML-escaped,
in text and in attributes alike: nothing in a message can create a tag, an attribute or a script.
Links become `<a>` only for http(s) and mailto URLs.

The markup is the contract with the page's `app.js` (docs in demo-contract): interactive elements
carry `data-where`, `data-block-id`, `data-action-id`, `data-type` (and `data-value` for buttons,
`data-confirm` when Slack would ask first); a modal's inputs are named "BLOCK_ID/ACTION_ID".
Elements inside a view (modal or App Home) get `data-where="v:VIEW_ID"`.

A block or element this module does not know is shown as its JSON in `<pre class="bk-unknown">`:
never hidden, never an exception.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "EMOJI",
    "Names",
    "action_id_of",
    "block_id_of",
    "blocks",
    "emoji_char",
    "message",
    "mrkdwn",
    "plain",
    "view",
]


@dataclass(frozen=True)
class Names:
    """Display names: `users` "U0CUST" → "Dana Reyes" (also user groups "S…"), `channels`
    "C0CUST" → "ext-globex". An id missing from them shows as "@U0CUST" / "#C0CUST"."""

    users: Mapping[str, str] = field(default_factory=dict)
    channels: Mapping[str, str] = field(default_factory=dict)


NO_NAMES = Names()

# Emoji names → characters: the ones the bot and the demo use, and a few common ones. Others stay ":name:".
EMOJI: Mapping[str, str] = {
    "eyes": "👀",
    "ticket": "🎫",
    "white_check_mark": "✅",
    "heavy_check_mark": "✔️",
    "+1": "👍",
    "thumbsup": "👍",
    "-1": "👎",
    "thumbsdown": "👎",
    "fire": "🔥",
    "tada": "🎉",
    "warning": "⚠️",
    "rotating_light": "🚨",
    "red_circle": "🔴",
    "large_orange_circle": "🟠",
    "large_yellow_circle": "🟡",
    "large_green_circle": "🟢",
    "large_blue_circle": "🔵",
    "white_circle": "⚪",
    "grey_question": "❔",
    "question": "❓",
    "no_entry_sign": "🚫",
    "link": "🔗",
    "hourglass_flowing_sand": "⏳",
    "busts_in_silhouette": "👥",
    "zipper_mouth_face": "🤐",
    "wave": "👋",
    "straight_ruler": "📏",
    "loudspeaker": "📢",
    "leftwards_arrow_with_hook": "↩️",
    "inbox_tray": "📥",
    "file_cabinet": "🗄️",
    "calendar": "📆",
    "heart": "❤️",
    "smile": "😄",
    "slightly_smiling_face": "🙂",
    "pray": "🙏",
    "raised_hands": "🙌",
    "rocket": "🚀",
    "bug": "🐛",
    "memo": "📝",
    "x": "❌",
    "bulb": "💡",
    "clock": "🕐",
    "mag": "🔍",
}

_PLACEHOLDER_CHARS = re.compile("[\ue000\ue001]")
_PLACEHOLDER = re.compile("\ue000(\\d+)\ue001")
_ANGLE_TOKEN = re.compile(r"<([^<>\n]*)>")
_PRE = re.compile(r"```\n?(.+?)\n?```", re.DOTALL)
_CODE = re.compile(r"`([^`\n]+)`")
_ENTITY = re.compile(r"&(amp|lt|gt);")
_EMOJI_CODE = re.compile(r":([a-z0-9_+\-]+):")
_SKIN_TONE = re.compile(r"(?<=:):skin-tone-[2-6]:")
# *bold*, _italic_, ~strike~: the marker hugs non-space text and is not inside a word.
_STYLES = [
    (re.compile(r"(?<![\w*])\*(?=\S)([^*\n]*?\S)\*(?![\w*])"), "b"),
    (re.compile(r"(?<![\w_])_(?=\S)([^_\n]*?\S)_(?![\w_])"), "i"),
    (re.compile(r"(?<![\w~])~(?=\S)([^~\n]*?\S)~(?![\w~])"), "s"),
]
_QUOTE_LINE = re.compile(r"^&gt; ?(.*)$")
_PERMALINK = re.compile(r"^/archives/([A-Z0-9]+)/p(\d{10})(\d{6})$")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">"}


def _e(value: Any) -> str:
    """Any value as escaped HTML text, safe in text and in double-quoted attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def _attrs(pairs: Mapping[str, Any]) -> str:
    """' name="value"' for each pair whose value is not None (names are ours, values escaped)."""
    return "".join(f' {name}="{_e(value)}"' for name, value in pairs.items() if value is not None)


def _slack_decode(text: str) -> str:
    """Slack's encoding undone: only &amp; &lt; &gt; are entities in Slack text."""
    return _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)


def _emoji(escaped: str) -> str:
    escaped = _SKIN_TONE.sub("", escaped)
    return _EMOJI_CODE.sub(lambda m: EMOJI.get(m.group(1), m.group(0)), escaped)


def emoji_char(name: str) -> str:
    """The character for an emoji name ("eyes" → "👀"), else ":name:"."""
    return EMOJI.get(name, f":{name}:")


def _safe_url(url: str) -> bool:
    """http(s) with a host, or mailto; nothing with spaces or control characters."""
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return False
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    scheme = parts.scheme.lower()
    return (scheme in ("http", "https") and bool(parts.netloc)) or (scheme == "mailto" and bool(parts.path))


def _link(url: str, label_html: str) -> str:
    """An `<a>` opening in a new tab; a Slack permalink also says which message it points at, so the
    page can open it in place (`data-op="open-link"`)."""
    extra: dict[str, Any] = {}
    try:
        parts = urlsplit(url)
    except ValueError:
        parts = None
    found = _PERMALINK.match(parts.path) if parts else None
    if parts and found:
        ts = f"{found.group(2)}.{found.group(3)}"
        thread = (parse_qs(parts.query).get("thread_ts") or [ts])[0]
        extra = {"data-op": "open-link", "data-channel": found.group(1), "data-ts": ts, "data-thread": thread}
    attrs = _attrs({"href": url, "target": "_blank", "rel": "noopener noreferrer", **extra})
    return f"<a{attrs}>{label_html}</a>"


def _mention(kind: str, shown: str, **data: Any) -> str:
    return f'<span class="bk-mention bk-{kind}"{_attrs(data)}>{_e(shown)}</span>'


def _channel_link(channel_id: str, label: str, names: Names) -> str:
    name = names.channels.get(channel_id) or label or channel_id
    attrs = _attrs({"href": "#", "data-op": "open-conversation", "data-channel": channel_id})
    return f'<a class="bk-mention bk-channel"{attrs}>#{_e(name.lstrip("#"))}</a>'


def _angle_token(inner: str, names: Names) -> str:
    """One Slack `<…>` token (still Slack-encoded inside) → safe HTML."""
    head, _, label = inner.partition("|")
    label = _slack_decode(label)
    if head.startswith("@"):
        user_id = head[1:]
        name = names.users.get(user_id) or label.lstrip("@") or user_id
        return _mention("user", f"@{name}", **{"data-user": user_id})
    if head.startswith("#"):
        return _channel_link(head[1:], label, names)
    if head.startswith("!"):
        special = head[1:]
        if special.startswith("subteam^"):
            group = special.removeprefix("subteam^")
            shown = label or "@" + names.users.get(group, group).lstrip("@")
            return _mention("group", shown if shown.startswith("@") else f"@{shown}")
        if special.startswith("date^"):
            return f'<span class="bk-date">{_e(label or special)}</span>'
        word = special.split("^", 1)[0]
        return _mention("broadcast", "@" + (label or word).lstrip("@"))
    url = _slack_decode(head)
    if _safe_url(url):
        return _link(url, _e(label or url))
    if ":" not in url:  # not a token at all (raw text between angle brackets): show it as typed
        return _e(f"<{_slack_decode(inner)}>")
    return _e(label or url)  # a link to anything but http(s)/mailto: inert text


def mrkdwn(text: str | None, names: Names = NO_NAMES) -> str:
    """Slack mrkdwn (Slack-encoded: &amp; &lt; &gt; are the only entities, `<…>` tokens for links,
    mentions and broadcasts) → safe HTML: *bold* `<b>`, _italic_ `<i>`, ~strike~ `<s>`, `code`,
    ```pre```, "> " quote lines `<blockquote>`, known :emoji: as characters, newlines `<br>`.

    Every character of `text` is escaped: nothing in it can create a tag or an attribute. Links
    become `<a target=_blank rel="noopener noreferrer">` only for http(s) and mailto; any other
    scheme (javascript:, data:…) shows as text. Users and channels show by name from `names`.
    """
    if not text:
        return ""
    stash: list[str] = []

    def keep(fragment: str) -> str:
        stash.append(fragment)
        return f"\ue000{len(stash) - 1}\ue001"

    def restore(fragment: str) -> str:
        return _PLACEHOLDER.sub(lambda m: stash[int(m.group(1))], fragment)

    def escape(raw: str) -> str:  # placeholders are left as they are (they hold no HTML characters)
        return html.escape(_slack_decode(raw), quote=True)

    source = _PLACEHOLDER_CHARS.sub("\ufffd", str(text))  # nobody can forge a placeholder
    source = _ANGLE_TOKEN.sub(lambda m: keep(_angle_token(m.group(1), names)), source)
    source = _PRE.sub(lambda m: keep(f'<pre class="bk-pre">{restore(escape(m.group(1)))}</pre>'), source)
    source = _CODE.sub(lambda m: keep(f'<code class="bk-code">{restore(escape(m.group(1)))}</code>'), source)
    escaped = _emoji(escape(source))
    for pattern, tag in _STYLES:
        escaped = pattern.sub(lambda m, tag=tag: f"<{tag}>{m.group(1)}</{tag}>", escaped)
    return restore(_lines(escaped))


def _lines(escaped: str) -> str:
    """Newlines → <br>; runs of "&gt; " lines → one <blockquote>; "&gt;&gt;&gt;" quotes the rest."""
    parts: list[tuple[bool, str]] = []  # (is a quote, html)
    quote: list[str] = []
    rest_quoted = False

    def flush() -> None:
        if quote:
            parts.append((True, '<blockquote class="bk-quote">' + "<br>".join(quote) + "</blockquote>"))
            quote.clear()

    for line in escaped.split("\n"):
        if not rest_quoted and line.startswith("&gt;&gt;&gt;"):
            rest_quoted = True
            line = "&gt; " + line.removeprefix("&gt;&gt;&gt;").lstrip(" ")
        found = _QUOTE_LINE.match(line)
        if rest_quoted or found:
            quote.append(found.group(1) if found else line)
            continue
        flush()
        parts.append((False, line))
    flush()
    out = []
    for index, (is_quote, fragment) in enumerate(parts):
        if index and not is_quote and not parts[index - 1][0]:
            out.append("<br>")
        out.append(fragment)
    return "".join(out)


def plain(obj: Mapping[str, Any] | str | None, names: Names = NO_NAMES) -> str:
    """A Block Kit text object (`plain_text`, or `mrkdwn` rendered by `mrkdwn`) or a bare string →
    safe HTML. plain_text shows as written (its :emoji: as characters unless `"emoji": false`),
    newlines as <br>. None → ""."""
    if obj is None:
        return ""
    if isinstance(obj, str):
        return _e(obj).replace("\n", "<br>")
    if obj.get("type") == "mrkdwn":
        return mrkdwn(obj.get("text"), names)
    shown = _e(obj.get("text"))
    if obj.get("emoji", True):
        shown = _emoji(shown)
    return shown.replace("\n", "<br>")


def _unknown(obj: Any) -> str:
    return f'<pre class="bk-unknown">{_e(json.dumps(obj, indent=2, ensure_ascii=False, default=str))}</pre>'


def block_id_of(block: Mapping[str, Any], index: int) -> str:
    """The block's id, or the stand-in this page and `demo.forms` agree on when it has none."""
    return str(block.get("block_id") or f"block-{index}")


def action_id_of(element: Mapping[str, Any], index: int) -> str:
    """The element's action id, or the stand-in this page and `demo.forms` agree on when it has none."""
    return str(element.get("action_id") or f"action-{index}")


@dataclass(frozen=True)
class _Place:
    """Where an element is: what the page sends back with an action, and how to name users/channels."""

    where: str
    block_id: str
    names: Names
    modal: bool = False  # inside a modal's form
    prefix: str = ""  # makes element ids unique on the page
    control: bool = False  # an input block's element in a modal: a form control named BLOCK/ACTION
    required: bool = False  # …that must be filled in (the input block is not optional)


def _confirm_text(element: Mapping[str, Any]) -> str | None:
    confirm = element.get("confirm")
    if not isinstance(confirm, Mapping):
        return None
    parts = [_text_of(confirm.get("title")), _text_of(confirm.get("text"))]
    text = "\n\n".join(part for part in parts if part) or "Are you sure?"
    return _emoji(text)  # plain text for window.confirm (escaped as an attribute)


def _text_of(obj: Any) -> str:
    """A text object's raw text (for attributes such as a confirm dialog's, escaped on output)."""
    if isinstance(obj, Mapping):
        raw = str(obj.get("text") or "")
        return _slack_decode(raw) if obj.get("type") == "mrkdwn" else raw
    return str(obj or "")


def _data(element: Mapping[str, Any], index: int, place: _Place, **extra: Any) -> dict[str, Any]:
    return {
        "data-where": place.where,
        "data-block-id": place.block_id,
        "data-action-id": action_id_of(element, index),
        "data-type": element.get("type"),
        "data-confirm": _confirm_text(element),
        **extra,
    }


def _options(element: Mapping[str, Any]) -> list[tuple[str | None, list[Mapping[str, Any]]]]:
    """(group label or None, options) for an element's `options` and `option_groups`."""
    groups: list[tuple[str | None, list[Mapping[str, Any]]]] = []
    if element.get("options"):
        groups.append((None, list(element["options"])))
    for group in element.get("option_groups") or []:
        groups.append((_text_of(group.get("label")), list(group.get("options") or [])))
    return groups


def _initial_values(element: Mapping[str, Any]) -> set[str]:
    initial = element.get("initial_option")
    chosen = [initial] if initial else list(element.get("initial_options") or [])
    for key in ("initial_user", "initial_channel", "initial_conversation", "initial_date"):
        if element.get(key):
            chosen.append({"value": element[key]})
    for key in ("initial_users", "initial_channels", "initial_conversations"):
        chosen.extend({"value": value} for value in element.get(key) or [])
    return {str(option.get("value")) for option in chosen if isinstance(option, Mapping)}


def _option_tags(groups: Iterable[tuple[str | None, list[Mapping[str, Any]]]], selected: set[str]) -> str:
    out = []
    for label, options in groups:
        tags = "".join(
            f"<option{_attrs({'value': o.get('value'), 'selected': '' if str(o.get('value')) in selected else None})}>"
            f"{_e(_text_of(o.get('text')))}</option>"
            for o in options
        )
        out.append(f"<optgroup{_attrs({'label': label})}>{tags}</optgroup>" if label is not None else tags)
    return "".join(out)


def _directory_options(directory: Mapping[str, str], prefix: str) -> list[tuple[str | None, list[Mapping[str, Any]]]]:
    ordered = sorted(directory.items(), key=lambda item: (item[1].casefold(), item[0]))
    return [(None, [{"text": {"text": f"{prefix}{name}"}, "value": key} for key, name in ordered])]


def _select(element: Mapping[str, Any], index: int, place: _Place, groups: Any, multiple: bool = False) -> str:
    selected = _initial_values(element)
    placeholder = _text_of(element.get("placeholder")) or ("⋯" if element.get("type") == "overflow" else "Select…")
    if place.control:
        attrs = {
            "data-type": element.get("type"),
            "name": f"{place.block_id}/{action_id_of(element, index)}",
            "id": f"{place.prefix}{index}",
            "required": "" if place.required else None,
        }
    else:
        attrs = _data(element, index, place, **{"aria-label": placeholder})
    if multiple:
        attrs["multiple"] = ""
    first = "" if multiple else f'<option value=""{"" if selected else " selected"}>{_e(placeholder)}</option>'
    kind = "bk-overflow" if element.get("type") == "overflow" else "bk-select"
    return f'<select class="{kind}"{_attrs(attrs)}>{first}{_option_tags(groups, selected)}</select>'


def _choices(element: Mapping[str, Any], index: int, place: _Place, kind: str) -> str:
    """radio_buttons / checkboxes: a group of inputs; in a form each is named BLOCK/ACTION."""
    selected = _initial_values(element)
    name = f"{place.block_id}/{action_id_of(element, index)}"
    group_name = name if place.control else f"{place.where}|{name}"
    items = []
    for option_index, option in enumerate(o for _, options in _options(element) for o in options):
        attrs: dict[str, Any] = {
            "type": kind,
            "name": group_name,
            "value": option.get("value"),
            "checked": "" if str(option.get("value")) in selected else None,
            "data-type": element.get("type"),
            "id": f"{place.prefix}{index}-{option_index}" if place.control else None,
            "required": "" if place.control and place.required and kind == "radio" else None,
        }
        description = option.get("description")
        note = f'<span class="bk-option-desc">{plain(description, place.names)}</span>' if description else ""
        items.append(
            f'<label class="bk-choice"><input{_attrs(attrs)}>'
            f'<span class="bk-choice-text">{plain(option.get("text"), place.names)}{note}</span></label>'
        )
    container = _data(element, index, place) if not place.control else {"data-type": element.get("type")}
    return f'<div class="bk-choices"{_attrs(container)}>{"".join(items)}</div>'


def _button(element: Mapping[str, Any], index: int, place: _Place) -> str:
    style = element.get("style")
    classes = "bk-button" + (f" bk-{style}" if style in ("primary", "danger") else "")
    url = element.get("url")
    extra = {"data-value": element.get("value"), "data-url": url if isinstance(url, str) and _safe_url(url) else None}
    return f'<button type="button" class="{classes}"{_attrs(_data(element, index, place, **extra))}>' + (
        f"{plain(element.get('text'), place.names)}</button>"
    )


def _image(element: Mapping[str, Any]) -> str:
    """An image as a labelled placeholder (the demo loads nothing from outside), linked if http(s)."""
    alt = _e(element.get("alt_text") or "image")
    url = element.get("image_url")
    inner = f'<span class="bk-image-icon" aria-hidden="true">🖼</span> {alt}'
    if isinstance(url, str) and _safe_url(url):
        attrs = _attrs({"href": url, "target": "_blank", "rel": "noopener noreferrer"})
        return f'<a class="bk-image"{attrs}>{inner}</a>'
    return f'<span class="bk-image">{inner}</span>'


def _text_input(element: Mapping[str, Any], index: int, place: _Place) -> str:
    kind = element.get("type")
    attrs: dict[str, Any] = {
        "name": f"{place.block_id}/{action_id_of(element, index)}",
        "id": f"{place.prefix}{index}",
        "data-type": kind,
        "placeholder": _text_of(element.get("placeholder")) or None,
        "maxlength": element.get("max_length"),
        "minlength": element.get("min_length"),
        "required": "" if place.required else None,
    }
    value = element.get("initial_value")
    if kind == "plain_text_input" and element.get("multiline"):
        return f'<textarea class="bk-input" rows="4"{_attrs(attrs)}>{_e(value)}</textarea>'
    input_type = {"url_text_input": "url", "email_text_input": "email", "number_input": "number"}.get(kind, "text")
    if kind == "number_input":
        attrs.update(
            {
                "min": element.get("min_value"),
                "max": element.get("max_value"),
                "step": "any" if element.get("is_decimal_allowed") else "1",
            }
        )
    if kind == "datepicker":
        input_type, value = "date", element.get("initial_date")
    return f'<input class="bk-input"{_attrs({"type": input_type, **attrs, "value": value})}>'


_TEXT_INPUTS = {"plain_text_input", "url_text_input", "email_text_input", "number_input"}


def _element(element: Any, index: int, place: _Place) -> str:
    """One element (of an actions block, a section's accessory or an input block) → HTML."""
    if not isinstance(element, Mapping):
        return _unknown(element)
    kind = element.get("type")
    names = place.names
    if kind == "button":
        return _button(element, index, place)
    if kind in ("overflow", "static_select", "external_select"):
        return _select(element, index, place, _options(element))
    if kind == "multi_static_select":
        return _select(element, index, place, _options(element), multiple=True)
    if kind in ("users_select", "multi_users_select"):
        return _select(element, index, place, _directory_options(names.users, ""), kind.startswith("multi"))
    if kind in ("channels_select", "conversations_select", "multi_channels_select", "multi_conversations_select"):
        return _select(element, index, place, _directory_options(names.channels, "#"), kind.startswith("multi"))
    if kind == "radio_buttons":
        return _choices(element, index, place, "radio")
    if kind == "checkboxes":
        return _choices(element, index, place, "checkbox")
    if kind == "datepicker":
        if place.control:
            return _text_input(element, index, place)
        attrs = _data(element, index, place, type="date", value=element.get("initial_date"))
        return f'<input class="bk-input bk-date-input"{_attrs(attrs)}>'
    if kind in _TEXT_INPUTS and place.control:
        return _text_input(element, index, place)
    if kind == "image":
        return _image(element)
    if kind in ("plain_text", "mrkdwn"):
        return f'<span class="bk-context-text">{plain(element, names)}</span>'
    return _unknown(element)


# --- blocks ---------------------------------------------------------------------------------------


def _section(block: Mapping[str, Any], place: _Place) -> str:
    parts = []
    if block.get("text"):
        parts.append(f'<div class="bk-section-text">{plain(block["text"], place.names)}</div>')
    if block.get("fields"):
        fields = "".join(f'<div class="bk-field">{plain(f, place.names)}</div>' for f in block["fields"])
        parts.append(f'<div class="bk-fields">{fields}</div>')
    accessory = block.get("accessory")
    side = f'<div class="bk-accessory">{_element(accessory, 0, place)}</div>' if accessory else ""
    return f'<div class="bk-section"><div class="bk-section-body">{"".join(parts)}</div>{side}</div>'


def _context(block: Mapping[str, Any], place: _Place) -> str:
    items = []
    for element in block.get("elements") or []:
        if isinstance(element, Mapping) and element.get("type") in ("plain_text", "mrkdwn"):
            items.append(f'<span class="bk-context-text">{plain(element, place.names)}</span>')
        elif isinstance(element, Mapping) and element.get("type") == "image":
            items.append(_image(element))
        else:
            items.append(_unknown(element))
    return f'<div class="bk-context">{"".join(items)}</div>'


def _actions(block: Mapping[str, Any], place: _Place) -> str:
    elements = "".join(_element(element, index, place) for index, element in enumerate(block.get("elements") or []))
    return f'<div class="bk-actions">{elements}</div>'


def _input(block: Mapping[str, Any], place: _Place) -> str:
    element = block.get("element")
    optional = bool(block.get("optional"))
    place = replace(place, control=place.modal, required=place.modal and not optional)
    control = _element(element, 0, place)
    grouped = isinstance(element, Mapping) and element.get("type") in _GROUPS
    target = f"{place.prefix}0" if place.control and not grouped else None
    label = plain(block.get("label"), place.names)
    suffix = ' <span class="bk-optional">(optional)</span>' if optional else ""
    hint = f'<div class="bk-hint">{plain(block.get("hint"), place.names)}</div>' if block.get("hint") else ""
    return f'<div class="bk-input-block"><label class="bk-label"{_attrs({"for": target})}>{label}{suffix}</label>' + (
        f"{control}{hint}</div>"
    )


_GROUPS = {"radio_buttons", "checkboxes"}


def _image_block(block: Mapping[str, Any], place: _Place) -> str:
    title = f'<div class="bk-image-title">{plain(block.get("title"), place.names)}</div>' if block.get("title") else ""
    return f'<div class="bk-image-block">{title}{_image(block)}</div>'


def _header(block: Mapping[str, Any], place: _Place) -> str:
    return f'<div class="bk-header">{plain(block.get("text"), place.names)}</div>'


def _divider(block: Mapping[str, Any], place: _Place) -> str:
    return '<hr class="bk-divider">'


# --- rich_text ------------------------------------------------------------------------------------


def _rich_inline(element: Any, names: Names) -> str:
    if not isinstance(element, Mapping):
        return _unknown(element)
    kind = element.get("type")
    style = element.get("style") or {}
    if kind == "text":
        shown = _e(element.get("text")).replace("\n", "<br>")
    elif kind == "link":
        url = str(element.get("url") or "")
        label = _e(element.get("text") or url)
        shown = _link(url, label) if _safe_url(url) else label
    elif kind == "user":
        user_id = str(element.get("user_id") or "")
        shown = _mention("user", "@" + names.users.get(user_id, user_id), **{"data-user": user_id})
    elif kind == "usergroup":
        group = str(element.get("usergroup_id") or "")
        shown = _mention("group", "@" + names.users.get(group, group).lstrip("@"))
    elif kind == "channel":
        shown = _channel_link(str(element.get("channel_id") or ""), "", names)
    elif kind == "emoji":
        name = str(element.get("name") or "")
        shown = _e(EMOJI.get(name) or f":{name}:")
    elif kind == "broadcast":
        shown = _mention("broadcast", f"@{element.get('range') or 'here'}")
    elif kind == "date":
        shown = f'<span class="bk-date">{_e(element.get("fallback") or element.get("timestamp"))}</span>'
    else:
        return _unknown(element)
    for key, tag in (("code", "code"), ("strike", "s"), ("italic", "i"), ("bold", "b")):
        if isinstance(style, Mapping) and style.get(key):
            shown = f"<{tag}>{shown}</{tag}>"
    return shown


def _rich_part(part: Any, names: Names) -> str:
    if not isinstance(part, Mapping):
        return _unknown(part)
    kind = part.get("type")
    inline = "".join(_rich_inline(element, names) for element in part.get("elements") or [])
    if kind == "rich_text_section":
        return f'<div class="bk-rich-section">{inline}</div>'
    if kind == "rich_text_quote":
        return f'<blockquote class="bk-quote">{inline}</blockquote>'
    if kind == "rich_text_preformatted":
        return f'<pre class="bk-pre">{inline}</pre>'
    if kind == "rich_text_list":
        tag = "ol" if part.get("style") == "ordered" else "ul"
        indent = int(part.get("indent") or 0)
        items = "".join(f"<li>{_rich_part(item, names)}</li>" for item in part.get("elements") or [])
        return f'<{tag} class="bk-list"{_attrs({"data-indent": indent or None})}>{items}</{tag}>'
    return _unknown(part)


def _rich_text(block: Mapping[str, Any], place: _Place) -> str:
    parts = "".join(_rich_part(part, place.names) for part in block.get("elements") or [])
    return f'<div class="bk-rich">{parts}</div>'


_BLOCKS: dict[str, Callable[[Mapping[str, Any], _Place], str]] = {
    "header": _header,
    "section": _section,
    "context": _context,
    "divider": _divider,
    "actions": _actions,
    "input": _input,
    "image": _image_block,
    "rich_text": _rich_text,
}


def _render_blocks(
    items: Any,
    where: str,
    names: Names,
    *,
    form: bool = False,
    prefix: str = "",
    errors: Mapping[str, str] | None = None,
) -> str:
    """Each block in a `<div class="bk-block" data-block-id data-block-type>`, its error (if any) last inside it."""
    errors = errors or {}
    out = []
    for index, block in enumerate(items if isinstance(items, list) else [items]):
        renderer = _BLOCKS.get(block.get("type")) if isinstance(block, Mapping) else None
        if renderer is None:
            out.append(_unknown(block))
            continue
        block_id = block_id_of(block, index)
        place = _Place(where, block_id, names, modal=form, prefix=f"{prefix}{index}-")
        try:
            inner = renderer(block, place)
        except (AttributeError, KeyError, TypeError, ValueError):  # a malformed block: show it, never fail
            inner = _unknown(block)
        error = _error_div(block_id, errors[block_id]) if block_id in errors else ""
        attrs = _attrs({"data-block-id": block_id, "data-block-type": block.get("type")})
        out.append(f'<div class="bk-block"{attrs}>{inner}{error}</div>')
    return "".join(out)


def blocks(blocks: list[Any] | None, *, where: str, names: Names, text: str = "") -> str:
    """A message's blocks → HTML (`<div class="bk">…</div>`); no blocks → `mrkdwn(text)`.

    Knows header, section (text, fields, accessory), context, divider, actions, input, image and
    rich_text, and the elements button (style primary/danger, confirm, url), overflow,
    static_select, multi_static_select, users_select, channels/conversations_select, radio_buttons,
    checkboxes, datepicker and image. Anything else → `<pre class="bk-unknown">` with its JSON.
    `where` is opaque: it is put on every interactive element (`data-where`) for the page to send back.
    """
    if not blocks:
        return f'<div class="bk bk-plain">{mrkdwn(text, names)}</div>'
    return f'<div class="bk">{_render_blocks(blocks, where, names, prefix="m-")}</div>'


def view(view: Mapping[str, Any], *, view_id: str, names: Names, errors: Mapping[str, str] | None = None) -> str:
    """A modal → `<form class="modal" data-testid="modal" data-view-id=…>`: title, blocks (input
    blocks as named form controls, labelled, required unless `optional`), `errors[block_id]` in a
    `<div class="bk-error" data-error-for=BLOCK_ID>` under its block (errors for a block the view
    does not have are listed at the top), a close button (`data-testid="modal-close"`, label from
    `view["close"]`, default "Cancel") and a submit button (`data-testid="modal-submit"`) only if
    the view has `submit`.

    An App Home (`view["type"] == "home"`) → `<div class="home" data-testid="home">` with its blocks,
    no buttons of its own. Interactive elements inside either carry `data-where="v:VIEW_ID"`.
    """
    errors = errors or {}
    where = f"v:{view_id}"
    items = view.get("blocks") or []
    if view.get("type") == "home":
        body = _render_blocks(items, where, names)
        return f'<div class="home bk" data-testid="home"{_attrs({"data-view-id": view_id})}>{body}</div>'
    body = _render_blocks(items, where, names, form=True, prefix="f-", errors=errors)
    known = {block_id_of(block, index) for index, block in enumerate(items) if isinstance(block, Mapping)}
    stray = "".join(_error_div(block_id, error) for block_id, error in errors.items() if block_id not in known)
    title = f'<h2 class="modal-title">{plain(view.get("title"), names)}</h2>'
    head = (
        f'<div class="modal-head">{title}'
        '<button type="button" class="modal-x" data-op="close-modal" aria-label="Close">×</button></div>'
    )
    close_label = plain(view.get("close")) or "Cancel"
    close = f'<button type="button" class="bk-button" data-testid="modal-close">{close_label}</button>'
    submit = ""
    if view.get("submit"):
        label = plain(view.get("submit"))
        submit = f'<button type="submit" class="bk-button bk-primary" data-testid="modal-submit">{label}</button>'

    attrs = _attrs({"data-view-id": view_id, "data-callback-id": view.get("callback_id")})
    return (
        f'<form class="modal" data-testid="modal"{attrs}>{head}'
        f'<div class="modal-body bk">{stray}{body}</div>'
        f'<div class="modal-foot">{close}{submit}</div></form>'
    )


def _error_div(block_id: str, error: str) -> str:
    return f'<div class="bk-error"{_attrs({"data-error-for": block_id})}>{_e(error)}</div>'


# --- message rows ---------------------------------------------------------------------------------


def _clock(ts: Any) -> tuple[str, str]:
    """("HH:MM", ISO time) in UTC from a Slack ts; ("", "") if it is not one."""
    try:
        moment = datetime.fromtimestamp(float(ts), tz=UTC)
    except (TypeError, ValueError, OverflowError, OSError):
        return "", ""
    return moment.strftime("%H:%M"), moment.isoformat()


def message(
    msg: Mapping[str, Any],
    *,
    names: Names,
    where: str,
    is_bot: bool,
    author: str,
    replies: int = 0,
    reactions: Mapping[str, int] | None = None,
    ephemeral: bool = False,
    in_thread: bool = False,
) -> str:
    """One message row `<div class="msg" data-testid="message" data-channel data-ts>`: avatar
    initial, author (an "APP" badge if `is_bot`), time (UTC HH:MM from `msg["ts"]`), its blocks
    (or text), reactions as chips (emoji name → character, count), "N replies" (`data-op="open-thread"`)
    if `replies`, "Only visible to you" if `ephemeral`, and a hover menu (none for ephemerals):
    Reply in thread (top-level messages outside the thread pane), 🎫, ✅ (`data-op="react"`) and
    Create ticket (`data-op="shortcut" data-callback-id="create_ticket"`).

    `msg`: ts, text, blocks (list or None), user, channel, thread_ts (maybe), `_at` (maybe: when it
    arrived, Unix seconds; the clock shows it instead of the ts).
    """
    channel = str(msg.get("channel") or "")
    ts = str(msg.get("ts") or "")
    root = str(msg.get("thread_ts") or ts)
    top_level = root == ts
    here = {"data-channel": channel, "data-ts": ts}
    hhmm, iso = _clock(msg.get("_at") or ts)  # when it arrived, where the stand-in knows it
    badge = '<span class="msg-badge">APP</span>' if is_bot else ""
    note = '<span class="msg-ephemeral-note">Only visible to you</span>' if ephemeral else ""
    initial = (author.strip()[:1] or "?").upper()
    head = (
        f'<div class="msg-head"><span class="msg-author">{_e(author)}</span>{badge}'
        f'<time class="msg-time"{_attrs({"datetime": iso or None, "title": iso or None})}>{_e(hhmm)}</time>{note}</div>'
    )
    content = blocks(msg.get("blocks"), where=where, names=names, text=str(msg.get("text") or ""))
    chips = "".join(
        f'<span class="reaction"{_attrs({"data-name": name, "title": f":{name}:"})}>'
        f'{_e(emoji_char(name))} <span class="reaction-count">{int(count)}</span></span>'
        for name, count in (reactions or {}).items()
        if count
    )
    chips_html = f'<div class="msg-reactions">{chips}</div>' if chips else ""
    label = "1 reply" if replies == 1 else f"{replies} replies"
    open_thread = _attrs({"data-op": "open-thread", **here, "data-thread": root})
    replies_html = (
        f'<button type="button" class="msg-replies"{open_thread}>{label}</button>' if replies and not in_thread else ""
    )
    menu = ""
    if not ephemeral:
        items = []
        if top_level and not in_thread:
            reply = '<span aria-hidden="true">💬</span> Reply in thread'
            items.append(f'<button type="button" class="msg-menu-item"{open_thread}>{reply}</button>')
        for name, tip in (("ticket", "React with :ticket: to file a ticket"), ("white_check_mark", "React with ✅")):
            attrs = _attrs({"data-op": "react", **here, "data-name": name, "title": tip})
            items.append(f'<button type="button" class="msg-menu-item"{attrs}>{EMOJI[name]}</button>')
        shortcut = _attrs({"data-op": "shortcut", **here, "data-callback-id": "create_ticket"})
        items.append(f'<button type="button" class="msg-menu-item"{shortcut}>Create ticket</button>')
        menu = f'<div class="msg-menu" role="toolbar">{"".join(items)}</div>'
    classes = "msg" + (" msg-bot" if is_bot else "") + (" msg-ephemeral" if ephemeral else "")
    attrs = _attrs({"class": classes, "data-testid": "message", **here, "data-user": msg.get("user")})
    avatar = f'<div class="msg-avatar avatar-{sum(map(ord, author)) % 8}" aria-hidden="true">{_e(initial)}</div>'
    return (
        f'<div{attrs}>{avatar}<div class="msg-body">{head}<div class="msg-content">{content}</div>'
        f"{chips_html}{replies_html}</div>{menu}</div>"
    )
