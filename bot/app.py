"""The composition root: settings in, a running support-bot out. Nothing is built at import."""

from __future__ import annotations

import functools
import io
import json
import logging
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from slack_bolt import App, BoltContext
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_bolt.oauth.oauth_settings import OAuthSettings
from slack_bolt.request.internals import parse_body
from slack_bolt.response import BoltResponse
from slack_sdk.errors import SlackApiError
from slack_sdk.oauth.installation_store.sqlalchemy import SQLAlchemyInstallationStore
from slack_sdk.oauth.state_store.sqlalchemy import SQLAlchemyOAuthStateStore
from slack_sdk.signature import SignatureVerifier
from sqlalchemy.exc import DisconnectionError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

from config.routing import area_channels, ticket_route
from config.settings import Settings
from handlers import register_all
from handlers.payload_shape import payload_problem
from outbox import Outbox, PostKind, utcnow
from scheduling import jobs
from scheduling.leader import Leadership, SqliteProcessLock
from scheduling.scheduler import Scheduler
from services.assignment import complete_assignment
from services.backfill import complete_backfill
from services.channel_cache import CustomerChannels
from services.channel_events import finish_join
from services.channels import retire_staff_channels
from services.deps import Background, Deps
from services.filing import complete_intake
from services.hooks import HookPlans, session_flags
from services.posts import PostPlanner
from services.tickets import SlaPolicy
from services.timers import TimerJobs
from slack_api.authorize import HostOrInstallationAuthorize
from slack_api.client import listener_client, make_background_client, make_interactive_client, make_outbox_client
from slack_api.identity import Directory
from slack_api.respond import PrivateAnswer
from store.db import Database, make_engine

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1_000_000  # Slack payloads are a few kB; anything near this is not from Slack
# The bot scopes a customer org grants when it installs the app (the same as app_manifest.yml's).
BOT_SCOPES = [
    "commands",
    "chat:write",
    "channels:read",
    "groups:read",
    "channels:history",
    "groups:history",
    "users:read",
    "usergroups:read",
    "im:write",
    "reactions:read",
    "app_mentions:read",
]
OAUTH_PATHS = ("/slack/install", "/slack/oauth_redirect")
RECONCILE_EVERY = 60.0  # seconds between the leader's checks that every alarm the database wants exists

_NO_RETRY = {"Content-Type": "application/json", "X-Slack-No-Retry": "1"}

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


@dataclass
class Runtime:
    settings: Settings
    db: Database
    deps: Deps
    bolt: App
    outbox: Outbox
    scheduler: Scheduler
    dispatcher: TimerJobs
    wsgi: WSGIApp
    leadership: Leadership
    process_lock: SqliteProcessLock | None

    def start(self) -> None:
        """Start the background work: the leader (of one, on SQLite) runs the scheduler and delivers
        the outbox; followers answer requests and hand their posts to the leader.

        Raises AnotherProcessRunning if another process already serves this SQLite database.
        """
        if self.process_lock is not None:
            self.process_lock.acquire()
        jobs.bind(self.dispatcher)
        self.scheduler.start(paused=True)  # followers still write jobs to the shared store
        self.leadership.start()

    def stop(self) -> None:
        self.deps.timer_sync.stop()
        self.deps.after_ack.stop()
        self.leadership.stop()
        self.scheduler.shutdown()
        jobs.bind(None)
        self.outbox.stop()
        self.db.engine.dispose()
        if self.process_lock is not None:
            self.process_lock.release()

    def _elected(self) -> None:
        self._retire_staff_channels()
        self.outbox.start()
        self.scheduler.resume()
        self.dispatcher.schedule_digest()
        # The first reconcile runs on the leadership thread's next tick, not here: at start-up this
        # runs before the HTTP server listens, and re-creating many missing alarms takes a while.
        self._last_reconcile = float("-inf")

    def _retire_staff_channels(self) -> None:
        settings = self.deps.settings
        with self.db.transaction() as session:
            staff = [settings.triage_channel or "", settings.digest_channel or "", *area_channels(settings)]
            changed = retire_staff_channels(session, staff)
        if changed:
            log.info("the triage/digest channel was recorded as a customer channel by an older version: now internal")

    def _deposed(self) -> None:
        self.scheduler.pause()
        self.outbox.stop()

    def _while_leader(self) -> None:
        """About once a second: look at the job store (other replicas add jobs to it), and now and
        then re-create alarms the database asks for but the store lacks."""
        self.scheduler.wakeup()
        if time.monotonic() - getattr(self, "_last_reconcile", float("-inf")) >= RECONCILE_EVERY:
            self._last_reconcile = time.monotonic()
            self.dispatcher.reconcile()


def build_runtime(settings: Settings, *, clock: Callable[[], datetime] = utcnow, socket_mode: bool = False) -> Runtime:
    db = Database(make_engine(settings.database_url), session_flags(settings))
    directory = Directory(make_background_client(settings))
    followups: dict[str, Callable[[dict, dict], None]] = {}  # the use cases finishing outbox reads, once deps exist
    webhook = (
        (settings.webhook_url, settings.webhook_secret) if settings.webhook_url and settings.webhook_secret else None
    )
    hooks = HookPlans(
        webhook, settings.pagerduty_url, lambda channel, ts: directory.host().permalink(channel, ts), clock
    )
    planner = PostPlanner(
        directory,
        settings.triage_channel or "",
        SlaPolicy.from_settings(settings),
        clock,
        settings.oncall,
        followups,
        hooks,
        route=lambda area: ticket_route(settings, area),
        movable=settings.routing is not None and bool(settings.routing.areas),
    )
    outbox = Outbox(db, make_outbox_client(settings), planner, clock=clock)
    outbox.watch(db)
    scheduler = Scheduler(db.engine)

    installation_store = None
    oauth_settings = None
    if settings.oauth_enabled:
        installation_store = SQLAlchemyInstallationStore(client_id=settings.slack_client_id, engine=db.engine)
        oauth_settings = OAuthSettings(
            client_id=settings.slack_client_id,
            client_secret=settings.slack_client_secret,
            scopes=BOT_SCOPES,
            installation_store=installation_store,
            installation_store_bot_only=True,
            state_store=SQLAlchemyOAuthStateStore(expiration_seconds=600, engine=db.engine),
            install_path="/slack/install",
            redirect_uri_path="/slack/oauth_redirect",
            # Slack's own authorize page lives beside its Web API (slack.com, slack-gov.com, ...).
            authorization_url=settings.slack_api_base_url.removesuffix("/").removesuffix("/api")
            + "/oauth/v2/authorize",
        )

    deps = Deps(
        settings=settings,
        db=db,
        directory=directory,
        outbox=outbox,
        scheduler=scheduler,
        clock=clock,
        timer_sync=Background("timer-sync", 1, "updating scheduled jobs failed; the next reconcile restores them"),
        # max_waiting=0: an ack waits (at most 1 s) for a free worker rather than queue its views.open
        # behind others; a queue only grows under a burst, and its tail would outlive its trigger_id.
        after_ack=Background("after-ack", 8, "a Slack call after an ack failed", max_waiting=0),
        channels=CustomerChannels(db),
        followups=followups,
        installation_store=installation_store,
    )
    # The use cases that finish a request once the outbox has made its Slack read.
    followups[PostKind.INTAKE] = functools.partial(complete_intake, deps)
    followups[PostKind.CHANNEL_JOIN] = functools.partial(finish_join, deps)
    followups[PostKind.BACKFILL] = functools.partial(complete_backfill, deps)
    followups[PostKind.ASSIGN] = functools.partial(complete_assignment, deps)

    bolt = App(
        signing_secret=settings.slack_signing_secret or "unused-in-socket-mode",
        client=make_interactive_client(settings),
        authorize=HostOrInstallationAuthorize(directory, settings.slack_bot_token, installation_store),
        oauth_settings=oauth_settings,
        # Listeners run before the HTTP answer: events and submissions are stored before Slack
        # hears "ok", so a crash means a retry, not a loss. Slow Slack calls use lazy listeners.
        process_before_response=True,
        request_verification_enabled=not socket_mode,
        raise_error_for_unhandled_request=False,
        token_verification_enabled=False,
    )

    @bolt.error
    def on_error(error: Exception, body: dict[str, Any], response: BoltResponse | None) -> BoltResponse | None:
        kind = body.get("type") if isinstance(body, dict) else None
        problem = payload_problem(body)
        if problem is not None and not _transient(error):  # Bolt's own middleware choked on it
            log.warning("refused a malformed Slack request: %s (%s)", problem, type(error).__name__)
            return BoltResponse(status=400, body='{"error": "malformed request"}', headers=_NO_RETRY)
        if _transient(error):
            # The database or Slack is unavailable: answer 500 so Slack retries the event later.
            log.error("could not handle a %s request: %s", kind, type(error).__name__, exc_info=error)
            return None
        # Anything else is a payload we cannot make sense of: never a 500 (it would only be retried).
        log.error("could not handle a %s request", kind, exc_info=error)
        if response is None:  # a lazy listener: the ack was sent already
            return None
        return BoltResponse(status=400, body='{"error": "malformed request"}', headers=_NO_RETRY)

    @bolt.middleware
    def refuse_malformed(body: dict[str, Any], next: Callable[[], BoltResponse]) -> BoltResponse:
        # Signed, but not shaped like anything Slack sends: say once what is missing, no traceback.
        # 200 with X-Slack-No-Retry: a retry would be just as malformed.
        problem = payload_problem(body)
        if problem is not None:
            log.warning("ignored a malformed Slack request: %s", problem)
            return BoltResponse(status=200, body="", headers={"X-Slack-No-Retry": "1"})
        return next()

    @bolt.middleware
    def keep_alive_client(context: BoltContext, next: Callable[[], BoltResponse]) -> BoltResponse:
        # Bolt gave this request a new plain WebClient (after `authorize` set its token); listeners
        # get ours, which keeps its connection to Slack open between calls.
        context["client"] = listener_client(settings.slack_api_base_url, context.client.token, context.team_id)
        # respond() that never raises: a request may carry no (or an empty) response_url.
        context["respond"] = PrivateAnswer(
            response_url=context.response_url,
            client=context["client"],
            channel_id=context.channel_id,
            user_id=context.user_id,
        )
        return next()

    register_all(bolt, deps)
    dispatcher = TimerJobs(deps)
    leadership = Leadership(
        db.engine,
        on_elected=lambda: runtime._elected(),
        on_deposed=lambda: runtime._deposed(),
        while_leader=lambda: runtime._while_leader(),
        timeout=settings.leader_timeout.total_seconds(),
    )
    lock = (
        SqliteProcessLock(db.engine.url.database)
        if db.engine.dialect.name == "sqlite" and db.engine.url.database not in (None, "", ":memory:")
        else None
    )
    runtime = Runtime(
        settings=settings,
        db=db,
        deps=deps,
        bolt=bolt,
        outbox=outbox,
        scheduler=scheduler,
        dispatcher=dispatcher,
        leadership=leadership,
        process_lock=lock,
        wsgi=make_wsgi(bolt, db, None if socket_mode else settings.slack_signing_secret, lambda: leadership.is_leader),
    )
    return runtime


def _transient(error: Exception) -> bool:
    """The database or Slack being unavailable, as opposed to a request we cannot make sense of."""
    if isinstance(error, OperationalError | DisconnectionError | PoolTimeout | OSError):
        return True
    if isinstance(error, SlackApiError):
        status = getattr(error.response, "status_code", 200)
        return status >= 500 or status == 429 or error.response.get("error") in ("ratelimited", "internal_error")
    return False


def _what_is_malformed(raw: bytes, environ: dict[str, Any], error: Exception) -> str:
    """Name what is wrong with a body Bolt could not take in: the shape check's words if it parses."""
    try:
        body = parse_body(raw.decode("utf-8"), environ.get("CONTENT_TYPE"))
    except ValueError as exc:
        return f"{type(exc).__name__}: {exc}"
    return payload_problem(body) or f"{type(error).__name__}: {error}"


def _signed(verifier: SignatureVerifier, environ: dict[str, Any], raw: bytes) -> bool:
    try:
        return verifier.is_valid(
            body=raw,
            timestamp=environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP", ""),
            signature=environ.get("HTTP_X_SLACK_SIGNATURE", ""),
        )
    except (ValueError, TypeError):  # a timestamp that is not a number
        return False


def make_wsgi(
    bolt: App, db: Database, signing_secret: str | None, is_leader: Callable[[], bool] = lambda: True
) -> WSGIApp:
    """/slack/events to Bolt, /healthz for load balancers, everything else 404.

    The signature is checked here, on the raw body, before anything parses it: a forged, stale or
    unsigned request gets 401 whatever it contains. (Bolt checks it again; that costs one HMAC.)
    """
    slack = SlackRequestHandler(bolt, path="/slack/events")
    verifier = SignatureVerifier(signing_secret) if signing_secret else None

    def respond(start_response: Callable[..., Any], status: str, body: dict[str, Any]) -> list[bytes]:
        data = json.dumps(body).encode()
        start_response(status, [("Content-Type", "application/json"), ("Content-Length", str(len(data)))])
        return [data]

    def wsgi(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD", "GET")
        if path == "/healthz" and method in ("GET", "HEAD"):
            if db.ping():
                return respond(
                    start_response,
                    "200 OK",
                    {"status": "ok", "database": "ok", "scheduler": "leader" if is_leader() else "standby"},
                )
            return respond(start_response, "503 Service Unavailable", {"status": "error", "database": "down"})
        if path in OAUTH_PATHS and method == "GET" and bolt.oauth_flow is not None:
            return slack(environ, start_response)
        if path == "/slack/events":
            if method != "POST":
                return respond(start_response, "405 Method Not Allowed", {"error": "use POST"})
            try:
                length = int(environ.get("CONTENT_LENGTH") or 0)
            except ValueError:
                length = -1
            if length < 0 or length > MAX_BODY_BYTES:
                return respond(start_response, "413 Content Too Large", {"error": "body too large"})
            raw = environ["wsgi.input"].read(length) if length else b""
            environ["wsgi.input"] = io.BytesIO(raw)
            if verifier is not None and not _signed(verifier, environ, raw):
                log.info("refused a request with a missing or invalid Slack signature")
                return respond(start_response, "401 Unauthorized", {"error": "invalid request"})
            try:
                return slack(environ, start_response)
            except (ValueError, LookupError, AttributeError, TypeError) as exc:  # Bolt could not parse it
                log.warning("refused a malformed Slack request: %s", _what_is_malformed(raw, environ, exc))
                start_response("400 Bad Request", [("Content-Type", "application/json"), ("X-Slack-No-Retry", "1")])
                return [b'{"error": "malformed request"}']
            except Exception:  # anything else is our bug: keep the traceback
                log.exception("malformed Slack request")
                start_response("400 Bad Request", [("Content-Type", "application/json"), ("X-Slack-No-Retry", "1")])
                return [b'{"error": "malformed request"}']
        return respond(start_response, "404 Not Found", {"error": "not found"})

    return wsgi
