"""Uninstalls and revoked tokens: a customer org's installation is forgotten; for the host
workspace, the operator is told plainly, since nothing works until the app is reinstalled."""

from __future__ import annotations

import logging
from typing import Any

from handlers.routing import event
from services.deps import Deps

log = logging.getLogger(__name__)


def forget(body: dict[str, Any], event: dict[str, Any], deps: Deps) -> None:
    team_id, enterprise_id = body.get("team_id"), body.get("enterprise_id")
    host = deps.directory.host()
    if team_id == host.team_id:
        if event.get("type") == "tokens_revoked" and host.bot_user_id not in (
            (event.get("tokens") or {}).get("bot") or []
        ):
            # Other tokens (users' OAuth tokens, another bot's): ours still works.
            log.info("tokens revoked in the host workspace, not the bot's: %s", event.get("tokens"))
            return
        log.error(
            "support-bot was uninstalled from (or lost its tokens in) the host workspace %s: "
            "reinstall it and update SLACK_BOT_TOKEN",
            team_id,
        )
        return
    installations = deps.installation_store
    if installations is None:
        return
    if event.get("type") == "app_uninstalled" or (event.get("tokens") or {}).get("bot"):
        installations.delete_bot(enterprise_id=enterprise_id, team_id=team_id)
        installations.delete_installation(enterprise_id=enterprise_id, team_id=team_id)
        log.info("forgot the installation of workspace %s", team_id)


ROUTES = (
    event("app_uninstalled", forget),
    event("tokens_revoked", forget),
)
