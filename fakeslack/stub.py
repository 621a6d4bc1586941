"""A local stand-in for the Slack Web API, on 127.0.0.1, that records every call.

It answers the methods support-bot uses with Slack-shaped JSON, keeps the messages it was sent
(so chat.update and conversations.history behave), and can be told to fail: a status code for
the next N calls of a method, a 429 with Retry-After, or a full outage until cleared.

It is as strict as Slack (fakeslack/rules.py): a message with blocks Slack would refuse is
answered `invalid_blocks` (HTTP 200, `errors` naming each json-pointer), a view
`invalid_arguments`. Per user: `make_guest`, `fail_user` (429 / 5xx / timeout for the next N
look-ups). Per channel: `archive` (`is_archived`), `remove_bot` (`not_in_channel`),
`delete_channel` (`channel_not_found`), and `delete_message` (`message_not_found`). As Slack, it
refuses `chat.update` of a message the bot did not post (`cant_update_message`) and, in a channel
whose `members` a test set, an ephemeral to someone not in it (`user_not_in_channel`).
User groups (`add_usergroup`) answer `usergroups.users.list`; `revoke_scope` takes a scope from
the bot token, so the methods that need it answer `missing_scope`, as Slack does.
"""

from __future__ import annotations

import contextlib
import hashlib
import itertools
import json
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlparse

from fakeslack.rules import message_errors, view_errors
from fakeslack.workspace import BOT_USER, CUSTOMER_TEAM, HOST_TEAM

# Methods Slack reads only as a form (query string or form body): a JSON body is not read.
FORM_ONLY_METHODS = frozenset({"usergroups.users.list"})


@dataclass
class Call:
    """One Web API call the stub answered: the method ("chat.postMessage"), its arguments, the token."""

    method: str
    args: dict[str, Any]
    token: str | None
    at: float = field(default_factory=time.monotonic)
    peer: tuple[str, int] | None = None  # the client's address: calls on one kept-alive connection share it


@dataclass
class Fault:
    """A failure the stub answers with instead of success, for the next `times` matching calls."""

    method: str  # "*" for every method
    status: int
    times: int
    retry_after: int | None = None
    error: str | None = None
    after_accept: bool = False  # do the work (store the message), then answer with the failure
    match: dict[str, str] | None = None  # only calls whose arguments carry these values
    delay: float = 0.0  # seconds to wait before answering (a timeout, if longer than the client's)

    def applies(self, method: str, args: dict[str, Any]) -> bool:
        """Whether this fault answers a call of `method` with `args` (and still has times left)."""
        if self.times <= 0 or self.method not in ("*", method):
            return False
        return all(args.get(key) == value for key, value in (self.match or {}).items())


class SlackStub:
    """The Slack Web API on 127.0.0.1 (`start()` binds a free port; `url` is the API base URL).

    Holds the workspace's users, channels and messages, records every call (`calls`, `calls_to`),
    and answers as strictly as Slack does; `wait_for` polls a condition until it holds.
    """

    def __init__(self, host_team: str = HOST_TEAM, bot_user: str = BOT_USER) -> None:
        self.host_team = host_team
        self.bot_user = bot_user
        self.calls: list[Call] = []
        self.responses: list[dict[str, Any]] = []  # what arrived at response_url
        self.users: dict[str, dict[str, Any]] = {}
        self.channels: dict[str, dict[str, Any]] = {}
        self.messages: dict[str, list[dict[str, Any]]] = {}
        self.members: dict[str, list[str]] = {}
        self.reactions: dict[tuple[str, str], dict[str, list[str]]] = {}  # (channel, ts) -> name -> users
        self.ephemerals: list[dict[str, Any]] = []  # what chat.postEphemeral delivered
        self.channel_errors: dict[str, str] = {}  # channel -> the error every post there answers
        self.deleted_messages: set[tuple[str, str]] = set()
        self.usergroups: dict[str, dict[str, Any]] = {}  # S… -> {"users": [...], "enabled": bool}
        self.revoked_scopes: set[str] = set()  # scopes the bot token lacks (`revoke_scope`)
        self._held: dict[str, threading.Event] = {}  # method -> released (`hold`)
        self.delay = 0.0
        self.connections = 0  # TCP connections accepted
        self.close_connections = False  # close each connection after one answer, without saying so
        self._faults: list[Fault] = []
        self._lock = threading.Lock()
        self._ts = itertools.count(1)
        self._views = itertools.count(1)
        self._seq = itertools.count(1)
        # What a Slack client shows beyond the calls: whose trigger ids are whose, the views Slack
        # holds, each user's stack of open modals and App Home, the answers at response_urls by key.
        self.triggers: dict[str, str] = {}  # trigger_id -> user
        self.views: dict[str, dict[str, Any]] = {}  # view id -> the view as Slack holds it
        self.view_stacks: dict[str, list[str]] = {}  # user -> open modal ids, the top one last
        self.homes: dict[str, str] = {}  # user -> their App Home's view id
        self.keyed_responses: list[tuple[str, dict[str, Any]]] = []  # (response_url key, body)
        self._server: ThreadingHTTPServer | None = None

    # -- set-up ------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """The Web API base URL ("http://127.0.0.1:PORT/api/"); only once started."""
        assert self._server is not None
        return f"http://127.0.0.1:{self._server.server_address[1]}/api/"

    def response_url(self, key: str = "r") -> str:
        """A `response_url` at the stub; what is posted to it is kept in `responses`."""
        return self.url.replace("/api/", f"/respond/{key}")

    def add_user(self, user_id: str, team_id: str = HOST_TEAM, **extra: Any) -> None:
        """A person in `team_id` (the host workspace by default); `extra` adds users.info fields."""
        self.users[user_id] = {"id": user_id, "team_id": team_id, "name": user_id.lower(), **extra}

    def add_channel(self, channel_id: str, name: str, is_ext_shared: bool = True) -> None:
        """A channel conversations.info knows (Slack Connect-shared unless `is_ext_shared` is False)."""
        self.channels[channel_id] = {
            "id": channel_id,
            "name": name,
            "is_ext_shared": is_ext_shared,
            "is_shared": is_ext_shared,
            "is_channel": True,
        }

    def add_usergroup(self, group_id: str, users: list[str], enabled: bool = True) -> None:
        """A user group (S…) whose members `usergroups.users.list` lists (in this order); a disabled
        one (`enabled` False) is listed only with `include_disabled`."""
        self.usergroups[group_id] = {"id": group_id, "users": list(users), "enabled": enabled}

    def hold(self, method: str) -> None:
        """Calls of `method` are not answered until `release(method)` (at most 30 s): calls made
        meanwhile are then answered together, as when Slack is slow and catches up."""
        with self._lock:
            self._held.setdefault(method, threading.Event())

    def release(self, method: str) -> None:
        """Answer the held calls of `method`, and the next ones at once."""
        with self._lock:
            held = self._held.pop(method, None)
        if held is not None:
            held.set()

    def revoke_scope(self, scope: str) -> None:
        """The bot token lacks `scope` ("usergroups:read"): methods needing it answer `missing_scope`."""
        self.revoked_scopes.add(scope)

    def fail(
        self,
        method: str,
        status: int = 500,
        times: int = 1,
        retry_after: int | None = None,
        error: str | None = None,
        channel: str | None = None,
    ) -> None:
        """The next `times` calls of `method` (of those about `channel`, if given) answer `status`
        with `error`; status 200 with an error is how Slack refuses a call (`invalid_blocks`...)."""
        with self._lock:
            self._faults.append(
                Fault(method, status, times, retry_after, error, match={"channel": channel} if channel else None)
            )

    # -- per user ------------------------------------------------------------------------
    def make_guest(self, user_id: str, *, ultra: bool = False, team_id: str | None = None) -> None:
        """`user_id` looks up as a guest of our own workspace: our team id, `is_restricted` (multi-channel
        guest) or, with `ultra`, `is_ultra_restricted` (single-channel guest)."""
        self.add_user(
            user_id,
            team_id or self.host_team,
            is_restricted=not ultra,
            is_ultra_restricted=ultra,
        )

    def fail_user(
        self, user_id: str, kind: str = "ratelimited", times: int = 1, retry_after: int = 1, delay: float = 11.0
    ) -> None:
        """The next `times` users.info look-ups of `user_id` fail: `kind` is "ratelimited" (429 with
        Retry-After), "server_error" (500), "unavailable" (503) or "timeout" (answered only after
        `delay` seconds, beyond the bot's 10 s look-up timeout)."""
        match = {"user": user_id}
        with self._lock:
            if kind == "ratelimited":
                self._faults.append(Fault("users.info", 429, times, retry_after, match=match))
            elif kind in ("server_error", "unavailable"):
                status = 500 if kind == "server_error" else 503
                self._faults.append(Fault("users.info", status, times, match=match))
            elif kind == "timeout":
                self._faults.append(Fault("users.info", 200, times, match=match, delay=delay))
            else:
                raise ValueError(f"unknown failure kind {kind!r}")

    # -- per channel ----------------------------------------------------------------------
    def archive(self, channel_id: str) -> None:
        """The channel is archived: posts and updates there answer `is_archived`."""
        self.channel_errors[channel_id] = "is_archived"
        if channel_id in self.channels:
            self.channels[channel_id]["is_archived"] = True

    def unarchive(self, channel_id: str) -> None:
        """Undo `archive`."""
        self.channel_errors.pop(channel_id, None)
        if channel_id in self.channels:
            self.channels[channel_id]["is_archived"] = False

    def remove_bot(self, channel_id: str) -> None:
        """The bot was removed from the channel: posts, updates and history answer `not_in_channel`."""
        self.channel_errors[channel_id] = "not_in_channel"
        if channel_id in self.channels:
            self.channels[channel_id]["is_member"] = False

    def delete_channel(self, channel_id: str) -> None:
        """The channel is gone: every call about it answers `channel_not_found`."""
        self.channel_errors[channel_id] = "channel_not_found"
        self.channels.pop(channel_id, None)

    def delete_message(self, channel: str, ts: str) -> None:
        """A message was deleted: updates, reactions and permalinks for it answer `message_not_found`."""
        with self._lock:
            self.deleted_messages.add((channel, ts))
            if channel in self.messages:
                self.messages[channel] = [m for m in self.messages[channel] if m["ts"] != ts]

    def fail_after_accept(self, method: str, status: int = 500, times: int = 1) -> None:
        """Slack stores the message but the answer is lost (a 5xx or timeout after the fact)."""
        with self._lock:
            self._faults.append(Fault(method, status, times, after_accept=True))

    def outage(self, status: int = 503) -> None:
        """Every method answers HTTP `status` until `recover()`."""
        self.fail("*", status=status, times=10**9)

    def recover(self) -> None:
        """Clear every fault (outages included)."""
        with self._lock:
            self._faults.clear()

    # -- reading what happened ------------------------------------------------------------
    def calls_to(self, method: str) -> list[Call]:
        """The calls of `method` ("views.open"), oldest first."""
        with self._lock:
            return [c for c in self.calls if c.method == method]

    def count(self, method: str) -> int:
        """How many calls of `method` arrived."""
        with self._lock:
            return sum(1 for c in self.calls if c.method == method)

    def arrivals(self, method: str, key: str) -> dict[str, float]:
        """When (time.monotonic) the first call of `method` carrying each value of args[key] arrived."""
        with self._lock:
            calls = [c for c in self.calls if c.method == method and key in c.args]
        first: dict[str, float] = {}
        for call in calls:
            first.setdefault(str(call.args[key]), call.at)
        return first

    def posts(self, channel: str | None = None) -> list[dict[str, Any]]:
        """Every message the bot posted with chat.postMessage (optionally to one channel)."""
        with self._lock:
            return [
                m
                for ms in self.messages.values()
                for m in ms
                if (channel is None or m["channel"] == channel) and not m.get("human")
            ]

    def add_message(self, channel: str, ts: str, user: str, text: str, thread_ts: str | None = None) -> None:
        """A message a person posted (the bot's own posts are recorded as they arrive)."""
        with self._lock:
            self.messages.setdefault(channel, []).append(
                {
                    "channel": channel,
                    "ts": ts,
                    "text": text,
                    "blocks": None,
                    "thread_ts": thread_ts,
                    "metadata": None,
                    "user": user,
                    "human": True,
                    "_seq": next(self._seq),
                    "_at": time.time(),
                }
            )

    def next_seq(self) -> int:
        """The next number of the order in which everything shown arrived (messages, ephemerals)."""
        return next(self._seq)

    def react_as(self, user: str, channel: str, ts: str, name: str) -> bool:
        """`user` adds the reaction `name` to the message `ts`; False if they already had."""
        with self._lock:
            users = self.reactions.setdefault((channel, ts), {}).setdefault(name, [])
            if user in users:
                return False
            users.append(user)
            return True

    # -- views, as a Slack client holds them ----------------------------------------------------
    def after_submission(self, user: str, view_id: str, answer: dict[str, Any]) -> None:
        """Apply the app's answer to `user` submitting `view_id` (its `response_action`: `update`
        replaces that view, `push` opens one on top, `clear` closes them all, none closes it)."""
        action = answer.get("response_action")
        with self._lock:
            stack = self.view_stacks.setdefault(user, [])
            if action == "update" and isinstance(answer.get("view"), dict):
                self.views[view_id] = {**answer["view"], "id": view_id}
            elif action == "push" and isinstance(answer.get("view"), dict):
                pushed = f"V{next(self._views):06d}"
                self.views[pushed] = {**answer["view"], "id": pushed}
                stack.append(pushed)
            elif action == "clear":
                stack.clear()
            elif view_id in stack:
                stack.remove(view_id)

    def close_view(self, user: str, view_id: str) -> None:
        """`user` closes the modal `view_id` (and any pushed above it)."""
        with self._lock:
            stack = self.view_stacks.get(user, [])
            if view_id in stack:
                del stack[stack.index(view_id) :]

    def _view(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """views.open / push / update / publish: check the view as Slack does, keep it, and track
        whose stack or App Home it is."""
        view = args.get("view") or {}
        errors = view_errors(view)
        if errors:
            return _refusal("invalid_arguments", errors)
        with self._lock:
            if method == "views.update":
                view_id = str(args.get("view_id") or "")
                if view_id not in self.views:
                    return {"ok": True, "view": {**view, "id": view_id or f"V{next(self._views):06d}"}}
                self.views[view_id] = {**view, "blocks": _with_block_ids(view.get("blocks")), "id": view_id}
                return {"ok": True, "view": self.views[view_id]}
            user = str(args.get("user_id") or "") if method == "views.publish" else None
            fresh = f"V{next(self._views):06d}"
            view_id = self.homes.setdefault(user, fresh) if user else fresh
            self.views[view_id] = {**view, "blocks": _with_block_ids(view.get("blocks")), "id": view_id}
            opener = self.triggers.get(str(args.get("trigger_id") or ""))
            if opener is not None and method == "views.open":
                self.view_stacks[opener] = [view_id]
            elif opener is not None and method == "views.push":
                self.view_stacks.setdefault(opener, []).append(view_id)
            return {"ok": True, "view": self.views[view_id]}

    def wait_for(self, predicate: Any, timeout: float = 10.0) -> Any:
        """Poll `predicate()` every 20 ms until it is truthy and return that value; AssertionError after
        `timeout` seconds."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            result = predicate()
            if result:
                return result
            time.sleep(0.02)
        raise AssertionError(f"timed out after {timeout}s waiting for {predicate}")

    # -- server -------------------------------------------------------------------------
    def start(self) -> SlackStub:
        """Serve on a free port of 127.0.0.1 in a background thread; returns self."""
        stub = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes: without TCP_NODELAY the body waits for the
            # client's delayed ACK (40 ms) on a kept-alive connection. Slack's servers don't do that.
            disable_nagle_algorithm = True

            def log_message(self, *args: Any) -> None:
                pass

            def setup(self) -> None:
                super().setup()
                with stub._lock:
                    stub.connections += 1

            def _args(self) -> dict[str, Any]:
                parsed = urlparse(self.path)
                args: dict[str, Any] = dict(parse_qsl(parsed.query))
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                if raw:
                    if "json" in (self.headers.get("Content-Type") or ""):
                        if parsed.path.rsplit("/", 1)[-1] in FORM_ONLY_METHODS:
                            return args  # as Slack: this method reads no JSON body, so its arguments are missing
                        args.update(json.loads(raw))
                    else:
                        args.update(dict(parse_qsl(raw.decode())))
                for key in ("blocks", "view", "metadata"):
                    if isinstance(args.get(key), str):
                        with contextlib.suppress(ValueError):
                            args[key] = json.loads(args[key])
                return args

            def _send(self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json; charset=utf-8")
                self.send_header("Content-Length", str(len(data)))
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)
                if stub.close_connections:
                    self.close_connection = True  # as a server closing an idle connection: no header

            def do_GET(self) -> None:
                self.do_POST()

            def do_POST(self) -> None:
                path = urlparse(self.path).path
                args = self._args()
                if path.startswith("/respond/"):
                    with stub._lock:
                        stub.responses.append(args)
                        stub.keyed_responses.append((path.removeprefix("/respond/"), args))
                    self._send(200, {"ok": True})
                    return
                method = path.rsplit("/", 1)[-1]
                auth = self.headers.get("Authorization") or ""
                token = auth.removeprefix("Bearer ") if auth else args.get("token")
                with stub._lock:
                    stub.calls.append(Call(method, args, token, peer=self.client_address[:2]))
                    fault = next((f for f in stub._faults if f.applies(method, args)), None)
                    if fault is not None:
                        fault.times -= 1
                held = stub._held.get(method)
                if held is not None:
                    held.wait(timeout=30)
                if stub.delay:
                    time.sleep(stub.delay)
                if fault is not None and fault.delay:
                    time.sleep(fault.delay)  # the client has given up by now; the answer goes nowhere
                    with contextlib.suppress(OSError):
                        self._send(200, stub.answer(method, args))
                    return
                if fault is not None and fault.after_accept:
                    stub.answer(method, args)
                if fault is not None:
                    headers = {"Retry-After": str(fault.retry_after)} if fault.retry_after is not None else {}
                    error = fault.error or ("ratelimited" if fault.status == 429 else "internal_error")
                    self._send(fault.status, {"ok": False, "error": error}, headers)
                    return
                self._send(200, stub.answer(method, args))

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        threading.Thread(target=self._server.serve_forever, daemon=True).start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()

    # -- the Web API ------------------------------------------------------------------------
    def answer(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """The JSON body Slack would answer `method` called with `args` (faults are applied before, by the server)."""
        if method == "auth.test":
            return {
                "ok": True,
                "team_id": self.host_team,
                "team": "Host Inc",
                "user_id": self.bot_user,
                "bot_id": "B0BOT",
                "url": "https://host-inc.slack.com/",
            }
        if method == "apps.connections.open":  # Socket Mode: a WebSocket URL (nothing listens there)
            return {"ok": True, "url": "wss://127.0.0.1:9/link/?ticket=stub"}
        if method == "users.info":
            user = self.users.get(args.get("user", ""))
            if user is None:
                return {"ok": False, "error": "user_not_found"}
            return {"ok": True, "user": user}
        if method == "usergroups.users.list":
            return self._usergroup_users(args)
        if method == "conversations.info":
            channel_id = args.get("channel", "")
            channel = self.channels.get(channel_id)
            if channel is None or self.channel_errors.get(channel_id) == "channel_not_found":
                return {"ok": False, "error": "channel_not_found"}
            return {"ok": True, "channel": channel}
        if method == "oauth.v2.access":
            if args.get("code") != "good-code":
                return {"ok": False, "error": "invalid_code"}
            return {
                "ok": True,
                "app_id": "A0APP",
                "access_token": "xoxb-customer-installed-token",
                "token_type": "bot",
                "scope": "commands,chat:write",
                "bot_user_id": "U0CUSTBOT",
                "team": {"id": CUSTOMER_TEAM, "name": "Customer Co"},
                "enterprise": None,
                "is_enterprise_install": False,
                "authed_user": {"id": "U0CUST"},
            }
        if method == "conversations.members":
            refused = self._channel_error(args, reading=True)
            if refused:
                return refused
            return {
                "ok": True,
                "members": list(self.members.get(args.get("channel", ""), [])),
                "response_metadata": {"next_cursor": ""},
            }
        if method in ("chat.postMessage", "chat.update", "chat.postEphemeral"):
            refused = self._channel_error(args) or self._invalid_message(args)
            if refused:
                return refused
            if method == "chat.postMessage":
                return self._post(args)
            if method == "chat.update":
                return self._update(args)
            members = self.members.get(str(args.get("channel", "")))
            if members is not None and args.get("user") not in members:
                return {"ok": False, "error": "user_not_in_channel"}  # only checked where members are known
            message_ts = f"{time.time():.6f}"
            with self._lock:
                self.ephemerals.append({**args, "message_ts": message_ts, "_seq": next(self._seq), "_at": time.time()})
            return {"ok": True, "message_ts": message_ts}
        if method in ("conversations.history", "conversations.replies"):
            return self._channel_error(args, reading=True) or self._history(method, args)
        if method in ("views.open", "views.push", "views.update", "views.publish"):
            return self._view(method, args)
        if method == "chat.getPermalink":
            channel, ts = args.get("channel"), args.get("message_ts")
            refused = self._channel_error(args, reading=True) or self._deleted(channel, ts)
            if refused:
                return refused
            return {"ok": True, "permalink": f"https://host-inc.slack.com/archives/{args.get('channel')}/p1"}
        if method in ("reactions.add", "reactions.remove"):
            return self._react(method, args)
        return {"ok": False, "error": "unknown_method"}

    def _usergroup_users(self, args: dict[str, Any]) -> dict[str, Any]:
        """usergroups.users.list: the group's members (`users`); `usergroup` is required (else
        `invalid_arg_name`); an unknown group, or a disabled one without `include_disabled`,
        answers `no_such_subteam`; needs `usergroups:read`."""
        refused = self._missing_scope("usergroups:read")
        if refused:
            return refused
        group_id = str(args.get("usergroup") or "")
        if not group_id:
            return {"ok": False, "error": "invalid_arg_name"}
        group = self.usergroups.get(group_id)
        with_disabled = args.get("include_disabled") in (True, "true", "1", 1)
        if group is None or (not group["enabled"] and not with_disabled):
            return {"ok": False, "error": "no_such_subteam"}
        return {"ok": True, "users": list(group["users"])}

    def _missing_scope(self, scope: str) -> dict[str, Any] | None:
        """Slack's answer to a method needing `scope` when the token lacks it (None: it has it)."""
        if scope not in self.revoked_scopes:
            return None
        return {"ok": False, "error": "missing_scope", "needed": scope, "provided": "chat:write,users:read"}

    def _channel_error(self, args: dict[str, Any], reading: bool = False) -> dict[str, Any] | None:
        """What Slack answers a call about a channel that is archived, left or gone (None: fine)."""
        error = self.channel_errors.get(str(args.get("channel", "")))
        if error is None or (reading and error == "is_archived"):  # an archived channel's history is readable
            return None
        return {"ok": False, "error": error}

    def _deleted(self, channel: Any, ts: Any) -> dict[str, Any] | None:
        if (channel, ts) in self.deleted_messages:
            return {"ok": False, "error": "message_not_found"}
        return None

    def _invalid_message(self, args: dict[str, Any]) -> dict[str, Any] | None:
        refused = message_errors(args)
        return _refusal(*refused) if refused else None

    def _react(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        channel, ts, name = str(args.get("channel", "")), str(args.get("timestamp", "")), str(args.get("name", ""))
        if not channel or not ts or not name:
            return {"ok": False, "error": "invalid_arguments"}
        refused = self._channel_error(args) or self._deleted(channel, ts)
        if refused:
            return refused
        with self._lock:
            users = self.reactions.setdefault((channel, ts), {}).setdefault(name, [])
            if method == "reactions.add":
                if self.bot_user in users:
                    return {"ok": False, "error": "already_reacted"}
                users.append(self.bot_user)
            else:
                if self.bot_user not in users:
                    return {"ok": False, "error": "no_reaction"}
                users.remove(self.bot_user)
        return {"ok": True}

    def _post(self, args: dict[str, Any]) -> dict[str, Any]:
        channel = args.get("channel")
        if not channel:
            return {"ok": False, "error": "channel_not_found"}
        if not args.get("text") and not args.get("blocks"):
            return {"ok": False, "error": "no_text"}
        n = next(self._ts)
        ts = f"{1700000000 + n}.{n:06d}"
        message = {
            "channel": channel,
            "ts": ts,
            "text": args.get("text", ""),
            "blocks": _with_block_ids(args.get("blocks")),
            "thread_ts": args.get("thread_ts"),
            "metadata": args.get("metadata"),
            "user": self.bot_user,
            "_seq": next(self._seq),
            "_at": time.time(),
        }
        if args.get("reply_broadcast") in (True, "true", "1", 1) and args.get("thread_ts"):
            message["subtype"] = "thread_broadcast"
        with self._lock:
            self.messages.setdefault(channel, []).append(message)
        return {"ok": True, "channel": channel, "ts": ts, "message": _public(message)}

    def _update(self, args: dict[str, Any]) -> dict[str, Any]:
        refused = self._deleted(args.get("channel"), args.get("ts"))
        if refused:
            return refused
        with self._lock:
            for message in self.messages.get(args.get("channel", ""), []):
                if message["ts"] == args.get("ts"):
                    if message.get("user") != self.bot_user:  # a person's or another app's message
                        return {"ok": False, "error": "cant_update_message"}
                    message.update(text=args.get("text", ""), blocks=_with_block_ids(args.get("blocks")))
                    return {"ok": True, "channel": message["channel"], "ts": message["ts"]}
        return {"ok": False, "error": "message_not_found"}

    def _history(self, method: str, args: dict[str, Any]) -> dict[str, Any]:
        """conversations.history: top-level messages and thread broadcasts, newest first, between
        `oldest` and `latest` (exclusive unless `inclusive`). conversations.replies: with a thread's
        ts, the parent then its replies; with a reply's ts, just that reply; else `thread_not_found`."""
        with self._lock:
            messages = sorted(self.messages.get(args.get("channel", ""), []), key=lambda m: float(m["ts"]))
        limit = _int(args.get("limit"), 100 if method == "conversations.history" else 1000)
        if method == "conversations.replies":
            ts = args.get("ts")
            found = next((m for m in messages if m["ts"] == ts), None)
            if found is None:
                return {"ok": False, "error": "thread_not_found"}
            if found.get("thread_ts") and found["thread_ts"] != ts:
                return {"ok": True, "messages": [_public(found)], "has_more": False}
            thread = [found] + [m for m in messages if m.get("thread_ts") == ts and m["ts"] != ts]
            return {"ok": True, "messages": [_public(m) for m in thread[:limit]], "has_more": len(thread) > limit}
        inclusive = args.get("inclusive") in (True, "true", "1", 1)
        latest, oldest = args.get("latest"), args.get("oldest")
        shown = [m for m in messages if _top_level(m)]
        if latest:
            shown = [m for m in shown if float(m["ts"]) < float(latest) or (inclusive and m["ts"] == str(latest))]
        if oldest:
            shown = [m for m in shown if float(m["ts"]) > float(oldest) or (inclusive and m["ts"] == str(oldest))]
        shown.reverse()
        return {"ok": True, "messages": [_public(m) for m in shown[:limit]], "has_more": len(shown) > limit}


def _with_block_ids(blocks: Any) -> Any:
    """`blocks` as Slack stores them: a block sent without a `block_id` gets one (Slack makes up a
    short random string; here a stable one from the block's place and content)."""
    if not isinstance(blocks, list):
        return blocks
    named = []
    for i, block in enumerate(blocks):
        if isinstance(block, dict) and not block.get("block_id"):
            digest = hashlib.sha1(f"{i}:{json.dumps(block, sort_keys=True)}".encode(), usedforsecurity=False)
            block = {**block, "block_id": digest.hexdigest()[:5]}
        named.append(block)
    return named


def _top_level(message: dict[str, Any]) -> bool:
    thread_ts = message.get("thread_ts")
    return not thread_ts or thread_ts == message["ts"] or message.get("subtype") == "thread_broadcast"


def _public(message: dict[str, Any]) -> dict[str, Any]:
    """A stored message as Slack returns it (without the stub's own bookkeeping)."""
    shown = {
        k: v for k, v in message.items() if k not in ("human", "channel") and not k.startswith("_") and v is not None
    }
    shown.setdefault("type", "message")
    return shown


def _int(value: Any, default: int) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _refusal(error: str, errors: list[str]) -> dict[str, Any]:
    """Slack's answer to a message or view it will not take (HTTP 200)."""
    return {
        "ok": False,
        "error": error,
        "errors": errors,
        "response_metadata": {"messages": [f"[ERROR] {e}" for e in errors]},
    }
