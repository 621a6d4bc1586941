"""The five benchmark scenarios. Each returns a plain dict (rendered by bench/report.py)."""

from __future__ import annotations

import itertools
import json
import os
import random
import threading
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, text

from bench import payloads
from bench.apphome import measure_app_home
from bench.infra import (
    BenchError,
    Databases,
    ServerProcess,
    bot_process,
    database,
    plain_bolt_process,
    postgres_cpu,
    postgres_cpu_since,
    proc_cpu_seconds,
    slack_stub,
)
from bench.load import Client, Connection, LoadStats, percentile, run_load
from bench.remote_stub import RemoteStub, Stub, remote_slack_stub
from fakeslack import HOST_TEAM, TRIAGE, SlackStub


@dataclass
class Ctx:
    quick: bool
    workdir: Path
    dbs: Databases
    say: Callable[[str], None]
    processes: int = 1  # support-bot's serving processes on PostgreSQL (SUPPORT_PROCESSES), scenarios 1-3
    background: list[threading.Thread] = field(default_factory=list)
    background_errors: list[BaseException] = field(default_factory=list)

    def processes_for(self, kind: str) -> int:
        return self.processes if kind == "postgres" else 1  # SQLite is for one process

    def server_env(self, kind: str) -> dict[str, str]:
        return {"SUPPORT_PROCESSES": str(self.processes_for(kind))}

    def later(self, work: Callable[[], None]) -> None:
        """Run `work` in a background thread; `join_background` waits for it (quick runs only)."""

        def run() -> None:
            try:
                work()
            except BaseException as exc:  # reported by join_background
                self.background_errors.append(exc)

        thread = threading.Thread(target=run, name="bench-later", daemon=True)
        thread.start()
        self.background.append(thread)

    def join_background(self) -> None:
        for thread in self.background:
            thread.join()
        self.background.clear()
        if self.background_errors:
            raise self.background_errors[0]


def _wait(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        result = predicate()
        if result:
            return result
        time.sleep(interval)
    raise BenchError(f"timed out after {timeout:.0f}s waiting for {what}")


def _settle(predicate: Callable[[], Any], timeout: float, interval: float = 0.05) -> bool:
    """Like _wait, but a timeout is a result (False), not a failure of the benchmark."""
    try:
        _wait(predicate, timeout, "", interval)
        return True
    except BenchError:
        return False


@contextmanager
def _engine(url: str) -> Iterator[Engine]:
    engine = create_engine(url)
    try:
        yield engine
    finally:
        engine.dispose()


def _scalar(engine: Engine, query: str, **params: Any) -> Any:
    with engine.connect() as conn:
        return conn.execute(text(query), params).scalar()


def _rows(engine: Engine, query: str, **params: Any) -> list[Any]:
    with engine.connect() as conn:
        return list(conn.execute(text(query), params))


def _mem(server: ServerProcess) -> dict[str, float]:
    memory = server.memory()
    return {"rss_mb": round(memory.get("VmRSS", 0.0), 1), "peak_rss_mb": round(memory.get("VmHWM", 0.0), 1)}


def join_channels(server: ServerProcess, stub: Stub, chans: list[str]) -> None:
    """The bot is added to each channel (as Slack reports it); waits for every welcome post."""
    conn = Connection(server.port)
    try:
        for channel in chans:
            stub.add_channel(channel, f"customer-{channel.lower()}", True)
            body, content_type = payloads.bot_joined(channel)
            status, data = conn.post(body, content_type)
            if status != 200:
                raise BenchError(f"member_joined_channel for {channel} answered {status}: {data[:200]!r}")
    finally:
        conn.close()
    _wait(lambda: all(stub.posts(c) for c in chans), 30 + len(chans), "the welcome posts", 0.1)


def _submission_ok(status: int, data: bytes) -> bool:
    return status == 200 and data.strip() in (b"", b"{}")


# -- 1. /ticket ack (issue 19) -------------------------------------------------------------------

ACK_CLIENTS = 20
# The servers, in the order each round drives them: the plain Bolt app that acks then opens the form
# (the one support-bot is compared with), the same app acking only, support-bot.
ACK_SERVERS = ("plain+form", "plain", "support-bot")
ACK_MODES = ("new connection", "kept alive")


def _ack_plan(quick: bool) -> tuple[int, int]:
    """(rounds, commands per server per connection mode per round)."""
    return (2, 100) if quick else (5, 1000)


def _ticket_ack_load(
    server: ServerProcess, stub: Stub, clients: int, total: int, chans: list[str], fresh: bool, rate: float = 0.0
) -> tuple[LoadStats, dict[str, float]]:
    """`total` /ticket commands from `clients` clients; returns the load's stats and when (time.monotonic)
    each command's trigger_id was sent. `rate` > 0: offered at that many commands/s in all (open
    loop: each client on a schedule, sending back to back only when behind), so servers of
    different speed are compared under the same load; 0: closed loop (each sends when answered)."""
    per_client = max(1, total // clients)
    users = payloads.customers()
    sent: dict[str, float] = {}
    interval = clients / rate if rate > 0 else 0.0
    begin = time.monotonic()

    def worker(client: Client) -> None:
        channel = chans[client.index % len(chans)]
        user = users[client.index % len(users)]
        for n in range(per_client):
            if interval:
                wait = begin + (n + client.index / clients) * interval - time.monotonic()
                if wait > 0:
                    time.sleep(wait)
            body, content_type, trigger_id = payloads.slash(
                stub, "/ticket", user=user, channel=channel, text="Dashboards slow"
            )
            sent[trigger_id] = time.monotonic()
            client.request(body, content_type, check=lambda s, d: s == 200 and d == b"")

    return run_load(server.port, clients, worker, fresh=fresh), sent


TRIGGER_LIFETIME_S = 3.0  # Slack refuses a views.open whose trigger_id is older than this


def _modal_latency(sent: dict[str, float], opened: dict[str, float]) -> dict[str, Any]:
    """From each command leaving the client to its views.open reaching the stub: what the user waits
    for before the form is on screen (less Slack's own share). Late: not opened within a trigger's life."""
    waits = sorted(opened[t] - at for t, at in sent.items() if t in opened)
    late = sum(1 for t in sent if t not in opened or opened[t] - sent[t] > TRIGGER_LIFETIME_S)
    return {
        "modal_p50_ms": round(percentile(waits, 50) * 1000, 2),
        "modal_p95_ms": round(percentile(waits, 95) * 1000, 2),
        "modal_p99_ms": round(percentile(waits, 99) * 1000, 2),
        "modal_max_ms": round(waits[-1] * 1000, 2) if waits else None,
        "modals_late": late,
        "modals_missing": sum(1 for t in sent if t not in opened),
    }


@dataclass
class _AckTally:
    """One server in one connection mode, over every round."""

    latencies: list[float] = field(default_factory=list)
    sent: dict[str, float] = field(default_factory=dict)
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)
    elapsed: float = 0.0
    server_cpu_s: float = 0.0
    stub_cpu_s: float = 0.0
    postgres_cpu_s: float = 0.0

    def add(self, stats: LoadStats, sent: dict[str, float]) -> None:
        self.latencies.extend(stats.latencies)
        self.sent.update(sent)
        self.errors += stats.errors
        self.error_samples = (self.error_samples + stats.error_samples)[:5]
        self.elapsed += stats.elapsed

    def as_run(self, target: str, db: str, mode: str, processes: int) -> dict[str, Any]:
        lat = sorted(self.latencies)
        n = len(self.sent)
        return {
            "target": target,
            "db": db,
            "mode": mode,
            "processes": processes,
            "clients": ACK_CLIENTS,
            "requests": len(lat) + self.errors,
            "errors": self.errors,
            "error_samples": self.error_samples,
            "elapsed_s": round(self.elapsed, 3),
            "p50_ms": round(percentile(lat, 50) * 1000, 2),
            "p95_ms": round(percentile(lat, 95) * 1000, 2),
            "p99_ms": round(percentile(lat, 99) * 1000, 2),
            "max_ms": round(lat[-1] * 1000, 2) if lat else 0.0,
            "throughput_per_s": round(len(lat) / self.elapsed, 1) if self.elapsed else 0.0,
            "cpu_ms_per_command": {
                "server": round(self.server_cpu_s * 1000 / max(1, n), 3),
                "slack_stub": round(self.stub_cpu_s * 1000 / max(1, n), 3),
                "postgres": round(self.postgres_cpu_s * 1000 / max(1, n), 3),
            },
        }


def _ack_round(
    server: ServerProcess,
    stub: RemoteStub,
    chans: list[str],
    total: int,
    fresh: bool,
    form: bool,
    tally: _AckTally,
    rate: float = 0.0,
) -> None:
    """One round of one server in one mode; a server that opens the form has until its last
    views.open reaches the stub (or 10 s) before the next server's round: its forms are its cost."""
    opened_before = stub.count("views.open")
    cpu_before = (server.cpu_seconds(), proc_cpu_seconds(stub.pid), postgres_cpu())
    stats, sent = _ticket_ack_load(server, stub, ACK_CLIENTS, total, chans, fresh, rate)
    if form:
        _settle(lambda: stub.count("views.open") - opened_before >= len(sent), 10)
    tally.add(stats, sent)
    tally.server_cpu_s += server.cpu_seconds() - cpu_before[0]
    tally.stub_cpu_s += proc_cpu_seconds(stub.pid) - cpu_before[1]
    tally.postgres_cpu_s += postgres_cpu_since(cpu_before[2])


def scenario_ticket_ack(ctx: Ctx, kinds: list[str]) -> dict[str, Any]:
    """Issue 19: support-bot's /ticket against the plain Bolt deployment a team would pick instead
    (bench/plain_bolt.py: default Bolt App, Flask, gunicorn gthread, 8 threads), which acks and then
    opens the same form, and the same app acking only. All three are up at once and driven in
    alternating rounds (form, ack-only, support-bot, form, ...), each round in both connection modes,
    so every ratio is of the same minutes on the same machine."""
    result: dict[str, Any] = {"name": "ticket_ack", "title": "/ticket slash command (ack and form)", "runs": []}
    chans = payloads.channels(ACK_CLIENTS, "C0ACK")
    rounds, per_round = _ack_plan(ctx.quick)
    result["plan"] = {"rounds": rounds, "commands_per_round": per_round, "clients": ACK_CLIENTS}

    for kind in kinds:
        processes = ctx.processes_for(kind)
        times = f" x{processes}" if processes > 1 else ""
        # The stub runs in a process of its own (bench/remote_stub.py): each /ticket makes it parse a
        # views.open, and in the bench's own process that would hold the GIL the clients time acks with.
        with remote_slack_stub() as stub, database(ctx.dbs, kind, "ack") as url, ExitStack() as stack:
            payloads.add_people(stub)
            servers = {
                "plain+form": plain_bolt_process(stub, ctx.workdir, open_form=True, workers=processes),
                "plain": plain_bolt_process(stub, ctx.workdir, open_form=False, workers=processes),
                "support-bot": bot_process(stub, url, ctx.workdir, **ctx.server_env(kind)),
            }
            ctx.say(f"1. /ticket: starting plain Bolt (gunicorn -w {processes}) x2 and support-bot on {kind}{times}")
            for server in servers.values():
                stack.enter_context(_running(server))
            join_channels(servers["support-bot"], stub, chans)
            for server in servers.values():  # warm-up: connections, imports, caches
                for fresh in (True, False):
                    _ticket_ack_load(server, stub, ACK_CLIENTS, ACK_CLIENTS * 5, chans, fresh)
            time.sleep(1.0)  # let the warm-up's last forms go out
            tallies = {(s, m): _AckTally() for s in ACK_SERVERS for m in ACK_MODES}
            for number in range(1, rounds + 1):
                ctx.say(f"1. /ticket on {kind}: round {number} of {rounds}")
                for mode in ACK_MODES:
                    for name in ACK_SERVERS:
                        form = name != "plain"
                        _ack_round(
                            servers[name], stub, chans, per_round, mode == "new connection", form, tallies[(name, mode)]
                        )
            opened = stub.arrivals("views.open", "trigger_id")
            for mode in ACK_MODES:
                base = tallies[("plain+form", mode)].as_run("plain+form", "-", mode, processes)
                base.update(_modal_latency(tallies[("plain+form", mode)].sent, opened))
                plain = tallies[("plain", mode)].as_run("plain", "-", mode, processes)
                bot = tallies[("support-bot", mode)].as_run("support-bot", kind, mode, processes)
                bot.update(_modal_latency(tallies[("support-bot", mode)].sent, opened))
                for run in (base, plain, bot):
                    run["for_db"] = kind
                    for pct in ("p50_ms", "p95_ms", "p99_ms"):
                        run[f"{pct}_vs_plain_form"] = round(run[pct] / base[pct], 2) if base[pct] else None
                    run.update(_mem(servers[run["target"]]))
                bot["modal_p99_vs_plain_form"] = (
                    round(bot["modal_p99_ms"] / base["modal_p99_ms"], 2) if base["modal_p99_ms"] else None
                )
                result["runs"] += [base, plain, bot]
            result.setdefault("server_errors", {})[kind] = servers["support-bot"].errors_logged()[:5]
    return result


@contextmanager
def _running(server: ServerProcess) -> Iterator[ServerProcess]:
    server.start()
    try:
        yield server
    finally:
        server.stop()


# -- 2. ticket submission ------------------------------------------------------------------------

SUBMIT_LEVELS = (5, 20)


def _tickets_per_client(quick: bool) -> dict[int, int]:
    return {5: 1, 20: 1} if quick else {5: 20, 20: 10}


def _posted(engine: Engine, stub: SlackStub, ticket_ids: list[int]) -> tuple[int, int]:
    """(tickets whose card, acknowledgement and triage mirror all reached Slack, tickets checked)."""
    if not ticket_ids:
        return 0, 0
    rows = _rows(
        engine,
        "SELECT id, channel_id, thread_ts, triage_ts FROM tickets WHERE id >= :lo AND id <= :hi",
        lo=min(ticket_ids),
        hi=max(ticket_ids),
    )
    wanted = set(ticket_ids)
    by_channel: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for post in stub.posts():
        by_channel[post["channel"]].append(post)
    triage_ts = {p["ts"] for p in by_channel.get(TRIAGE, [])}
    done = 0
    for ticket_id, channel, thread_ts, triage in rows:
        if ticket_id not in wanted or thread_ts is None or triage is None:
            continue
        posts = by_channel.get(channel, [])
        card = any(p["ts"] == thread_ts and not p.get("thread_ts") for p in posts)
        ack = any(p.get("thread_ts") == thread_ts for p in posts)
        if card and ack and triage in triage_ts:
            done += 1
    return done, len(wanted)


def _submit_tickets(
    server: ServerProcess, chans: list[str], clients: int, per_client: int, label: str
) -> tuple[LoadStats, list[str]]:
    acked: list[list[str]] = [[] for _ in range(clients)]
    users = payloads.customers()

    def worker(client: Client) -> None:
        for k in range(per_client):
            channel = chans[(client.index * per_client + k) % len(chans)]
            body, content_type, view_id = payloads.ticket_submission(
                user=users[client.index % len(users)], channel=channel, title=f"{label} ticket {client.index}-{k}"
            )
            answer = client.request(body, content_type, check=_submission_ok)
            if answer is not None and _submission_ok(*answer):
                acked[client.index].append(view_id)

    stats = run_load(server.port, clients, worker)
    return stats, [v for views in acked for v in views]


def scenario_ticket_submission(ctx: Ctx, kinds: list[str]) -> dict[str, Any]:
    """Submissions at 5, then 20 clients, every ticket in its own channel; every ticket checked stored,
    then its card, acknowledgement and triage mirror checked received by the stub. A full run waits
    for the posts after each level; a quick run checks them in the background while the next
    scenarios run (the triage channel is paced to one post a second, so this is the slow part)."""
    result: dict[str, Any] = {"name": "ticket_submission", "title": "ticket submission (view_submission)", "runs": []}
    plan = _tickets_per_client(ctx.quick)
    for kind in kinds:
        stack = ExitStack()
        try:
            stub = stack.enter_context(slack_stub())
            url = stack.enter_context(database(ctx.dbs, kind, "submit"))
            engine = stack.enter_context(_engine(url))
            payloads.add_people(stub)
            bot = bot_process(stub, url, ctx.workdir, **ctx.server_env(kind))
            stack.enter_context(_running(bot))
            owed: list[tuple[dict[str, Any], list[int], float]] = []

            def await_posts(
                owed: list[tuple[dict[str, Any], list[int], float]] = owed,
                engine: Engine = engine,
                stub: SlackStub = stub,
                bot: ServerProcess = bot,
            ) -> None:
                for run, ids, finished in owed:
                    _settle(lambda ids=ids: _posted(engine, stub, ids)[0] == len(ids), 60 + 2.0 * len(ids), 0.25)
                    run["tickets_posted"] = _posted(engine, stub, ids)[0]
                    run["posts_delivered_s"] = round(time.monotonic() - finished, 1)
                    run["peak_rss_mb"] = _mem(bot)["peak_rss_mb"]
                owed.clear()

            for clients in SUBMIT_LEVELS:
                ctx.say(f"2. ticket submission: {clients} clients on {kind}")
                # Every ticket in a channel of its own (many customers filing at once), so only the
                # triage channel, which every ticket is mirrored to, has posts queueing for pacing.
                chans = payloads.channels(clients * plan[clients], f"C0S{clients:02d}")
                join_channels(bot, stub, chans)
                stats, views = _submit_tickets(bot, chans, clients, plan[clients], f"c{clients}")
                finished = time.monotonic()
                keys = {f"view:{v}" for v in views}
                ids = [
                    r[0]
                    for r in _rows(
                        engine,
                        "SELECT id, submission_key FROM tickets WHERE channel_id LIKE :prefix",
                        prefix=f"C0S{clients:02d}%",
                    )
                    if r[1] in keys
                ]
                run = {
                    "target": "support-bot",
                    "db": kind,
                    "processes": ctx.processes_for(kind),
                    **stats.as_dict(),
                    **_mem(bot),
                }
                run.update(tickets_acked=len(views), tickets_stored=len(ids), tickets_posted=0, posts_delivered_s=None)
                run["note"] = "triage mirrors share one channel, paced to 1 post/s"
                result["runs"].append(run)
                owed.append((run, ids, finished))
                if not ctx.quick:
                    await_posts()

            def finish(
                stack: ExitStack = stack, bot: ServerProcess = bot, kind: str = kind, await_posts=await_posts
            ) -> None:
                with stack:
                    await_posts()
                    result.setdefault("server_errors", {})[kind] = bot.errors_logged()[:5]

            if ctx.quick:
                ctx.later(finish)
            else:
                finish()
        except BaseException:
            stack.close()
            raise
    return result


# -- 3. thread-reply events ----------------------------------------------------------------------

RACE_SHARE = 0.02  # duplicate sent at the same moment as the original (Slack timed out on us)
RETRY_SHARE = 0.08  # duplicate sent after the original was answered
STAFF_SHARE = 0.2


@dataclass
class ReplyLedger:
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    acked: dict[str, tuple[str, int]] = field(default_factory=dict)  # event id -> (ts, n)
    sent: dict[str, str] = field(default_factory=dict)  # event id -> ts
    retries: int = 0
    races: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)


def _reply_worker(ledger: ReplyLedger, tickets: list[tuple[int, str, str]], seed: int) -> Callable[[Client], None]:
    users, staff = payloads.customers(), payloads.staff()

    def worker(client: Client) -> None:
        rng = random.Random(seed * 1000 + client.index)
        sent: dict[str, str] = {}
        acked: dict[str, tuple[str, int]] = {}
        retries = races = 0
        while not client.expired():
            n = next(ledger.counter)
            _, channel, thread_ts = tickets[rng.randrange(len(tickets))]
            user = staff[rng.randrange(len(staff))] if rng.random() < STAFF_SHARE else users[rng.randrange(len(users))]
            ts, event_id = f"{1800000000 + n}.000100", f"EvR{payloads.RUN}{n:08d}"
            body, content_type = payloads.thread_reply(
                channel=channel, thread_ts=thread_ts, user=user, ts=ts, event_id=event_id
            )
            sent[event_id] = ts
            roll = rng.random()
            how = "race" if roll < RACE_SHARE else "retry" if roll < RACE_SHARE + RETRY_SHARE else "once"
            ok = client.send_as_slack(body, content_type, how, payloads.retry_headers(1))
            if ok is None:
                continue
            races, retries = races + (how == "race"), retries + (how == "retry")
            if ok:
                acked[event_id] = (ts, n)
        with ledger.lock:
            ledger.sent.update(sent)
            ledger.acked.update(acked)
            ledger.retries += retries
            ledger.races += races

    return worker


def _create_tickets(
    server: ServerProcess, stub: SlackStub, engine: Engine, chans: list[str], drain: bool = True
) -> list[tuple[int, str, str]]:
    """One ticket per channel, its card posted (so replies land in a ticket thread)."""
    join_channels(server, stub, chans)
    conn = Connection(server.port)
    try:
        for channel in chans:
            body, content_type, _ = payloads.ticket_submission(
                user=payloads.customers()[0], channel=channel, title=f"Thread ticket in {channel}"
            )
            status, data = conn.post(body, content_type)
            if not _submission_ok(status, data):
                raise BenchError(f"ticket submission answered {status}: {data[:200]!r}")
    finally:
        conn.close()

    def cards() -> list[Any]:
        rows = _rows(engine, "SELECT id, channel_id, thread_ts FROM tickets WHERE thread_ts IS NOT NULL")
        return rows if len(rows) == len(chans) else []

    rows = _wait(cards, 60, "the ticket cards", 0.1)
    if not drain:
        return [(r[0], r[1], r[2]) for r in rows]
    # Let the acknowledgements and triage mirrors drain, so they do not compete with the load.
    _wait(
        lambda: _scalar(engine, "SELECT count(*) FROM outbox WHERE state = 'pending'") == 0,
        60 + 2 * len(chans),
        "the outbox to drain",
        0.2,
    )
    return [(r[0], r[1], r[2]) for r in rows]


def _verify_replies(engine: Engine, ledger: ReplyLedger, ticket_ids: list[int]) -> dict[str, Any]:
    stored: dict[str, int] = {r[0]: r[1] for r in _rows(engine, "SELECT ts, count(*) FROM ticket_messages GROUP BY ts")}
    claimed = set(
        r[0]
        for r in _rows(engine, "SELECT event_id FROM processed_events WHERE event_id LIKE :p", p=f"EvR{payloads.RUN}%")
    )
    lost = [eid for eid, (ts, _) in ledger.acked.items() if ts not in stored]
    unclaimed = [eid for eid in ledger.acked if eid not in claimed]
    duplicated = sum(count - 1 for count in stored.values() if count > 1)
    messages = sum(stored.values())
    reply_counts = _scalar(engine, "SELECT coalesce(sum(reply_count), 0) FROM tickets") or 0
    stored_unacked = len([eid for eid, ts in ledger.sent.items() if eid not in ledger.acked and ts in stored])
    return {
        "events_sent": len(ledger.sent),
        "events_acked": len(ledger.acked),
        "retries_sent": ledger.retries,
        "racing_duplicates_sent": ledger.races,
        "messages_stored": messages,
        "lost": len(lost),
        "lost_samples": lost[:5],
        "duplicated": duplicated,
        "event_ids_not_recorded": len(unclaimed),
        "stored_but_not_acked": stored_unacked,
        "reply_count_sum": int(reply_counts),
        "reply_count_drift": int(reply_counts) - messages,
    }


def scenario_thread_replies(ctx: Ctx, kinds: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"name": "thread_replies", "title": "thread-reply events", "runs": []}
    n_tickets = 4 if ctx.quick else 8
    duration = 4.0 if ctx.quick else 30.0
    probe_levels = () if ctx.quick else (4, 8, 16, 32)
    for kind in kinds:
        with slack_stub() as stub, database(ctx.dbs, kind, "replies") as url, _engine(url) as engine:
            payloads.add_people(stub)
            bot = bot_process(stub, url, ctx.workdir, **ctx.server_env(kind))
            with _running(bot):
                ctx.say(f"3. thread replies on {kind}: creating {n_tickets} tickets")
                tickets = _create_tickets(bot, stub, engine, payloads.channels(n_tickets, "C0THR"), drain=not ctx.quick)
                ledger = ReplyLedger()
                probes = []
                for level in probe_levels:
                    ctx.say(f"3. thread replies on {kind}: probing {level} clients")
                    stats = run_load(bot.port, level, _reply_worker(ledger, tickets, level), duration=4.0)
                    probes.append(
                        {"clients": level, "throughput_per_s": round(stats.throughput, 1), "errors": stats.errors}
                    )
                # The fewest clients that get within 5 % of the best error-free rate: the highest
                # rate the server holds, without queueing more than it needs to.
                clean = [p for p in probes if p["errors"] == 0] or probes
                best = max((p["throughput_per_s"] for p in clean), default=0.0)
                clients = min((p["clients"] for p in clean if p["throughput_per_s"] >= 0.95 * best), default=8)
                ctx.say(f"3. thread replies on {kind}: {duration:.0f}s at {clients} clients")
                first_n = next(ledger.counter)
                cpu_before, bench_before, pg_before = bot.cpu_seconds(), time.process_time(), postgres_cpu()
                stats = run_load(bot.port, clients, _reply_worker(ledger, tickets, 99), duration=duration)
                cpu = bot.cpu_seconds() - cpu_before
                bench_cpu, pg_cpu = time.process_time() - bench_before, postgres_cpu_since(pg_before)
                unique = len([1 for _, n in ledger.acked.values() if n > first_n])
                run = {
                    "target": "support-bot",
                    "db": kind,
                    "processes": ctx.processes_for(kind),
                    **stats.as_dict(),
                    **_mem(bot),
                }
                run["unique_events_per_s"] = round(unique / stats.elapsed, 1) if stats.elapsed else 0.0
                run["server_cpu_s"] = round(cpu, 1)
                run["load_generator_and_stub_cpu_s"] = round(bench_cpu, 1)
                run["postgres_cpu_s"] = round(pg_cpu, 1) if kind == "postgres" else None
                run["cpu_capacity_s"] = round((os.cpu_count() or 1) * stats.elapsed, 1)
                run["probes"] = probes
                run.update(_verify_replies(engine, ledger, [t[0] for t in tickets]))
                result["runs"].append(run)
                result.setdefault("server_errors", {})[kind] = bot.errors_logged()[:5]
    return result


# -- 4. scheduler scale --------------------------------------------------------------------------


def _seed_onboarding(
    stub: SlackStub, url: str, count: int, owners: list[str], env: dict[str, str], clock: Callable[[], datetime]
) -> dict[str, Any]:
    """Onboard `count` customers through the real code path (register_channel, start_onboarding,
    then Deps.sync_customer_timers into the persistent job store), one customer at a time, the
    way /onboard does it. The scheduler is started paused, so jobs are stored but none runs."""
    from bot.app import build_runtime
    from config.settings import load_settings
    from fakeslack import bot_env
    from onboarding.customer import CloudProvider, Plan
    from services.onboarding import CustomerRecord, start_onboarding
    from services.tickets import register_channel
    from store import migrate
    from store.db import make_engine

    engine = make_engine(url)
    migrate.upgrade(engine)
    engine.dispose()
    runtime = build_runtime(load_settings(bot_env(stub, url, **env)), clock=clock)
    runtime.scheduler.start(paused=True)
    deps, db = runtime.deps, runtime.db
    policy = deps.reminder_policy
    scheduling = 0.0
    started = time.perf_counter()
    try:
        for i in range(count):
            channel = f"C0ONB{i:06d}"
            now = clock()
            with db.transaction() as session:
                register_channel(
                    session, channel_id=channel, name=f"customer-{i}", is_ext_shared=True, now=now, welcome_key="seed"
                )
            record = CustomerRecord(
                company=f"Customer {i} Inc",
                monthly_events=1_000_000,
                maus=None,
                cloud_provider=CloudProvider.AWS,
                plan=Plan.SCALE,
                monthly_spend=2500,
                cs_owner_id=owners[i % len(owners)],
            )
            with db.transaction() as session:
                customer, _ = start_onboarding(
                    session,
                    channel_id=channel,
                    record=record,
                    started_by=payloads.staff()[0],
                    policy=policy,
                    now=now,
                    request_key=f"seed{i}",
                )
            t0 = time.perf_counter()
            deps.sync_customer_timers(customer)
            scheduling += time.perf_counter() - t0
        onboarded = time.perf_counter() - started
        # Newer code applies alarm changes on a background thread (Deps.timer_sync): wait for it,
        # so "scheduled" means the jobs are in the store.
        timer_sync = getattr(deps, "timer_sync", None)
        if timer_sync is not None:
            deadline = time.monotonic() + 900
            while True:
                try:
                    timer_sync.drain()
                    break
                except TimeoutError:
                    if time.monotonic() > deadline:
                        raise BenchError("the scheduler's job store never caught up") from None
        total = time.perf_counter() - started
        with db.engine.begin() as conn:
            jobs = conn.execute(text("SELECT count(*) FROM apscheduler_jobs")).scalar()
            # The welcome, checklist and A-team posts of these customers would long have been
            # delivered; mark them so, so the start-up below measures the scheduler, not a backlog.
            conn.execute(text("UPDATE outbox SET state = 'sent' WHERE state = 'pending'"))
    finally:
        # APScheduler 3 runs one more _process_jobs pass after shutdown() (state is STOPPED, no
        # longer PAUSED): jobs already due would be submitted to the stopped executor and deleted.
        # Detach the job store first so the seeded jobs stay exactly as stored.
        timer_sync = getattr(deps, "timer_sync", None)
        if timer_sync is not None:
            timer_sync.stop()
        runtime.scheduler._aps.remove_jobstore("default", shutdown=False)
        runtime.scheduler.shutdown()
        db.engine.dispose()
    return {
        "customers": count,
        "jobs_stored": int(jobs or 0),
        "seed_s": round(total, 2),
        "per_customer_ms": round(total / count * 1000, 2),
        "onboarded_s": round(onboarded, 2),  # rows committed; the rest of seed_s is the job store catching up
        "scheduler_sync_s": round(scheduling, 2),  # time inside Deps.sync_customer_timers on the caller's thread
        "jobs_async": timer_sync is not None,
    }


def _startup(stub: SlackStub, url: str, ctx: Ctx, name: str) -> dict[str, Any]:
    bot = bot_process(stub, url, ctx.workdir, name=name, LOG_LEVEL="INFO")
    with _running(bot):
        healthy = bot.healthy_after or 0.0
        ready = bot.wait_for_log("support-bot listening on", 120)
        time.sleep(2.0)
        memory = _mem(bot)
        log = bot.log_path.read_text(errors="replace")
    recreated = [line for line in log.splitlines() if "re-created" in line]
    return {
        "healthz_s": round(healthy, 2),
        "ready_s": round(ready, 2),
        **memory,
        "jobs_recreated_log": recreated[:1],
    }


def _pacing(stub: SlackStub) -> dict[str, Any]:
    """From the stub's arrival times: the closest two chat.postMessage calls to one channel."""
    by_channel: dict[str, list[float]] = defaultdict(list)
    for call in stub.calls_to("chat.postMessage"):
        by_channel[str(call.args.get("channel"))].append(call.at)
    gaps = []
    worst: tuple[float, str] | None = None
    for channel, times in by_channel.items():
        times.sort()
        for a, b in itertools.pairwise(times):
            gaps.append(b - a)
            if worst is None or b - a < worst[0]:
                worst = (b - a, channel)
    return {
        "channels": len(by_channel),
        "min_gap_s": round(worst[0], 3) if worst else None,
        "min_gap_channel": worst[1] if worst else None,
        "gaps_under_1s": sum(1 for g in gaps if g < 1.0),
        "gaps_under_0_9s": sum(1 for g in gaps if g < 0.9),
    }


def scenario_scheduler(ctx: Ctx, kinds: list[str]) -> dict[str, Any]:
    result: dict[str, Any] = {"name": "scheduler", "title": "scheduler scale", "runs": []}
    n_customers = 200 if ctx.quick else 10_000
    n_nudges, n_owners = (30, 10) if ctx.quick else (1000, 50)
    nudge_after = 2 if ctx.quick else 5
    owners = [f"U0OWN{i:02d}" for i in range(n_owners)]
    for kind in kinds:
        with slack_stub() as stub:
            payloads.add_people(stub)
            for owner in owners:
                stub.add_user(owner, HOST_TEAM)
            run: dict[str, Any] = {"db": kind, "seeded_via": "services.onboarding.start_onboarding + Scheduler.sync"}

            if not ctx.quick:  # for comparison: the same server on an empty database
                with database(ctx.dbs, kind, "empty") as url:
                    from store import migrate
                    from store.db import make_engine

                    engine = make_engine(url)
                    migrate.upgrade(engine)
                    engine.dispose()
                    run["empty_db_start"] = _startup(stub, url, ctx, "bot-empty")

            ctx.say(f"4. scheduler on {kind}: onboarding {n_customers} customers")
            with database(ctx.dbs, kind, "sched") as url:
                run["schedule_all"] = _seed_onboarding(stub, url, n_customers, owners, {}, lambda: datetime.now(UTC))
                ctx.say(f"4. scheduler on {kind}: start-up with {run['schedule_all']['jobs_stored']} jobs")
                run["start_with_jobs"] = _startup(stub, url, ctx, "bot-jobs")

            ctx.say(f"4. scheduler on {kind}: {n_nudges} nudges due at once to {n_owners} CS owners")
            env = {
                "SUPPORT_DASHBOARD_NUDGE_AFTER": f"{nudge_after}s",
                "SUPPORT_DASHBOARD_NUDGE_EVERY": "1d",
                "SUPPORT_DASHBOARD_NUDGE_MAX": "5",
            }
            with database(ctx.dbs, kind, "nudge") as url, _engine(url) as engine:
                t0 = datetime.now(UTC)  # every customer starts at t0, so every first nudge is due at once
                seeded = _seed_onboarding(stub, url, n_nudges, owners, env, lambda t0=t0: t0)
                due_at = time.monotonic() + (t0.timestamp() + nudge_after - time.time())
                if due_at > time.monotonic():
                    time.sleep(due_at - time.monotonic())
                before = len(stub.calls_to("chat.postMessage"))
                bot = bot_process(stub, url, ctx.workdir, name="bot-nudges", **env)
                spawned = time.monotonic()
                with _running(bot):
                    healthy = time.monotonic()

                    def nudges(before: int = before) -> list[Any]:
                        return [
                            c
                            for c in stub.calls_to("chat.postMessage")[before:]
                            if "dashboard-setup call" in str(c.args.get("text"))
                        ]

                    _settle(lambda: len(nudges()) >= n_nudges, 60 if ctx.quick else 240, 0.1)
                    delivered = nudges()
                    done_at = max((c.at for c in delivered), default=time.monotonic())
                    time.sleep(2.0)  # anything sent twice would show up now
                    final = nudges()
                    sent_rows = _scalar(engine, "SELECT count(*) FROM customers WHERE nudges_sent = 1")
                    memory = _mem(bot)
                    errors = bot.errors_logged()[:5]
                run["nudges"] = {
                    "customers": n_nudges,
                    "cs_owners": n_owners,
                    "seed_s": seeded["seed_s"],
                    "delivered": len(delivered),
                    "delivered_after_2s_more": len(final),
                    "distinct_customers": len({str(c.args.get("text")) for c in final}),
                    "customers_marked_sent": int(sent_rows or 0),
                    "all_delivered_s_after_start": round(done_at - spawned, 2),
                    "all_delivered_s_after_healthz": round(done_at - healthy, 2),
                    "pacing": _pacing(stub),
                    **memory,
                }
                result.setdefault("server_errors", {})[kind] = errors
            result["runs"].append(run)
    return result


# -- 5. App Home ---------------------------------------------------------------------------------


def _home_sizes(quick: bool) -> tuple[int, int, int]:
    """(customers, tickets, builds)."""
    return (100, 1000, 5) if quick else (1000, 10_000, 100)


def _home_round_trips(server: ServerProcess, stub: SlackStub, user: str, count: int) -> dict[str, Any]:
    """`app_home_opened` for a staff user, one at a time: ms until its views.publish reached the stub."""
    timings: list[float] = []
    blocks = 0
    conn = Connection(server.port)
    try:
        for _ in range(count):
            before = len(stub.calls_to("views.publish"))
            started = time.perf_counter()
            body, content_type = payloads.home_opened(user)
            status, data = conn.post(body, content_type)
            if status != 200:
                raise BenchError(f"app_home_opened answered {status}: {data[:200]!r}")
            _wait(lambda b=before: len(stub.calls_to("views.publish")) > b, 30, "views.publish", 0.001)
            timings.append((time.perf_counter() - started) * 1000)
            view = stub.calls_to("views.publish")[-1].args.get("view") or {}
            if isinstance(view, str):
                view = json.loads(view)
            blocks = max(blocks, len(view.get("blocks") or []))
    finally:
        conn.close()
    timings.sort()
    return {
        "requests": count,
        "p50_ms": round(percentile(timings, 50), 1),
        "p95_ms": round(percentile(timings, 95), 1),
        "p99_ms": round(percentile(timings, 99), 1),
        "max_blocks": blocks,
    }


def scenario_app_home(ctx: Ctx, kinds: list[str]) -> dict[str, Any]:
    """Seed the customers and open tickets, time the Home build in-process (the database read and the
    Block Kit builder), then time `app_home_opened` → views.publish through a running bot."""
    customers, tickets, builds = _home_sizes(ctx.quick)
    result: dict[str, Any] = {
        "name": "app_home",
        "title": f"App Home build ({customers:,} customers, {tickets:,} open tickets)",
        "runs": [],
    }
    with slack_stub() as stub:
        payloads.add_people(stub)
        for kind in kinds:
            ctx.say(f"5. App Home on {kind}: seeding {customers} customers and {tickets} tickets")
            with database(ctx.dbs, kind, "home") as url:
                built = measure_app_home(url, customers, tickets, builds)
                bot = bot_process(stub, url, ctx.workdir, name=f"home-{kind}", LOG_LEVEL="INFO")
                with _running(bot):
                    # The seeded tickets came without their SLA alarms: let the leader's first
                    # reconcile re-create them before timing, so it does not share the CPU.
                    bot.wait_for_log("re-created", 300)
                    trips = _home_round_trips(bot, stub, payloads.staff()[0], builds)
                    memory = _mem(bot)
                result["runs"].append({"db": kind, "build": built, "event_to_publish": trips, **memory})
                result.setdefault("server_errors", {})[kind] = bot.errors_logged()[:5]
    return result


SCENARIOS: dict[str, Callable[[Ctx, list[str]], dict[str, Any]]] = {
    "ack": scenario_ticket_ack,
    "submit": scenario_ticket_submission,
    "replies": scenario_thread_replies,
    "scheduler": scenario_scheduler,
    "apphome": scenario_app_home,
}
