"""Slack's text formats, both ways: what a person wrote from the wire format, and Slack-sized text.

Message text in events (and slash-command text) is Slack's wire format: `&`, `<`, `>` arrive as
`&amp;`, `&lt;`, `&gt;`, links as `<https://url|label>`, mentions as `<@U123>`, `<#C123|name>`,
`<!here>`, `<!subteam^S1|@team>`. `plain_text` turns it into what the person wrote, with links
and mentions as readable, inert text. Builders escape it again exactly once on the way out.

Slack's Block Kit limits count "characters" without defining them, and apply after escaping.
`slack_length` counts UTF-16 code units (an emoji outside the BMP is 2), and `cut` shortens text
to a budget without splitting an `&amp;` entity, a `<…>` token or a grapheme (ZWJ emoji sequence,
flag, combining mark). Pure functions, no I/O.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable

ELLIPSIS = "…"

# The only three entities Slack encodes; one pass, so `&amp;lt;` becomes the `&lt;` someone typed.
_ENTITY = re.compile(r"&(amp|lt|gt);")
_ENTITY_CHARS = {"amp": "&", "lt": "<", "gt": ">"}
_TOKEN = re.compile(r"<([^<>]*)>")
_BROADCASTS = {"here": "@here", "channel": "@channel", "everyone": "@everyone", "group": "@channel"}
# Shown but not Cf: fillers and blanks that render as nothing.
_INVISIBLE = frozenset("\u115f\u1160\u3164\uffa0\u2800\u034f")

NameLookup = Callable[[str], "str | None"]


def decode_entities(text: str) -> str:
    """`&amp;`, `&lt;`, `&gt;` to `&`, `<`, `>`, in one pass (other text is left as it is)."""
    return _ENTITY.sub(lambda m: _ENTITY_CHARS[m.group(1)], text)


def _token(inner: str, names: NameLookup | None) -> str:
    """One `<…>` token as readable plain text (its parts still entity-encoded)."""
    target, _, label = inner.partition("|")
    if target.startswith("@"):
        user_id = target[1:]
        name = label or (names(user_id) if names else None) or user_id
        return "@" + name.lstrip("@")
    if target.startswith("#"):
        return "#" + (label or target[1:]).lstrip("#")
    if target.startswith("!"):
        command, _, _ = target[1:].partition("^")
        if command in _BROADCASTS:
            return _BROADCASTS[command]
        if command == "subteam":
            group = label or target[1:].partition("^")[2]
            return "@" + group.lstrip("@")
        if command == "date":
            return label
        return label or command
    if target.startswith("mailto:"):
        address = target[len("mailto:") :]
        return address if not label or label == address else f"{label} ({address})"
    if not label or label == target or label == target.split("://", 1)[-1]:
        return target
    return f"{label} ({target})"


def plain_text(wire: str | None, names: NameLookup | None = None) -> str:
    """What the person wrote, from Slack's wire format.

    `<https://u|label>` → `label (https://u)`, `<https://u>` → `https://u`, `<mailto:a@b|a@b>` →
    `a@b`, `<@U1>` → `@name` (`names(user_id)`, else `@U1`), `<#C1|general>` → `#general`,
    `<!here>` → `@here`, `<!subteam^S1|@team>` → `@team`, `<!date^…|fallback>` → `fallback`;
    entities decoded once. The result is plain text: escape it before putting it in mrkdwn.
    """
    text = wire or ""
    out: list[str] = []
    last = 0
    for match in _TOKEN.finditer(text):
        out.append(decode_entities(text[last : match.start()]))
        out.append(decode_entities(_token(match.group(1), names)))
        last = match.end()
    out.append(decode_entities(text[last:]))
    return "".join(out)


def _is_invisible(char: str) -> bool:
    return char.isspace() or unicodedata.category(char) == "Cf" or char in _INVISIBLE


def is_blank(text: str | None) -> bool:
    """True if the text shows nothing: only whitespace, format characters (category Cf: U+200B,
    U+200D, U+2060, U+FEFF, bidi marks…) and blank fillers (U+3164, U+2800…)."""
    return all(_is_invisible(char) for char in text or "")


def visible(text: str | None) -> str:
    """The text without the invisible characters at either end ('' if it is blank)."""
    chars = text or ""
    start, end = 0, len(chars)
    while start < end and _is_invisible(chars[start]):
        start += 1
    while end > start and _is_invisible(chars[end - 1]):
        end -= 1
    return chars[start:end]


def slack_length(text: str) -> int:
    """Length as Slack may count it: UTF-16 code units (a non-BMP emoji counts 2)."""
    return len(text.encode("utf-16-le")) // 2


def _joins_previous(char: str) -> bool:
    """Whether `char` belongs to the grapheme before it (so a cut must not go just before it)."""
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Me", "Mc")
        or code == 0x200D  # zero width joiner
        or 0xFE00 <= code <= 0xFE0F  # variation selectors
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tag characters (subdivision flags)
    )


def _is_regional(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _safe_cut(text: str, end: int) -> int:
    """The largest position ≤ `end` where text may be cut: not inside an entity, a `<…>` token or
    a grapheme."""
    while end > 0:
        amp = text.rfind("&", max(0, end - 4), end)
        entity = _ENTITY.match(text, amp) if amp != -1 else None
        if entity is not None and entity.end() > end:
            end = amp
            continue
        opening = text.rfind("<", 0, end)
        if opening != -1 and text.rfind(">", opening, end) == -1:
            end = opening
            continue
        if end < len(text) and (_joins_previous(text[end]) or text[end - 1] == "\u200d"):
            end -= 1
            continue
        if end < len(text) and _is_regional(text[end]) and _is_regional(text[end - 1]):
            run = 0
            while end - 1 - run >= 0 and _is_regional(text[end - 1 - run]):
                run += 1
            if run % 2 == 1:  # text[end-1] opens a flag that text[end] closes
                end -= 1
                continue
        return end
    return 0


def cut(text: str, limit: int, ellipsis: str = ELLIPSIS) -> str:
    """`text` if `slack_length(text) <= limit`, else its longest safe prefix plus `ellipsis`
    within `limit` (see `_safe_cut`). Works on plain text and on escaped mrkdwn alike."""
    if slack_length(text) <= limit:
        return text
    budget = max(0, limit - slack_length(ellipsis))
    end = 0
    used = 0
    for char in text:  # the prefix that fits the budget, in code points
        used += 2 if ord(char) > 0xFFFF else 1
        if used > budget:
            break
        end += 1
    return text[: _safe_cut(text, end)].rstrip() + ellipsis
