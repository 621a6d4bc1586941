"""OAuth distribution: a customer org installs the app (round trip against the stub's oauth.v2.access),
its people's /ticket is served with its own installation's token, and an uninstall forgets it."""

from __future__ import annotations

import re
import urllib.error
import urllib.request
from urllib.parse import parse_qs, urlparse

from fakeslack import BOT_TOKEN, CUSTOMER, CUSTOMER_CHANNEL, CUSTOMER_TEAM, SlackStub
from tests.support import BotUnderTest, running_bot

OAUTH = {"SLACK_CLIENT_ID": "1111.2222", "SLACK_CLIENT_SECRET": "oauth-client-secret-value"}


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def get(url: str, cookie: str = "") -> tuple[int, str, dict[str, str]]:
    opener = urllib.request.build_opener(NoRedirect)
    request = urllib.request.Request(url, headers={"Cookie": cookie} if cookie else {})
    try:
        with opener.open(request, timeout=10) as response:
            return response.status, response.read().decode(), dict(response.headers)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode(), dict(error.headers)


def install(bot: BotUnderTest, code: str = "good-code") -> tuple[int, str]:
    status, page, headers = get(bot.url + "/slack/install")
    assert status in (200, 302), (status, page)
    found = re.search(r'href="([^"]*/oauth/v2/authorize[^"]*)"', page)
    link = (headers.get("Location") or found.group(1)).replace("&amp;", "&")
    query = parse_qs(urlparse(link).query)
    assert query["client_id"] == ["1111.2222"] and "commands" in query["scope"][0]
    cookie = {k.lower(): v for k, v in headers.items()}["set-cookie"].split(";")[0]
    status, page, _ = get(f"{bot.url}/slack/oauth_redirect?code={code}&state={query['state'][0]}", cookie)
    return status, page


def test_install_round_trip_then_their_ticket_command_uses_their_token(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, **OAUTH) as bot:
        bot.join_channel(CUSTOMER_CHANNEL)
        status, page = install(bot)
        assert status == 200, page
        access = slack.calls_to("oauth.v2.access")
        assert len(access) == 1 and access[0].args["code"] == "good-code"
        assert bot.sql("SELECT team_id, bot_token FROM slack_bots") == [
            (CUSTOMER_TEAM, "xoxb-customer-installed-token")
        ]

        # A customer in the shared channel types /ticket: their org's installation answers it.
        bot.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL, team=CUSTOMER_TEAM)
        opened = slack.wait_for(lambda: slack.calls_to("views.open"))[0]
        assert opened.token == "xoxb-customer-installed-token"

        # Their org uninstalls: the installation is forgotten, and the host's token serves them again.
        status, _, _ = bot.event({"type": "app_uninstalled"}, headers=None, team_id=CUSTOMER_TEAM)
        assert status == 200
        assert bot.sql("SELECT count(*) FROM slack_bots")[0][0] == 0
        assert bot.sql("SELECT count(*) FROM slack_installations")[0][0] == 0
        bot.slash("/ticket", user=CUSTOMER, channel=CUSTOMER_CHANNEL, team=CUSTOMER_TEAM)
        again = slack.wait_for(lambda: slack.calls_to("views.open")[1:])[0]
        assert again.token == BOT_TOKEN


def test_a_bad_code_or_state_installs_nothing(slack: SlackStub, database_url: str) -> None:
    with running_bot(slack, database_url, **OAUTH) as bot:
        status, _ = install(bot, code="bad-code")
        assert status >= 400
        status, _, _ = get(f"{bot.url}/slack/oauth_redirect?code=good-code&state=forged")
        assert status >= 400
        assert bot.sql("SELECT count(*) FROM slack_bots")[0][0] == 0


def test_single_token_mode_has_no_install_pages(bot: BotUnderTest) -> None:
    assert bot.get("/slack/install")[0] == 404
