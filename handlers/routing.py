"""A surface's routing table: which Slack requests it answers, with which module-level listener.

Each surface module declares `ROUTES: tuple[Route, ...]`; `handlers.register_all` attaches them to
the Bolt app, and `handlers.declared` (read by the manifest test) reads the same tables, so what
the manifest declares and what is routed cannot drift apart.

Listeners are plain module-level functions. Bolt injects their arguments by name (`ack`, `body`,
`client`, `context`...); `deps` (services.deps.Deps) is injected the same way, from the request
context, where `provide_deps` puts it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from slack_bolt import App, BoltContext, BoltResponse

    from services.deps import Deps

Kind = Literal["command", "event", "action", "view", "shortcut"]
# The names handlers.declared() answers for, as the manifest test asks for them.
DECLARED_AS: dict[Kind, str] = {
    "command": "COMMANDS",
    "event": "EVENTS",
    "action": "ACTIONS",
    "view": "VIEWS",
    "shortcut": "SHORTCUTS",
}


@dataclass(frozen=True)
class Route:
    """One kind of request: `key` is the command ('/ticket'), event type, action_id, view
    callback_id or shortcut callback_id; `ack` runs before Slack gets its HTTP answer, each of
    `lazy` after it (Bolt lazy listeners, for work that may outlast Slack's 3 s). `shortcut_type`
    is 'message_action' for a message shortcut, 'shortcut' for a global one."""

    kind: Kind
    key: str
    ack: Callable[..., Any]
    lazy: tuple[Callable[..., Any], ...] = ()
    shortcut_type: str = "message_action"

    def attach(self, app: App) -> None:
        if self.kind == "shortcut":
            decorator = app.shortcut({"type": self.shortcut_type, "callback_id": self.key})
        else:
            decorator = getattr(app, self.kind)(self.key)
        if self.lazy:
            decorator(ack=self.ack, lazy=list(self.lazy))
        else:
            decorator(self.ack)


def command(key: str, ack: Callable[..., Any], *lazy: Callable[..., Any]) -> Route:
    return Route("command", key, ack, lazy)


def event(key: str, ack: Callable[..., Any], *lazy: Callable[..., Any]) -> Route:
    return Route("event", key, ack, lazy)


def action(key: str, ack: Callable[..., Any], *lazy: Callable[..., Any]) -> Route:
    return Route("action", key, ack, lazy)


def view(key: str, ack: Callable[..., Any], *lazy: Callable[..., Any]) -> Route:
    return Route("view", key, ack, lazy)


def message_shortcut(key: str, ack: Callable[..., Any], *lazy: Callable[..., Any]) -> Route:
    return Route("shortcut", key, ack, lazy, "message_action")


def ack_only(ack: Callable[[], None]) -> None:
    """For a route whose work is all in its lazy listeners (or a url button: Slack opens the link)."""
    ack()


def provide_deps(deps: Deps) -> Callable[[BoltContext, Callable[[], BoltResponse]], BoltResponse]:
    """A global Bolt middleware that makes `deps` injectable into every listener by name."""

    def middleware(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        context["deps"] = deps
        return next()

    return middleware
