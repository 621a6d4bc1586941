"""The baseline a team would write in an afternoon instead of support-bot (issue 19): a Bolt `App` with
its default settings (`process_before_response=False`: Bolt answers Slack as soon as `ack()` is
called and runs the rest of the listener on its own thread pool), served by Flask through Bolt's
Flask adapter, under gunicorn's threaded worker:

    BENCH_PLAIN_BOLT=form gunicorn -w 1 --threads 8 --worker-class gthread \
        -b 127.0.0.1:3001 'bench.plain_bolt:create_app()'

`BENCH_PLAIN_BOLT=form`: the `/ticket` listener calls `ack()` and then `client.views_open(...)` with
support-bot's own ticket form (`ui.blocks.build_ticket_modal`, the same view, the same size);
`BENCH_PLAIN_BOLT=ack`: it only acks. Reads SLACK_SIGNING_SECRET, SLACK_BOT_TOKEN and
SLACK_API_BASE_URL (the bench's Slack stub). GET /healthz answers 200 so the bench can wait for it.
"""

from __future__ import annotations

import logging
import os
from typing import Any

from flask import Flask, request
from slack_bolt import Ack, App
from slack_bolt.adapter.flask import SlackRequestHandler
from slack_sdk import WebClient

from ui.blocks import ModalContext, build_ticket_modal


def create_app() -> Flask:
    """The Flask app gunicorn serves (`bench.plain_bolt:create_app()`)."""
    logging.basicConfig(level=logging.WARNING)
    open_form = os.environ.get("BENCH_PLAIN_BOLT", "form") == "form"
    token = os.environ.get("SLACK_BOT_TOKEN", "xoxb-bench")
    bolt = App(
        token=token,
        signing_secret=os.environ["SLACK_SIGNING_SECRET"],
        # Only to point the Web API at the stub: WebClient's own defaults otherwise.
        client=WebClient(token=token, base_url=os.environ.get("SLACK_API_BASE_URL", "https://slack.com/api/")),
    )

    @bolt.command("/ticket")
    def ticket(ack: Ack, command: dict[str, Any], client: WebClient) -> None:
        ack()
        if open_form:
            view = build_ticket_modal(ModalContext(command["channel_id"], "command"), command.get("text") or "", "")
            client.views_open(trigger_id=command["trigger_id"], view=view)

    handler = SlackRequestHandler(bolt)
    flask_app = Flask(__name__)

    @flask_app.route("/slack/events", methods=["POST"])
    def slack_events() -> Any:
        return handler.handle(request)

    @flask_app.route("/healthz")
    def healthz() -> Any:
        return {"status": "ok"}

    return flask_app
