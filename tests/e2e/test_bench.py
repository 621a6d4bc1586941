"""`python -m bench --quick` keeps working: every scenario runs, moves data, loses and doubles nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support import REPO


@pytest.mark.timeout(270)
def test_quick_benchmark_runs_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    results = report["results"]
    assert set(results) == {"ack", "submit", "replies", "scheduler", "apphome", "conversations", "burst"}
    assert "targets" in done.stdout and "/ticket ack" in done.stdout

    # /ticket (issue 19): the two plain Bolt baselines and support-bot, in both connection modes, with
    # ratios to the plain app that opens the form; every form opened within its trigger's 3 s.
    ack = results["ack"]["runs"]
    modes = ("new connection", "kept alive")
    assert {(r["target"], r["mode"]) for r in ack} == {
        (t, m) for t in ("plain+form", "plain", "support-bot") for m in modes
    }
    assert all(r["clients"] == 20 and r["requests"] > 0 and r["errors"] == 0 for r in ack)
    for run in ack:
        assert run["cpu_ms_per_command"]["server"] > 0
        if run["target"] == "plain+form":
            assert run["p99_ms_vs_plain_form"] == 1.0
        if run["target"] == "plain":
            assert "modal_p99_ms" not in run
        else:
            assert 0 < run["modal_p50_ms"] <= run["modal_p99_ms"] <= run["modal_max_ms"] < 3000
            assert run["modals_late"] == run["modals_missing"] == 0
        if run["target"] == "support-bot":
            assert run["p99_ms_vs_plain_form"] > 0 and run["modal_p99_vs_plain_form"] > 0
    for words in ("plain Bolt, ack + views.open", "plain Bolt, ack only", "support-bot serve", *modes):
        assert words in done.stdout
    assert "form p99 (x)" in done.stdout

    submit = results["submit"]["runs"]
    assert [r["clients"] for r in submit] == [5, 20]
    for run in submit:
        assert run["throughput_per_s"] > 0
        assert run["tickets_acked"] == run["tickets_stored"] == run["tickets_posted"] > 0

    replies = results["replies"]["runs"]
    assert replies and replies[0]["db"] == "sqlite"
    for run in replies:
        assert run["throughput_per_s"] > 0 and run["events_acked"] > 0
        assert run["lost"] == 0 and run["duplicated"] == 0 and run["event_ids_not_recorded"] == 0
        assert run["retries_sent"] > 0

    # Customer messages: the bare Bolt baseline and the bot under the same offered load; every acked
    # message is one conversation, retries included, and every one got its 👀.
    bare, conv = results["conversations"]["runs"]
    assert bare["target"] == "bare" and conv["target"] == "support-bot"
    assert bare["target_rate_per_s"] == conv["target_rate_per_s"] and bare["clients"] == conv["clients"]
    for run in (bare, conv):
        assert run["new_per_s"] > 0 and run["errors"] == 0 and run["p50_ms"] <= run["p99_ms"]
    assert conv["messages_acked"] == conv["messages_sent"] == conv["conversations_stored"] > 0
    assert conv["lost"] == conv["doubled"] == conv["event_ids_not_recorded"] == conv["stored_but_not_acked"] == 0
    assert conv["retries_sent"] > 0 and conv["heard"] == conv["messages_acked"]
    assert 0 <= conv["in_triage"] <= conv["conversations_stored"] and conv["p99_ms_vs_bare"] > 0
    assert 0 < conv["heard_p50_s"] <= conv["heard_max_s"]
    assert bare["server_cpu_ms_per_message"] > 0 and conv["server_cpu_vs_bare"] > 0
    assert "new conversations/s" in done.stdout

    # A burst: every conversation stored once and, within the timeout, visible in triage, no two
    # triage posts less than a second apart.
    (burst,) = results["burst"]["runs"]
    assert burst["messages_acked"] == burst["conversations_stored"] > 0
    assert burst["lost"] == burst["doubled"] == 0 and burst["heard"] == burst["messages_acked"]
    assert 0 < burst["heard_p50_s"] <= burst["heard_max_s"]
    assert burst["all_in_triage"] and burst["in_triage"] == burst["conversations_stored"]
    assert 0 < burst["all_in_triage_s_after_last"] < burst["timeout_s"]
    assert burst["triage_gaps_under_1s"] == 0
    assert "visible in triage" in done.stdout

    (sched,) = results["scheduler"]["runs"]
    assert sched["schedule_all"]["jobs_stored"] > 0 and sched["start_with_jobs"]["ready_s"] > 0
    nudges = sched["nudges"]
    assert nudges["delivered_after_2s_more"] == nudges["distinct_customers"] == nudges["customers"]

    (home,) = results["apphome"]["runs"]
    assert home["build"]["builds"] == home["event_to_publish"]["requests"] > 0
    assert home["build"]["p99_ms"] > 0 and home["event_to_publish"]["p99_ms"] > 0
    # The staff Home lists open tickets, within Slack's 100-block limit for a Home view.
    assert 10 < home["build"]["max_blocks"] <= 100 and 10 < home["event_to_publish"]["max_blocks"] <= 100


def test_modal_latency_counts_late_and_missing_forms() -> None:
    from bench.scenarios import _modal_latency

    sent = {"a": 10.0, "b": 10.0, "c": 10.0, "d": 10.0}
    opened = {"a": 10.010, "b": 10.020, "c": 13.5, "x": 11.0}  # c is too late, d never opened
    got = _modal_latency(sent, opened)
    assert got["modal_p50_ms"] == pytest.approx(20.0)
    assert got["modal_max_ms"] == pytest.approx(3500.0)
    assert got["modals_late"] == 2


def test_the_stub_in_its_own_process_answers_and_reports() -> None:
    """The ack scenario's stub runs in a child process; what it saw comes back over its pipe."""
    import urllib.request

    from bench.remote_stub import remote_slack_stub

    minimal_modal = {  # the smallest modal Slack accepts
        "type": "modal",
        "title": {"type": "plain_text", "text": "Bench"},
        "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}],
    }
    with remote_slack_stub() as stub:
        stub.add_user("U1", "T1")
        request = urllib.request.Request(
            stub.url + "views.open",
            data=json.dumps({"trigger_id": "t-1", "view": minimal_modal}).encode(),
            headers={"Content-Type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as answer:
            assert json.loads(answer.read())["ok"] is True
        with urllib.request.urlopen(stub.url + "users.info?user=U1", timeout=10) as answer:
            assert json.loads(answer.read())["user"]["team_id"] == "T1"
        assert stub.count("views.open") == 1
        assert list(stub.arrivals("views.open", "trigger_id")) == ["t-1"]
        process = stub._process
    assert process.poll() is not None  # stopped with the context
