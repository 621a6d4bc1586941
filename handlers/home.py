"""App Home: staff see every open ticket and each customer's onboarding; a customer sees their own
org's open tickets and a File-a-ticket button, nothing of anyone else."""

from __future__ import annotations

import logging
from typing import Any

from slack_sdk import WebClient

from config.routing import area_choices
from handlers.modal import open_modal, open_ticket_modal
from handlers.routing import ack_only, action, event
from services.deps import Deps
from services.home import home_ticket_channel, home_view
from ui import ids
from ui.blocks import ModalContext
from ui.home import build_no_channel_yet_modal

log = logging.getLogger(__name__)


def _publish(user_id: str, page: int, client: WebClient, deps: Deps) -> None:
    view = home_view(deps, user_id, page)
    if view is None:
        log.warning("App Home for %s not refreshed: could not look the user up (the next open retries)", user_id)
        return
    client.views_publish(user_id=user_id, view=view)


def home_opened(event: dict[str, Any], client: WebClient, deps: Deps) -> None:
    if event.get("tab", "home") == "home":
        _publish(event["user"], 0, client, deps)


def change_page(body: dict[str, Any], action: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The Home's previous / next buttons: the page number is the button's value."""
    try:
        page = max(0, int(action.get("value") or 0))
    except ValueError:
        page = 0
    _publish(body["user"]["id"], page, client, deps)


def file_ticket_from_home(body: dict[str, Any], client: WebClient, deps: Deps) -> None:
    """The customer Home's File-a-ticket button: the form for their org's support channel, or where
    to file instead if they have none yet."""
    channel_id = home_ticket_channel(deps, body["user"]["id"])
    if channel_id is None:
        open_modal(client, body["trigger_id"], build_no_channel_yet_modal(), lambda text: None)
        return
    open_ticket_modal(
        client,
        body["trigger_id"],
        ModalContext(channel_id, "home"),
        "",
        lambda text: None,
        areas=area_choices(deps.settings),
    )


ROUTES = (
    event("app_home_opened", ack_only, home_opened),
    action(ids.HOME_PAGE_PREV_BUTTON, ack_only, change_page),
    action(ids.HOME_PAGE_NEXT_BUTTON, ack_only, change_page),
    action(ids.HOME_OPEN_CHANNEL_BUTTON, ack_only),  # a url button: Slack opens the link, we only ack
    action(ids.FILE_TICKET_HOME_BUTTON, ack_only, file_ticket_from_home),
)
