"""Which bot token serves a request.

The host workspace (where the support team works) always uses SLACK_BOT_TOKEN. In multi-workspace
mode a customer org that installed the app through OAuth gets its own installation's token for its
requests — their /ticket's trigger_id belongs to that installation. Anything else (a customer whose
org has not installed the app, clicking a button in the shared channel) is served by the host's
token, which is what a shared channel allows.
"""

from __future__ import annotations

import logging
from typing import Any

from slack_bolt.authorization import AuthorizeResult
from slack_bolt.authorization.authorize import Authorize, InstallationStoreAuthorize
from slack_sdk.oauth.installation_store import InstallationStore

from slack_api.identity import Directory

log = logging.getLogger(__name__)


class HostOrInstallationAuthorize(Authorize):
    def __init__(
        self, directory: Directory, host_token: str | None, installation_store: InstallationStore | None = None
    ) -> None:
        super().__init__()
        self._directory = directory
        self._host_token = host_token
        self._installations = (
            InstallationStoreAuthorize(logger=log, installation_store=installation_store, bot_only=True)
            if installation_store is not None
            else None
        )

    def _host(self) -> AuthorizeResult:
        host = self._directory.host()
        return AuthorizeResult(
            enterprise_id=host.enterprise_id,
            team_id=host.team_id,
            url=host.url,
            bot_user_id=host.bot_user_id,
            bot_id=host.bot_id,
            bot_token=self._host_token,
        )

    def __call__(
        self, *, context: Any, enterprise_id: str | None, team_id: str | None, user_id: str | None, **_: Any
    ) -> AuthorizeResult | None:
        host = self._directory.host()
        if self._installations is None or team_id in (None, host.team_id):
            return self._host()
        installed = self._installations(context=context, enterprise_id=enterprise_id, team_id=team_id, user_id=user_id)
        return installed if installed is not None else self._host()
