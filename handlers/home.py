"""App Home: staff see every open ticket and each customer's onboarding; a customer sees their own
org's open tickets and a File-a-ticket button, nothing of anyone else."""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt import Ack, App
from slack_sdk import WebClient

from handlers.modal import open_modal, open_ticket_modal
from services.deps import Deps
from services.home import customer_channel_for, customer_home_data, staff_home_page
from ui import ids
from ui.blocks import ModalContext, _mrkdwn, _plain
from ui.home import build_customer_home, build_staff_home_page

log = logging.getLogger(__name__)

EVENTS = ("app_home_opened",)
ACTIONS = (
    ids.HOME_PAGE_PREV_BUTTON,
    ids.HOME_PAGE_NEXT_BUTTON,
    ids.HOME_OPEN_CHANNEL_BUTTON,
    ids.FILE_TICKET_HOME_BUTTON,
)

NO_CHANNEL_YET = {
    "type": "modal",
    "title": _plain("File a ticket"),
    "close": _plain("OK"),
    "blocks": [
        {
            "type": "section",
            "text": _mrkdwn(
                "Tickets are filed in your shared support channel with us: press *File a ticket* there, react to a "
                "message with :ticket:, or mention me. Once you have filed one, this button files the next one too."
            ),
        }
    ],
}


def register(app: App, deps: Deps) -> None:
    def build_home(user_id: str, page: int) -> dict[str, Any] | None:
        """The user's Home view, or None when Slack could not say who they are just now: the Home
        they have stays (staff never see a customer's Home, nor a customer staff's, by a failure)."""
        who = deps.directory.identify(user_id)
        if not who.known:
            return None
        staff, team_id = who.is_staff, who.team_id
        if not staff and team_id == deps.directory.host().team_id:
            # A guest of our own workspace looks up with our team id: "their org's tickets" would be
            # every ticket staff or any other guest filed, for any customer. Show no org's tickets.
            team_id = None
        now = deps.clock()
        with deps.db.session() as session:
            if staff:
                tickets, customers, page = staff_home_page(session, now, page)
                return build_staff_home_page(tickets, customers, page, now)
            return build_customer_home(customer_home_data(session, team_id, now), page, now)

    def publish(user_id: str, page: int, client: WebClient) -> None:
        view = build_home(user_id, page)
        if view is None:
            log.warning("App Home for %s not refreshed: could not look the user up (the next open retries)", user_id)
            return
        client.views_publish(user_id=user_id, view=view)

    def home_opened(event: dict[str, Any], client: WebClient) -> None:
        if event.get("tab", "home") == "home":
            publish(event["user"], 0, client)

    def ack_only(ack: Ack) -> None:
        ack()

    def change_page(body: dict[str, Any], action: dict[str, Any], client: WebClient) -> None:
        try:
            page = max(0, int(action.get("value") or 0))
        except ValueError:
            page = 0
        publish(body["user"]["id"], page, client)

    def file_ticket_from_home(body: dict[str, Any], client: WebClient) -> None:
        user_id = body["user"]["id"]
        with deps.db.session() as session:
            channel_id = customer_channel_for(session, deps.directory.team_of(user_id))
        if channel_id is None:
            open_modal(client, body["trigger_id"], NO_CHANNEL_YET, lambda text: None)
            return
        open_ticket_modal(client, body["trigger_id"], ModalContext(channel_id, "home"), "", lambda text: None)

    app.event("app_home_opened")(ack=ack_only, lazy=[home_opened])
    app.action(ids.HOME_PAGE_PREV_BUTTON)(ack=ack_only, lazy=[change_page])
    app.action(ids.HOME_PAGE_NEXT_BUTTON)(ack=ack_only, lazy=[change_page])
    app.action(ids.HOME_OPEN_CHANNEL_BUTTON)(ack_only)  # a url button: Slack opens the link, we only ack
    app.action(ids.FILE_TICKET_HOME_BUTTON)(ack=ack_only, lazy=[file_ticket_from_home])
