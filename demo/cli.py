"""`support-bot demo`: the real bot (same app, HTTP path and signature checks) on SQLite, against
the Slack stand-in (`fakeslack`) in this process, and a page at http://127.0.0.1:PORT that plays
Slack for a customer, an engineer and a CS owner. Binds 127.0.0.1 only; never contacts Slack.
"""

from __future__ import annotations

import argparse
import logging
import shutil
import socket
import tempfile
import threading
import webbrowser
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from cheroot import wsgi

from bot.app import Runtime
from bot.server import HttpServer, serve_on_loopback
from config.settings import load_settings
from demo.slack import DemoSlack
from demo.web import DemoWeb
from demo.world import CHANNELS, CUSTOMERS_IN, INITECH_CHANNEL, LEE, PEOPLE, PRIYA, settings_env
from fakeslack import payloads
from fakeslack.sender import SlackSender
from fakeslack.stub import SlackStub
from fakeslack.workspace import BOT_USER

log = logging.getLogger("support-bot.demo")

DATABASE_FILE = "support-bot-demo.db"
SEED_MESSAGE = (
    "Hi team, since this morning our signup funnel shows zero conversions for the last step. "
    "Did something change on your side?"
)


class DemoStartError(Exception):
    """The demo cannot start; the message is the one line the visitor sees."""


@dataclass
class Demo:
    """A running demo: the stand-in Slack, the bot, and the page (`url`)."""

    stub: SlackStub
    runtime: Runtime
    bot_server: HttpServer
    page: wsgi.Server
    slack: DemoSlack
    url: str

    def stop(self) -> None:
        """Stop the page, then the bot, then the stand-in."""
        self.page.stop()
        self.bot_server.stop()
        self.runtime.stop()
        self.stub.stop()


def _stand_in() -> SlackStub:
    stub = SlackStub().start()
    for p in PEOPLE:
        stub.add_user(p.user, p.team, real_name=p.name, profile={"real_name": p.name, "display_name": p.name})
    staff = [p.user for p in PEOPLE if p.staff]
    for channel, (name, _, shared) in CHANNELS.items():
        stub.add_channel(channel, name, is_ext_shared=shared)
        stub.members[channel] = [*(p.user for p in CUSTOMERS_IN.get(channel, ())), *staff, BOT_USER]
    return stub


def _seed(slack: DemoSlack) -> None:
    """The bot is added to both customer channels (it posts its welcome), and Initech's customer
    has already asked something, so triage has a conversation to show."""
    for channel, (_, _, shared) in CHANNELS.items():
        if shared:
            slack.sender.event(payloads.bot_joined_channel(channel, inviter=PRIYA.user))
    for channel, (_, _, shared) in CHANNELS.items():
        if shared:
            slack.stub.wait_for(lambda c=channel: slack.stub.posts(c), timeout=20)
    slack.say(LEE, INITECH_CHANNEL, SEED_MESSAGE)


def start(port: int, directory: Path, *, fast: bool) -> Demo:
    """Start a demo keeping its database in `directory` (recreated), its page on 127.0.0.1:`port`
    (0: any free port). Raises DemoStartError with one line if the port is taken."""
    database = directory / DATABASE_FILE
    for stale in (database, Path(f"{database}.lock")):
        stale.unlink(missing_ok=True)
    stub = _stand_in()
    runtime, bot_server = serve_on_loopback(load_settings(settings_env(stub.url, f"sqlite:///{database}", fast=fast)))
    slack = DemoSlack(stub, SlackSender(f"http://127.0.0.1:{bot_server.port}", stub))
    page = wsgi.Server(("127.0.0.1", port), DemoWeb(slack), numthreads=8, server_name="support-bot-demo")
    try:
        _check_free(port)
        page.prepare()
    except OSError as exc:
        bot_server.stop()
        runtime.stop()
        stub.stop()
        raise DemoStartError(f"--port: cannot listen on 127.0.0.1:{port} ({exc.strerror or exc})") from None
    threading.Thread(target=page.serve, name="demo-page", daemon=True).start()
    _seed(slack)
    return Demo(stub, runtime, bot_server, page, slack, f"http://127.0.0.1:{page.bind_addr[1]}")


def _check_free(port: int) -> None:
    """OSError (with the system's reason) if 127.0.0.1:`port` cannot be listened on; cheroot's
    own error wraps the reason in its addresses."""
    if port:
        with socket.socket() as probe:
            probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            probe.bind(("127.0.0.1", port))


@contextmanager
def _directory(kept: str | None) -> Iterator[Path]:
    if kept:
        path = Path(kept)
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise DemoStartError(f"--dir: cannot create {kept} ({exc.strerror or exc})") from None
        yield path
        return
    path = Path(tempfile.mkdtemp(prefix="support-bot-demo-"))
    try:
        yield path
    finally:
        shutil.rmtree(path, ignore_errors=True)


def run(args: argparse.Namespace, stop: threading.Event) -> int:
    """`support-bot demo`: start, print the address, wait for `stop` (Ctrl-C). Returns 0."""
    with _directory(args.dir) as directory:
        demo = start(args.port, directory, fast=args.fast)
        print(f"support-bot demo: open {demo.url}  (Ctrl-C stops it)", flush=True)
        if args.fast:
            print("  --fast: SLA targets of 40 s to 2 min, onboarding nudges every 20 s", flush=True)
        if args.dir:
            print(f"  database: {directory / DATABASE_FILE} (support-bot export reads it)", flush=True)
        if args.open:
            webbrowser.open(demo.url)
        try:
            while not stop.wait(3600):
                pass
        finally:
            demo.stop()
    return 0
