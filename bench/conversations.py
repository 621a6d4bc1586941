"""Scenarios 6 and 7 (issue 16, "every customer message is heard"): top-level customer messages.

6 `conversations`: customers' top-level messages (Events API `message` event_callbacks, signed),
each from a different customer, spread over the customer channels, so none groups with another and
each starts a conversation; sent at a target rate (open loop: each client has its own schedule and
sends back to back only when behind it), a share re-sent as Slack re-sends (same body, same event
id, `X-Slack-Retry-Num` / `X-Slack-Retry-Reason`), some at the same moment as the original. The
same load first goes to the bare Bolt baseline (bench/bare_app.py, whose `message` listener does
nothing) on as many processes, so rate and latency come with same-run ratios. Then, from the
database: every acked message has exactly one ticket (source 'message'), no message has two, every
event id is recorded; from the stub: every message got its 👀, and how many conversations are
visible in the triage channel when the run ends.

7 `burst`: N conversations within a few seconds (200 in 10 s), on a fresh server whose outbox is
idle; the time from the last message to the moment every one of them is visible in the triage
channel (a chat.postMessage or chat.update there carrying its `#number`), up to a timeout.
"""

from __future__ import annotations

import itertools
import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from bench import payloads
from bench.infra import bare_process, bot_process, database, postgres_cpu, postgres_cpu_since, proc_cpu_seconds
from bench.load import Client, LoadStats, percentile, run_load
from bench.remote_stub import RemoteStub, remote_slack_stub
from bench.scenarios import _engine, _mem, _rows, _running, _scalar, _wait, join_channels
from fakeslack import CUSTOMER_TEAM, TRIAGE
from fakeslack.messages import person_message

RETRY_SHARE = 0.08  # re-sent after the original was answered (Slack did not see the answer in time)
RACE_SHARE = 0.02  # re-sent while the original is still being answered
HEARD = "eyes"


def _pick_kind(kinds: list[str]) -> list[str]:
    """The issue's targets are for PostgreSQL: run there when it is available, else on the first."""
    return ["postgres"] if "postgres" in kinds else kinds[:1]


@dataclass
class Ledger:
    """Every message sent and acked, shared by the client threads."""

    prefix: str
    counter: Iterator[int] = field(default_factory=lambda: itertools.count(1))
    sent: dict[str, tuple[str, str, float]] = field(default_factory=dict)  # event id -> (channel, ts, sent at)
    acked: dict[str, int] = field(default_factory=dict)  # event id -> n (order of sending)
    retries: int = 0
    races: int = 0
    max_lag_s: float = 0.0  # how far behind its schedule a client sent a message, at worst
    last_sent: float = 0.0  # time.monotonic of the last message sent
    lock: threading.Lock = field(default_factory=threading.Lock)


def _message(ledger: Ledger, channel: str, n: int) -> tuple[bytes, str, str, str]:
    """A customer's top-level message in `channel` from a customer of its own: (body, type, event id, ts)."""
    ts = f"{int(time.time())}.{n:06d}"
    user = f"U0CV{payloads.RUN}{n:06d}"
    text = f"Our exports to S3 have failed since this morning, case {n}: the job says access denied"
    event_id = f"{ledger.prefix}{payloads.RUN}{n:07d}"
    said = person_message(channel, user, text, ts=ts, team=CUSTOMER_TEAM)
    body, content_type = payloads.event(said, event_id)
    return body, content_type, event_id, ts


def message_worker(
    ledger: Ledger, chans: list[str], rate: float, clients: int, seed: int, total: int | None = None
) -> Callable[[Client], None]:
    """Client i sends its k-th message at start + (k * clients + i) / rate (all clients together: `rate`
    a second), until the run's duration or, with `total`, until that many were sent by all."""

    def worker(client: Client) -> None:
        rng = random.Random(seed * 1000 + client.index)
        start = time.perf_counter()
        sent: dict[str, tuple[str, str, float]] = {}
        acked: dict[str, int] = {}
        retries = races = 0
        lag = 0.0
        for k in itertools.count():
            slot = k * clients + client.index
            if total is not None and slot >= total:
                break
            due = start + slot / rate
            wait = due - time.perf_counter()
            if wait > 0:
                time.sleep(wait)
            if client.expired():
                break
            lag = max(lag, time.perf_counter() - due)
            n = next(ledger.counter)
            channel = chans[n % len(chans)]
            body, content_type, event_id, ts = _message(ledger, channel, n)
            sent[event_id] = (channel, ts, time.monotonic())
            roll = rng.random()
            how = "race" if roll < RACE_SHARE else "retry" if roll < RACE_SHARE + RETRY_SHARE else "once"
            ok = client.send_as_slack(body, content_type, how, payloads.retry_headers(1, "http_timeout"))
            if ok is None:
                continue
            races, retries = races + (how == "race"), retries + (how == "retry")
            if ok:
                acked[event_id] = n
        with ledger.lock:
            ledger.sent.update(sent)
            ledger.acked.update(acked)
            ledger.retries += retries
            ledger.races += races
            ledger.max_lag_s = max(ledger.max_lag_s, lag)
            ledger.last_sent = max([ledger.last_sent, *(at for _, _, at in sent.values())])

    return worker


def _load_run(
    stats: LoadStats, ledger: Ledger, first_n: int, rate: float, target: str, db: str, processes: int
) -> dict[str, Any]:
    """The run's figures: new messages acked per second (retries not counted), latency of every
    request (retries included), how far behind schedule the clients fell."""
    new = sum(1 for n in ledger.acked.values() if n >= first_n)
    return {
        "target": target,
        "db": db,
        "processes": processes,
        **stats.as_dict(),
        "target_rate_per_s": rate,
        "new_per_s": round(new / stats.elapsed, 1) if stats.elapsed else 0.0,
        "behind_schedule_max_s": round(ledger.max_lag_s, 3),
    }


def _verify(engine: Any, ledger: Ledger) -> dict[str, Any]:
    """From the database: each acked message has exactly one conversation (source 'message') and its
    event id recorded; none has two."""
    tickets: dict[tuple[str, str], list[int]] = {}
    for ticket_id, channel, ts, source in _rows(
        engine, "SELECT id, channel_id, thread_ts, source FROM tickets WHERE thread_ts IS NOT NULL"
    ):
        if source == "message":
            tickets.setdefault((channel, ts), []).append(ticket_id)
    threads: dict[tuple[str, str], int] = {}
    for channel, ts, count in _rows(
        engine, "SELECT channel_id, thread_ts, count(*) FROM ticket_threads GROUP BY channel_id, thread_ts"
    ):
        threads[(channel, ts)] = int(count)
    claimed = {
        r[0]
        for r in _rows(
            engine, "SELECT event_id FROM processed_events WHERE event_id LIKE :p", p=f"{ledger.prefix}{payloads.RUN}%"
        )
    }
    acked = {eid: ledger.sent[eid][:2] for eid in ledger.acked}
    lost = [eid for eid, key in acked.items() if key not in tickets]
    doubled = sum(len(ids) - 1 for ids in tickets.values() if len(ids) > 1)
    doubled += sum(count - 1 for count in threads.values() if count > 1)
    unacked_keys = {ledger.sent[eid][:2] for eid in ledger.sent if eid not in ledger.acked}
    return {
        "messages_sent": len(ledger.sent),
        "messages_acked": len(ledger.acked),
        "retries_sent": ledger.retries,
        "racing_duplicates_sent": ledger.races,
        "conversations_stored": sum(1 for key in acked.values() if key in tickets),
        "lost": len(lost),
        "lost_samples": lost[:5],
        "doubled": doubled,
        "event_ids_not_recorded": sum(1 for eid in acked if eid not in claimed),
        "stored_but_not_acked": sum(1 for key in unacked_keys if key in tickets),
        "numbers": {key: ids[0] for key, ids in tickets.items()},
    }


def _heard(stub: RemoteStub, ledger: Ledger) -> int:
    """How many acked messages carry the bot's 👀 now."""
    reacted = stub.reacted(HEARD)
    return sum(1 for eid in ledger.acked if ledger.sent[eid][:2] in reacted)


def _heard_delays(stub: RemoteStub, ledger: Ledger) -> dict[str, float | None]:
    """From each acked message leaving the client to the bot's 👀 on it reaching the stub: p50 and max (s)."""
    added = stub.arrivals("reactions.add", "timestamp")  # message ts -> first call (ts are unique per run)
    delays = sorted(added[ts] - at for eid in ledger.acked for _, ts, at in [ledger.sent[eid]] if ts in added)
    return {
        "heard_p50_s": round(percentile(delays, 50), 2) if delays else None,
        "heard_max_s": round(delays[-1], 2) if delays else None,
    }


def _triage_seen(stub: RemoteStub, numbers: list[int]) -> tuple[dict[int, float], dict[str, Any]]:
    seen = stub.ticket_numbers_seen(TRIAGE)
    first = {int(k): v for k, v in seen["first_seen"].items()}
    return {n: first[n] for n in numbers if n in first}, seen


def _settle(predicate: Callable[[], bool], timeout: float, interval: float) -> bool:
    deadline = time.monotonic() + timeout
    while True:
        if predicate():
            return True
        if time.monotonic() >= deadline:
            return False
        time.sleep(interval)


def _min_gap(times: list[float], since: float) -> tuple[float | None, int]:
    times = sorted(t for t in times if t >= since)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    return (round(min(gaps), 3) if gaps else None), sum(1 for g in gaps if g < 1.0)


def _idle_outbox(engine: Any, timeout: float) -> None:
    _wait(lambda: _pending(engine) == 0, timeout, "the outbox to drain", 0.2)


# -- 6. conversations ----------------------------------------------------------------------------


def _conversation_sizes(quick: bool) -> dict[str, float]:
    if quick:
        return {"rate": 100.0, "clients": 8, "warm_up_s": 1.0, "duration_s": 3.0, "channels": 10, "triage_wait_s": 0.0}
    return {"rate": 500.0, "clients": 32, "warm_up_s": 3.0, "duration_s": 30.0, "channels": 100, "triage_wait_s": 30.0}


def scenario_conversations(ctx: Any, kinds: list[str]) -> dict[str, Any]:
    size = _conversation_sizes(ctx.quick)
    rate, clients, duration = size["rate"], int(size["clients"]), size["duration_s"]
    result: dict[str, Any] = {
        "name": "conversations",
        "title": f"customer messages -> conversations at {rate:.0f}/s",
        "runs": [],
    }
    chans = payloads.channels(int(size["channels"]), "C0CONV")
    with remote_slack_stub() as stub:
        payloads.add_people(stub)
        for kind in _pick_kind(kinds):
            processes = ctx.processes_for(kind)
            times = f" x{processes}" if processes > 1 else ""

            ctx.say(f"6. conversations: bare Bolt baseline{times}, {rate:.0f}/s for {duration:.0f}s")
            bare = bare_process(stub, ctx.workdir, processes=processes)
            with _running(bare):
                ledger = Ledger("EvB")
                run_load(bare.port, clients, message_worker(ledger, chans, rate, clients, 1), size["warm_up_s"])
                first_n = next(ledger.counter)
                ledger.max_lag_s = 0.0
                cpu_before = bare.cpu_seconds()
                stats = run_load(bare.port, clients, message_worker(ledger, chans, rate, clients, 2), duration)
                baseline = _load_run(stats, ledger, first_n, rate, "bare", "-", processes)
                baseline["server_cpu_s"] = round(bare.cpu_seconds() - cpu_before, 1)
                baseline["server_cpu_ms_per_message"] = _per_message(baseline["server_cpu_s"], stats)
                baseline.update(_mem(bare))
            result["runs"].append(baseline)

            ctx.say(f"6. conversations: support-bot on {kind}{times}, {rate:.0f}/s for {duration:.0f}s")
            with database(ctx.dbs, kind, "conv") as url, _engine(url) as engine:
                bot = bot_process(stub, url, ctx.workdir, **ctx.server_env(kind))
                with _running(bot):
                    join_channels(bot, stub, chans)
                    _idle_outbox(engine, 60 + len(chans))
                    ledger = Ledger("EvC")
                    run_load(bot.port, clients, message_worker(ledger, chans, rate, clients, 1), size["warm_up_s"])
                    first_n = next(ledger.counter)
                    ledger.max_lag_s = 0.0
                    cpu_before, bench_before, pg_before = bot.cpu_seconds(), time.process_time(), postgres_cpu()
                    stub_before = proc_cpu_seconds(stub.pid)
                    stats = run_load(bot.port, clients, message_worker(ledger, chans, rate, clients, 2), duration)
                    cpu = bot.cpu_seconds() - cpu_before
                    bench_cpu, pg_cpu = time.process_time() - bench_before, postgres_cpu_since(pg_before)
                    stub_cpu = proc_cpu_seconds(stub.pid) - stub_before
                    ended = time.monotonic()
                    run = _load_run(stats, ledger, first_n, rate, "support-bot", kind, processes)
                    run.update(_mem(bot))
                    for pct in ("p50_ms", "p99_ms"):
                        run[f"{pct}_vs_bare"] = round(run[pct] / baseline[pct], 2) if baseline[pct] else None
                    base_rate = baseline["new_per_s"]
                    run["new_per_s_vs_bare"] = round(run["new_per_s"] / base_rate, 2) if base_rate else None
                    run["server_cpu_s"] = round(cpu, 1)
                    run["server_cpu_ms_per_message"] = _per_message(cpu, stats)
                    base_cpu = baseline["server_cpu_ms_per_message"]
                    run["server_cpu_vs_bare"] = (
                        round(run["server_cpu_ms_per_message"] / base_cpu, 1) if base_cpu else None
                    )
                    run["postgres_cpu_ms_per_message"] = _per_message(pg_cpu, stats) if kind == "postgres" else None
                    run["load_generator_cpu_s"] = round(bench_cpu, 1)
                    run["slack_stub_cpu_s"] = round(stub_cpu, 1)
                    run["postgres_cpu_s"] = round(pg_cpu, 1) if kind == "postgres" else None
                    run["cpu_capacity_s"] = round((os.cpu_count() or 1) * stats.elapsed, 1)
                    checked = _verify(engine, ledger)
                    numbers = list(checked.pop("numbers").values())
                    run.update(checked)
                    # Every 👀 (one reaction per message, not paced): wait for the outbox to deliver them.
                    heard_wait = 30 + len(ledger.acked) / 50
                    _settle(lambda ledger=ledger: _heard(stub, ledger) >= len(ledger.acked), heard_wait, 0.5)
                    run["heard"] = _heard(stub, ledger)
                    run.update(_heard_delays(stub, ledger))
                    run["heard_s_after_last"] = round(time.monotonic() - ended, 1)
                    # Triage: a card each, or burst summaries of up to 40, paced to 1 post/s in one channel.
                    _settle(
                        lambda numbers=numbers: len(_triage_seen(stub, numbers)[0]) >= len(numbers),
                        size["triage_wait_s"],
                        1.0,
                    )
                    seen, _ = _triage_seen(stub, numbers)
                    run["in_triage"] = len(seen)
                    run["in_triage_s_after_last"] = round(time.monotonic() - ended, 1)
                    run["outbox_pending"] = _pending(engine)
                    result.setdefault("server_errors", {})[kind] = bot.errors_logged()[:5]
            result["runs"].append(run)
    return result


def _per_message(cpu_s: float, stats: LoadStats) -> float:
    """CPU milliseconds per request answered (retries count: each is a request the server handled)."""
    answered = stats.requests - stats.errors
    return round(cpu_s * 1000 / answered, 3) if answered else 0.0


def _pending(engine: Any) -> int:
    return int(_scalar(engine, "SELECT count(*) FROM outbox WHERE state = 'pending'") or 0)


# -- 7. burst ------------------------------------------------------------------------------------


def _burst_sizes(quick: bool) -> dict[str, float]:
    if quick:
        return {"conversations": 10, "window_s": 1.0, "clients": 2, "channels": 5, "timeout_s": 60.0}
    return {"conversations": 200, "window_s": 10.0, "clients": 4, "channels": 40, "timeout_s": 300.0}


def scenario_burst(ctx: Any, kinds: list[str]) -> dict[str, Any]:
    size = _burst_sizes(ctx.quick)
    total, window, clients = int(size["conversations"]), size["window_s"], int(size["clients"])
    result: dict[str, Any] = {
        "name": "burst",
        "title": f"{total} conversations in {window:.0f} s -> all visible in triage",
        "runs": [],
    }
    chans = payloads.channels(int(size["channels"]), "C0BURST")
    with remote_slack_stub() as stub:
        payloads.add_people(stub)
        for kind in _pick_kind(kinds):
            processes = ctx.processes_for(kind)
            with database(ctx.dbs, kind, "burst") as url, _engine(url) as engine:
                bot = bot_process(stub, url, ctx.workdir, **ctx.server_env(kind))
                with _running(bot):
                    join_channels(bot, stub, chans)
                    _idle_outbox(engine, 60 + len(chans))  # triage's backlog is the burst's alone
                    ctx.say(f"7. burst on {kind}: {total} conversations in {window:.0f}s")
                    began = time.monotonic()
                    ledger = Ledger("EvU")
                    worker = message_worker(ledger, chans, total / window, clients, 7, total=total)
                    stats = run_load(bot.port, clients, worker)
                    last = ledger.last_sent
                    checked = _verify(engine, ledger)
                    by_key = checked.pop("numbers")
                    numbers = list(by_key.values())
                    ctx.say(f"7. burst on {kind}: waiting (up to {size['timeout_s']:.0f}s) for triage to show all")
                    everything = _settle(
                        lambda numbers=numbers: len(_triage_seen(stub, numbers)[0]) >= len(numbers) > 0,
                        size["timeout_s"],
                        0.5,
                    )
                    seen, raw = _triage_seen(stub, numbers)
                    sent_at = {
                        by_key[ledger.sent[eid][:2]]: ledger.sent[eid][2]
                        for eid in ledger.acked
                        if ledger.sent[eid][:2] in by_key
                    }
                    delays = sorted(seen[n] - sent_at[n] for n in seen if n in sent_at)
                    min_gap, under_1s = _min_gap(raw["post_times"], began)
                    _settle(lambda ledger=ledger: _heard(stub, ledger) >= len(ledger.acked), 30, 0.5)
                    run = {
                        "target": "support-bot",
                        "db": kind,
                        "processes": processes,
                        **stats.as_dict(),
                        **checked,
                        "sent_over_s": round(last - began, 1),
                        "in_triage": len(seen),
                        "all_in_triage": everything,
                        "timeout_s": size["timeout_s"],
                        # From the last message sent to the last conversation showing in triage (None: not all did).
                        "all_in_triage_s_after_last": round(max(seen.values()) - last, 1) if everything else None,
                        "in_triage_p50_s": round(percentile(delays, 50), 1) if delays else None,
                        "in_triage_max_s": round(delays[-1], 1) if delays else None,
                        "triage_posts": sum(1 for t in raw["post_times"] if t >= began),
                        "triage_updates": raw["updates"],
                        "triage_min_gap_s": min_gap,
                        "triage_gaps_under_1s": under_1s,
                        "heard": _heard(stub, ledger),
                        **_heard_delays(stub, ledger),
                        **_mem(bot),
                    }
                    result.setdefault("server_errors", {})[kind] = bot.errors_logged()[:5]
            result["runs"].append(run)
    return result
