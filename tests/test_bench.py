"""`python -m bench --quick` keeps working: every scenario runs, moves data, loses and doubles nothing."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent


@pytest.mark.timeout(180)
def test_quick_benchmark_runs_every_scenario(tmp_path: Path) -> None:
    out = tmp_path / "bench.json"
    done = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=150,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    report = json.loads(out.read_text())
    results = report["results"]
    assert set(results) == {"ack", "submit", "replies", "scheduler", "apphome"}
    assert "targets" in done.stdout and "/ticket ack" in done.stdout

    ack = results["ack"]["runs"]
    assert {(r["target"], r["clients"]) for r in ack} >= {("bare", 20), ("bare+modal", 20), ("support-bot", 20)}
    assert all(r["throughput_per_s"] > 0 and r["requests"] > 0 for r in ack)
    for opened, sent in results["ack"]["modals_opened"].values():
        assert opened == sent

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

    (sched,) = results["scheduler"]["runs"]
    assert sched["schedule_all"]["jobs_stored"] > 0 and sched["start_with_jobs"]["ready_s"] > 0
    nudges = sched["nudges"]
    assert nudges["delivered_after_2s_more"] == nudges["distinct_customers"] == nudges["customers"]

    (home,) = results["apphome"]["runs"]
    assert home["build"]["builds"] == home["event_to_publish"]["requests"] > 0
    assert home["build"]["p99_ms"] > 0 and home["event_to_publish"]["p99_ms"] > 0
    # The staff Home lists open tickets, within Slack's 100-block limit for a Home view.
    assert 10 < home["build"]["max_blocks"] <= 100 and 10 < home["event_to_publish"]["max_blocks"] <= 100
