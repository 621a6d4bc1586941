"""The Slack client of the demo page: what a person does in Slack (type, run a command, click,
submit a modal, react, run a shortcut), turned into the signed requests Slack sends the bot, and
what Slack does with the bot's answers (a modal's field errors, a response_url's ephemeral or
replacement, a slash command's reply) kept so the page can show it.

Slack's own state (messages, views, reactions, the Web API calls) lives in the stub; this adds the
client side: who is looking, which answers went to whom.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from typing import Any

from demo import forms
from demo.world import BOT_NAME, CHANNELS, Person
from fakeslack import payloads
from fakeslack.messages import new_ts, person_message, ticket_reaction
from fakeslack.sender import SlackSender
from fakeslack.stub import SlackStub
from fakeslack.workspace import APP_ID, BOT_USER, HOST_TEAM


class DemoError(Exception):
    """What the page tells the visitor when a step cannot go on (one line)."""


@dataclass
class ReplyContext:
    """Where a response_url's answers belong: who acted, in which channel, on which message."""

    user: str
    channel: str
    message_ts: str | None = None  # the message the action was on (None for a slash command)
    thread_ts: str | None = None


@dataclass
class ClientState:
    """What Slack's client shows beyond the Web API's records."""

    ephemerals: list[dict[str, Any]] = field(default_factory=list)  # from response_urls and command replies
    view_errors: dict[str, dict[str, str]] = field(default_factory=dict)  # view id -> block id -> error
    notices: dict[str, str] = field(default_factory=dict)  # user -> the last notice
    home_opened: dict[str, float] = field(default_factory=dict)  # user -> when app_home_opened was sent
    changes: int = 0
    responses_seen: int = 0


class DemoSlack:
    """A visitor's Slack: sends what they do to the bot through `sender`, reads Slack's state from `stub`."""

    def __init__(self, stub: SlackStub, sender: SlackSender) -> None:
        self.stub = stub
        self.sender = sender
        self.state = ClientState()
        self._contexts: dict[str, ReplyContext] = {}  # response_url key -> context
        self._lock = threading.RLock()

    # -- bookkeeping ---------------------------------------------------------------------------
    @property
    def version(self) -> int:
        """Grows whenever anything the page shows may have changed."""
        with self.stub._lock:
            slack = len(self.stub.calls) + len(self.stub.keyed_responses)
        return slack + self.state.changes

    def _changed(self) -> None:
        with self._lock:
            self.state.changes += 1

    def notice(self, user: str, text: str) -> None:
        """Show `text` to `user` as the page's toast."""
        with self._lock:
            self.state.notices[user] = text
            self.state.changes += 1

    def _reply_ids(self, kind: str, context: ReplyContext) -> dict[str, str]:
        ids = self.sender.reply_ids(kind, context.user)
        self._contexts[ids["response_url"].rsplit("/", 1)[-1]] = context
        return ids

    def _ephemeral(self, context: ReplyContext, body: dict[str, Any]) -> None:
        with self._lock:
            n = len(self.state.ephemerals) + 1
            self.state.ephemerals.append(
                {
                    "ts": f"e{n}",
                    "channel": context.channel,
                    "user": BOT_USER,
                    "to": context.user,
                    "thread_ts": context.thread_ts,
                    "text": body.get("text") or "",
                    "blocks": body.get("blocks"),
                    "_seq": self.stub.next_seq(),
                    "_at": time.time(),
                }
            )
            self.state.changes += 1

    def _answered(self, context: ReplyContext, status: int, body: bytes, what: str) -> None:
        """The bot's HTTP answer to a command or click: an error status is a notice; a body with
        text or blocks is what Slack shows the user as an ephemeral reply."""
        if status >= 400:
            raise DemoError(f"the bot answered {what} with HTTP {status}")
        if not body.strip():
            return
        try:
            reply = json.loads(body)
        except ValueError:
            reply = {"text": body.decode(errors="replace")}
        if isinstance(reply, dict) and (reply.get("text") or reply.get("blocks")):
            self._ephemeral(context, reply)

    def sync(self) -> None:
        """Apply what the bot posted to response_urls since the last call (ephemeral replies,
        replacements and deletions of the message acted on, in-channel posts)."""
        with self._lock:
            with self.stub._lock:
                new = self.stub.keyed_responses[self.state.responses_seen :]
            self.state.responses_seen += len(new)
            for key, body in new:
                context = self._contexts.get(key)
                if context is not None:
                    self._respond(context, body)

    def _respond(self, context: ReplyContext, body: dict[str, Any]) -> None:
        truthy = (True, "true", "True", 1, "1")
        original = context.message_ts
        if body.get("delete_original") in truthy and original:
            self._forget(context.channel, original)
        elif body.get("replace_original") in truthy and original:
            self._replace(context.channel, original, body)
        elif body.get("response_type") == "in_channel":
            self.stub.answer(
                "chat.postMessage",
                {"channel": context.channel, "text": body.get("text", ""), "blocks": body.get("blocks")},
            )
        else:
            self._ephemeral(context, body)

    def _forget(self, channel: str, ts: str) -> None:
        if ts.startswith("e"):
            self.state.ephemerals = [e for e in self.state.ephemerals if e["ts"] != ts]
        else:
            with self.stub._lock:
                self.stub.messages[channel] = [m for m in self.stub.messages.get(channel, []) if m["ts"] != ts]
        self.state.changes += 1

    def _replace(self, channel: str, ts: str, body: dict[str, Any]) -> None:
        if ts.startswith("e"):
            for shown in self.state.ephemerals:
                if shown["ts"] == ts:
                    shown.update(text=body.get("text") or "", blocks=body.get("blocks"))
        else:
            self.stub.answer("chat.update", {"channel": channel, "ts": ts, **body})
        self.state.changes += 1

    # -- reading Slack -----------------------------------------------------------------------------
    def message(self, channel: str, ts: str) -> dict[str, Any] | None:
        """The message `ts` of `channel` as Slack holds it (an ephemeral's ts starts with "e")."""
        if ts.startswith("e"):
            return next((e for e in self.state.ephemerals if e["ts"] == ts), None)
        with self.stub._lock:
            return next((dict(m) for m in self.stub.messages.get(channel, []) if m["ts"] == ts), None)

    def top_view(self, user: str) -> dict[str, Any] | None:
        """The modal on top of `user`'s stack, or None."""
        with self.stub._lock:
            stack = self.stub.view_stacks.get(user) or []
            return dict(self.stub.views[stack[-1]]) if stack else None

    # -- what a person does ---------------------------------------------------------------------
    def say(self, who: Person, channel: str, text: str, thread_ts: str | None = None) -> str:
        """`who` posts `text` in `channel` (in the thread `thread_ts`); "@support-bot" mentions the
        bot, which Slack delivers as a `message` and an `app_mention`. Returns the message's ts."""
        if channel not in CHANNELS:
            raise DemoError("you can only write in a channel here")
        text = text.strip()
        if not text:
            raise DemoError("type something first")
        encoded = _slack_encode(text).replace(f"@{BOT_NAME}", f"<@{BOT_USER}>")
        parent = self.message(channel, thread_ts) if thread_ts else None
        if thread_ts and (parent is None or thread_ts.startswith("e")):
            raise DemoError("that thread is gone")
        ts = new_ts()
        self.stub.add_message(channel, ts, who.user, encoded, thread_ts=thread_ts)
        self._changed()
        extra: dict[str, Any] = {"parent_user_id": parent.get("user")} if parent else {}
        event = person_message(channel, who.user, encoded, ts=ts, thread_ts=thread_ts, team=who.team, **extra)
        self._deliver(event, who)
        if f"<@{BOT_USER}>" in encoded:
            mention = {**event, "type": "app_mention"}
            mention.pop("channel_type", None)
            self._deliver(mention, who)
        return ts

    def _deliver(self, event: dict[str, Any], who: Person) -> None:
        status, _, _ = self.sender.event(event)
        if status >= 400:
            raise DemoError(f"the bot answered the event with HTTP {status}")

    def command(self, who: Person, channel: str, line: str, thread_ts: str | None = None) -> None:
        """`who` runs the slash command `line` ("/ticket exports fail") in `channel`. (In Slack
        Connect a customer can run it only if their organisation installed the app: here they have.)"""
        command, *rest = line.strip().split(maxsplit=1)
        text = _slack_encode(rest[0]) if rest else ""  # Slack encodes &, < and > in a command's text too
        if command not in ("/ticket", "/onboard"):
            raise DemoError(f"{command} is not a command here: try /ticket or /onboard")
        if channel not in CHANNELS:
            raise DemoError("run commands in a channel")
        context = ReplyContext(who.user, channel, thread_ts=thread_ts)
        fields = payloads.slash_command(
            command, user=who.user, channel=channel, text=text.strip(), team=who.team, **self._reply_ids("cmd", context)
        )
        fields["channel_name"] = CHANNELS[channel][0]
        status, body, _ = self.sender.form(fields)
        self._answered(context, status, body, command)

    def act(self, who: Person, where: str, block_id: str, action_id: str, value: str | None) -> None:
        """`who` uses the element `block_id`/`action_id` of the message or view `where`
        ("m:CHANNEL:TS" or "v:VIEW_ID") with `value` (a select's choice; None for a button)."""
        kind, _, rest = where.partition(":")
        if kind == "v":
            self._act_in_view(who, rest, block_id, action_id, value)
            return
        channel, _, ts = rest.partition(":")
        message = self.message(channel, ts)
        if message is None:
            raise DemoError("that message is gone")
        action = forms.action(message.get("blocks") or [], block_id, action_id, value, now=time.time())
        if action is None:
            raise DemoError("that control is no longer on the message")
        ephemeral = ts.startswith("e")
        context = ReplyContext(who.user, channel, message_ts=ts, thread_ts=message.get("thread_ts"))
        payload: dict[str, Any] = {
            "type": "block_actions",
            "team": {"id": HOST_TEAM, "domain": "host-inc"},
            "user": {"id": who.user, "username": who.name.split()[0].lower(), "name": who.name, "team_id": who.team},
            "api_app_id": APP_ID,
            "token": "deprecated",
            "container": {
                "type": "message",
                "message_ts": ts,
                "channel_id": channel,
                "is_ephemeral": ephemeral,
            },
            "channel": {"id": channel, "name": CHANNELS.get(channel, (channel,))[0]},
            "is_enterprise_install": False,
            "enterprise": None,
            "state": {"values": {}},
            "actions": [action],
            **self._reply_ids("act", context),
        }
        if not ephemeral:
            payload["message"] = _public(message)
        status, body, _ = self.sender.interactive(payload)
        self._answered(context, status, body, "the click")

    def _act_in_view(self, who: Person, view_id: str, block_id: str, action_id: str, value: str | None) -> None:
        with self.stub._lock:
            view = dict(self.stub.views.get(view_id) or {})
        if not view:
            raise DemoError("that view is closed")
        action = forms.action(view.get("blocks") or [], block_id, action_id, value, now=time.time())
        if action is None:
            raise DemoError("that control is no longer in the view")
        context = ReplyContext(who.user, "")
        ids = self._reply_ids("act", context)
        payload = {
            "type": "block_actions",
            "team": {"id": HOST_TEAM, "domain": "host-inc"},
            "user": {"id": who.user, "team_id": who.team, "name": who.name},
            "api_app_id": APP_ID,
            "token": "deprecated",
            "container": {"type": "view", "view_id": view_id},
            "trigger_id": ids["trigger_id"],
            "view": {**view, "state": {"values": {}}, "team_id": HOST_TEAM, "app_id": APP_ID},
            "actions": [action],
            "is_enterprise_install": False,
        }
        status, body, _ = self.sender.interactive(payload)
        if status >= 400:
            raise DemoError(f"the bot answered the click with HTTP {status}")

    def submit(self, who: Person, view_id: str, raw: dict[str, list[str]]) -> dict[str, str]:
        """`who` submits their modal `view_id` with the page's `raw` values; returns the field
        errors the bot answered (empty when the modal closed or changed)."""
        view = self.top_view(who.user)
        if view is None or view.get("id") != view_id:
            raise DemoError("that form is no longer open")
        values = forms.state_values(view, raw)
        status, body, _ = self.sender.submit_view(view, values, user=who.user, team=who.team)
        if status >= 400:
            raise DemoError(f"the bot answered the form with HTTP {status}")
        answer = _json(body)
        action = answer.get("response_action")
        with self._lock:
            self.state.view_errors.pop(view_id, None)
            if action == "errors":
                errors = {str(k): str(v) for k, v in (answer.get("errors") or {}).items()}
                self.state.view_errors[view_id] = errors
                self.state.changes += 1
                return errors
            self.stub.after_submission(who.user, view_id, answer)
            self.state.changes += 1
        return {}

    def close(self, who: Person, view_id: str) -> None:
        """`who` closes their modal `view_id` (`view_closed` goes to the bot if the view asked)."""
        view = self.top_view(who.user)
        if view is None or view.get("id") != view_id:
            return
        self.stub.close_view(who.user, view_id)
        self._changed()
        if view.get("notify_on_close"):
            payload = {
                "type": "view_closed",
                "team": {"id": HOST_TEAM},
                "user": {"id": who.user, "team_id": who.team},
                "api_app_id": APP_ID,
                "view": {**view, "state": {"values": {}}},
                "is_cleared": False,
            }
            self.sender.interactive(payload)

    def react(self, who: Person, channel: str, ts: str, name: str) -> None:
        """`who` adds the reaction `name` (":ticket:" without colons) to the message `ts`."""
        message = self.message(channel, ts)
        if message is None or ts.startswith("e"):
            raise DemoError("you can't react to that message")
        if not self.stub.react_as(who.user, channel, ts, name):
            return  # already there: Slack sends nothing
        self._changed()
        event = ticket_reaction(channel, ts, who.user, name, item_user=message.get("user"))
        self._deliver(event, who)

    def shortcut(self, who: Person, channel: str, ts: str, callback_id: str) -> None:
        """`who` runs the message shortcut `callback_id` on the message `ts` of `channel`."""
        message = self.message(channel, ts)
        if message is None or ts.startswith("e"):
            raise DemoError("that message is gone")
        context = ReplyContext(who.user, channel, message_ts=ts, thread_ts=message.get("thread_ts"))
        payload = payloads.message_action(
            callback_id,
            user=who.user,
            channel=channel,
            message=_public(message),
            team=who.team,
            **self._reply_ids("sc", context),
        )
        status, body, _ = self.sender.interactive(payload)
        self._answered(context, status, body, "the shortcut")

    def open_home(self, who: Person) -> None:
        """`who` opens the bot's App Home (Slack sends `app_home_opened`; at most every 5 s here)."""
        now = time.monotonic()
        if now - self.state.home_opened.get(who.user, -60.0) < 5:
            return
        self.state.home_opened[who.user] = now
        self._deliver(payloads.app_home_opened(who.user), who)


def _slack_encode(text: str) -> str:
    """What a Slack client sends for typed `text`: &, < and > escaped (Slack's only entities)."""
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Slack puts it in a payload (no bookkeeping, no empty fields)."""
    shown = {k: v for k, v in message.items() if not k.startswith("_") and k not in ("human", "channel", "to")}
    shown.setdefault("type", "message")
    return {k: v for k, v in shown.items() if v is not None}


def _json(body: bytes) -> dict[str, Any]:
    try:
        answer = json.loads(body) if body.strip() else {}
    except ValueError:
        return {}
    return answer if isinstance(answer, dict) else {}
