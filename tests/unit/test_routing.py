"""A surface's routes, attached to a real Bolt app: `deps` reaches every listener by name, the
lazy ones too (Bolt runs those on a deep copy of the request's context)."""

from __future__ import annotations

import json
import threading
from typing import Any
from urllib.parse import quote

from slack_bolt import App, BoltRequest
from slack_bolt.authorization import AuthorizeResult

from handlers.routing import action, provide_deps
from services.deps import Deps


def _deps() -> Deps:
    # Only its identity matters here: no listener below touches a field.
    return Deps(*([None] * 9))  # type: ignore[arg-type]


def _click(action_id: str) -> BoltRequest:
    body = {
        "type": "block_actions",
        "team": {"id": "T1"},
        "user": {"id": "U1", "team_id": "T1"},
        "channel": {"id": "C1"},
        "trigger_id": "1.2.3",
        "actions": [{"action_id": action_id, "block_id": "b", "type": "button", "value": "1"}],
    }
    return BoltRequest(
        body=f"payload={quote(json.dumps(body))}",
        headers={"content-type": ["application/x-www-form-urlencoded"]},
    )


def test_an_ack_listener_and_its_lazy_listener_get_the_same_deps() -> None:
    deps, seen, done = _deps(), {}, threading.Event()

    def ack_listener(ack: Any, deps: Deps) -> None:
        ack()
        seen["ack"] = deps

    def lazy_listener(deps: Deps) -> None:
        seen["lazy"] = deps
        done.set()

    app = App(
        signing_secret="unused",
        # No Web API call: the request's team is authorized as it is.
        authorize=lambda **_: AuthorizeResult(enterprise_id=None, team_id="T1", bot_token="xoxb-unused"),
        request_verification_enabled=False,
        process_before_response=True,
    )
    app.use(provide_deps(deps))
    action("clicked", ack_listener, lazy_listener).attach(app)

    response = app.dispatch(_click("clicked"))

    assert response.status == 200
    assert done.wait(5), "the lazy listener did not run"
    assert seen["ack"] is deps
    assert seen["lazy"] is deps  # not a copy: Deps.__deepcopy__ hands out the one the process built
