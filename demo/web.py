"""The demo page's HTTP side: a WSGI app serving the page (`demo/static`) and its JSON API
(docs/demo.md), on cheroot like the bot.

- `GET /api/state?persona=P&conversation=C&thread=TS` → what persona P sees now (the panes as HTML).
- `POST /api/message|action|submit|close|op` → what P does; `{"ok": true}` or `{"ok": false, "error"}`.
"""

from __future__ import annotations

import json
import logging
import mimetypes
from collections.abc import Callable, Iterable
from importlib import resources
from typing import Any
from urllib.parse import parse_qs

from demo import render
from demo.slack import DemoError, DemoSlack
from demo.world import BOT_NAME, CHANNELS, HOME, PEOPLE, PERSONA_BY_ID, PERSONAS, Persona, display_name
from fakeslack.workspace import BOT_USER

log = logging.getLogger("support-bot.demo")

StartResponse = Callable[..., Any]
_MAX_BODY = 256 * 1024

NAMES = render.Names(
    users={**{p.user: p.name for p in PEOPLE}, BOT_USER: BOT_NAME},
    channels={cid: name for cid, (name, _, _) in CHANNELS.items()},
)


def _top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


class Screen:
    """What one persona sees, built from the stub's state and the client's (pure reads)."""

    def __init__(self, slack: DemoSlack, persona: Persona) -> None:
        self.slack = slack
        self.persona = persona
        self.user = persona.person.user

    def sidebar(self) -> list[dict[str, str]]:
        items = []
        for cid in self.persona.sees:
            if cid == HOME:
                items.append({"id": HOME, "name": BOT_NAME, "kind": "home", "section": "Apps"})
            elif cid in CHANNELS:
                name, _, shared = CHANNELS[cid]
                items.append(
                    {"id": cid, "name": name, "kind": "shared" if shared else "channel", "section": "Channels"}
                )
            else:
                items.append({"id": cid, "name": BOT_NAME, "kind": "dm", "section": "Direct messages"})
        return items

    def conversation(self, wanted: str | None) -> dict[str, str]:
        items = self.sidebar()
        chosen = next((i for i in items if i["id"] == wanted), items[0])
        topic = {
            "home": "The bot's App Home: your queue and the team's",
            "dm": "What support-bot sends you directly",
        }.get(chosen["kind"]) or CHANNELS[chosen["id"]][1]
        return {**chosen, "topic": topic}

    def _messages(self, channel: str) -> list[dict[str, Any]]:
        with self.slack.stub._lock:
            stored = [dict(m) for m in self.slack.stub.messages.get(channel, [])]
        mine = [e for e in self.slack.state.ephemerals if e["channel"] == channel and e["to"] == self.user]
        mine += [dict(e, ts=f"x{i}") for i, e in enumerate(self._stub_ephemerals(channel))]
        return sorted(stored + mine, key=lambda m: m.get("_seq", 0))

    def _stub_ephemerals(self, channel: str) -> list[dict[str, Any]]:
        with self.slack.stub._lock:
            sent = list(self.slack.stub.ephemerals)
        return [
            {**e, "user": BOT_USER, "to": e.get("user")}
            for e in sent
            if e.get("channel") == channel and e.get("user") == self.user
        ]

    def _row(self, message: dict[str, Any], channel: str, *, replies: int = 0, in_thread: bool = False) -> str:
        ts = message["ts"]
        author = message.get("user") or BOT_USER
        with self.slack.stub._lock:
            reactions = {n: len(us) for n, us in self.slack.stub.reactions.get((channel, ts), {}).items() if us}
        return render.message(
            {**message, "channel": channel},
            names=NAMES,
            where=f"m:{channel}:{ts}",
            is_bot=author == BOT_USER,
            author=display_name(author),
            replies=replies,
            reactions=reactions,
            ephemeral="to" in message,
            in_thread=in_thread,
        )

    def main_html(self, channel: str) -> str:
        if channel == HOME:
            return self._home()
        messages = self._messages(channel)
        counts: dict[str, int] = {}
        for m in messages:
            if m.get("thread_ts") and m["thread_ts"] != m["ts"]:
                counts[m["thread_ts"]] = counts.get(m["thread_ts"], 0) + 1
        rows = [self._row(m, channel, replies=counts.get(m["ts"], 0)) for m in messages if _top_level(m)]
        if not rows:
            return '<div class="empty">Nothing here yet.</div>'
        return "\n".join(rows)

    def thread_html(self, channel: str, thread_ts: str | None) -> str | None:
        if not thread_ts or channel not in CHANNELS:
            return None
        messages = self._messages(channel)
        parent = [m for m in messages if m["ts"] == thread_ts]
        replies = [m for m in messages if m.get("thread_ts") == thread_ts and m["ts"] != thread_ts]
        if not parent:
            return None
        return "\n".join(self._row(m, channel, in_thread=True) for m in parent + replies)

    def _home(self) -> str:
        self.slack.open_home(self.persona.person)
        with self.slack.stub._lock:
            view_id = self.slack.stub.homes.get(self.user)
            view = dict(self.slack.stub.views[view_id]) if view_id else None
        if view is None:
            return '<div class="empty">Opening App Home…</div>'
        return render.view(view, view_id=str(view["id"]), names=NAMES)

    def modal_html(self) -> tuple[str | None, str | None]:
        view = self.slack.top_view(self.user)
        if view is None:
            return None, None
        view_id = str(view["id"])
        errors = self.slack.state.view_errors.get(view_id)
        return render.view(view, view_id=view_id, names=NAMES, errors=errors), view_id

    def state(self, conversation: str | None, thread: str | None) -> dict[str, Any]:
        self.slack.sync()
        version = self.slack.version
        chosen = self.conversation(conversation)
        modal, modal_id = self.modal_html()
        enabled = chosen["kind"] in ("shared", "channel")
        return {
            "version": version,
            "persona": self.persona.id,
            "personas": [{"id": p.id, "name": p.person.name, "title": p.person.title} for p in PERSONAS],
            "sidebar": self.sidebar(),
            "conversation": chosen,
            "main_html": self.main_html(chosen["id"]),
            "thread_html": self.thread_html(chosen["id"], thread),
            "modal_html": modal,
            "modal_id": modal_id,
            "composer": {
                "placeholder": f"Message #{chosen['name']}" if enabled else "Only support-bot writes here",
                "enabled": enabled,
            },
            "notice": self.slack.state.notices.pop(self.user, None),
        }


class DemoWeb:
    """The WSGI app of the page (`__call__`)."""

    def __init__(self, slack: DemoSlack) -> None:
        self.slack = slack

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        method, path = environ.get("REQUEST_METHOD", "GET"), environ.get("PATH_INFO", "/")
        try:
            if method == "GET" and path in ("/", "/index.html"):
                return _static("index.html", start_response)
            if method == "GET" and path.startswith("/static/"):
                return _static(path.removeprefix("/static/"), start_response)
            if method == "GET" and path == "/api/state":
                query = {k: v[0] for k, v in parse_qs(environ.get("QUERY_STRING", "")).items()}
                persona = PERSONA_BY_ID.get(query.get("persona", ""), PERSONAS[0])
                body = Screen(self.slack, persona).state(query.get("conversation"), query.get("thread") or None)
                return _json(start_response, "200 OK", body)
            if method == "POST" and path.startswith("/api/"):
                return self._post(path.removeprefix("/api/"), _read_json(environ), start_response)
            if method == "GET" and path == "/healthz":
                return _json(start_response, "200 OK", {"ok": True})
            return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})
        except DemoError as exc:
            return _json(start_response, "200 OK", {"ok": False, "error": str(exc)})
        except (ValueError, KeyError, TypeError) as exc:
            return _json(start_response, "400 Bad Request", {"ok": False, "error": f"bad request ({exc})"})

    def _post(self, verb: str, body: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        if verb not in ("message", "action", "submit", "close", "op"):
            return _json(start_response, "404 Not Found", {"ok": False, "error": f"no such call: {verb}"})
        persona = PERSONA_BY_ID.get(str(body.get("persona", "")))
        if persona is None:
            raise DemoError("pick who you are first")
        who, slack = persona.person, self.slack
        conversation = _text(body, "conversation", required=False)
        if conversation and conversation not in persona.sees:
            raise DemoError(f"{who.name} is not in that conversation")
        answer: dict[str, Any] = {"ok": True}
        if verb == "message":
            text, thread_ts = _text(body, "text", required=False), _text(body, "thread_ts", required=False) or None
            if text.strip().startswith("/"):
                slack.command(who, conversation, text, thread_ts=thread_ts)
            else:
                slack.say(who, conversation, text, thread_ts=thread_ts)
        elif verb == "action":
            where, block_id, action_id = _text(body, "where"), _text(body, "block_id"), _text(body, "action_id")
            value = _text(body, "value") if body.get("value") is not None else None
            kind, _, rest = where.partition(":")
            if kind == "m" and rest.partition(":")[0] not in persona.sees:
                raise DemoError(f"{who.name} is not in that conversation")
            slack.act(who, where, block_id, action_id, value)
        elif verb == "submit":
            answer["errors"] = slack.submit(who, _text(body, "view_id"), _values(body.get("values")))
        elif verb == "close":
            slack.close(who, _text(body, "view_id"))
        elif verb == "op" and body.get("op") == "react":
            slack.react(who, conversation, _text(body, "ts"), _text(body, "name"))
        elif verb == "op" and body.get("op") == "shortcut":
            slack.shortcut(who, conversation, _text(body, "ts"), _text(body, "callback_id"))
        else:
            return _json(start_response, "404 Not Found", {"ok": False, "error": f"no such call: {verb}"})
        return _json(start_response, "200 OK", answer)


def _text(body: dict[str, Any], key: str, *, required: bool = True) -> str:
    """`body[key]` as a string ("" when absent and not `required`); ValueError (a 400) when it is
    missing but required, or not a string."""
    value = body.get(key)
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a string")
    return value


def _values(values: Any) -> dict[str, list[str]]:
    """A submit's `values`: {"BLOCK/ACTION": [str, ...]}; ValueError (a 400) for any other shape."""
    if values is None:
        return {}
    if not isinstance(values, dict) or not all(
        isinstance(v, list) and all(isinstance(x, str) for x in v) for v in values.values()
    ):
        raise ValueError('values: expected {"block/action": ["value", ...]}')
    return {str(k): list(v) for k, v in values.items()}


def _read_json(environ: dict[str, Any]) -> dict[str, Any]:
    length = int(environ.get("CONTENT_LENGTH") or 0)
    if length > _MAX_BODY:
        raise ValueError("body too large")
    raw = environ["wsgi.input"].read(length) if length else b"{}"
    body = json.loads(raw or b"{}")
    if not isinstance(body, dict):
        raise ValueError("expected a JSON object")
    return body


def _json(start_response: StartResponse, status: str, body: dict[str, Any]) -> list[bytes]:
    data = json.dumps(body).encode()
    start_response(
        status,
        [("Content-Type", "application/json; charset=utf-8"), ("Content-Length", str(len(data))), *_NO_CACHE],
    )
    return [data]


_NO_CACHE = [("Cache-Control", "no-store"), ("X-Content-Type-Options", "nosniff")]
_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; object-src 'none'"
)


def _static(name: str, start_response: StartResponse) -> list[bytes]:
    if "/" in name or name.startswith(".") or not name:
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})
    resource = resources.files("demo").joinpath("static", name)
    if not resource.is_file():
        return _json(start_response, "404 Not Found", {"ok": False, "error": "not found"})
    data = resource.read_bytes()
    kind = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if kind.startswith("text/") or kind.endswith("javascript"):
        kind += "; charset=utf-8"
    headers = [("Content-Type", kind), ("Content-Length", str(len(data))), ("Content-Security-Policy", _CSP)]
    start_response("200 OK", headers + _NO_CACHE)
    return [data]
