"""The support-bot command as an operator runs it: start-up errors, serve, SIGTERM, migrate, export."""

from __future__ import annotations

import argparse
import csv
import io
import json
import re
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fakeslack import CUSTOMER, TRIAGE, SlackStub, bot_env
from tests.support import CLI, REPO, BotUnderTest, file_ticket, free_port, run_cli, subprocess_cwd, subprocess_environ


def test_console_script_is_installed() -> None:
    assert shutil.which("support-bot") or Path(sys.executable).with_name("support-bot").exists()


@pytest.mark.parametrize(
    ("change", "setting"),
    [
        ({"SLACK_BOT_TOKEN": ""}, "SLACK_BOT_TOKEN"),
        ({"SLACK_BOT_TOKEN": "not-a-token"}, "SLACK_BOT_TOKEN"),
        ({"SLACK_SIGNING_SECRET": ""}, "SLACK_SIGNING_SECRET"),
        ({"SUPPORT_TRIAGE_CHANNEL": "#triage"}, "SUPPORT_TRIAGE_CHANNEL"),
        ({"PORT": "eighty"}, "PORT"),
        ({"PORT": "70000"}, "PORT"),
        ({"SLACK_API_BASE_URL": "ftp://example"}, "SLACK_API_BASE_URL"),
        ({"DATABASE_URL": "mysql://x"}, "DATABASE_URL"),
        ({"SUPPORT_SLA_HIGH": "soon"}, "SUPPORT_SLA_HIGH"),
        ({"SUPPORT_AUTO_MIGRATE": "maybe"}, "SUPPORT_AUTO_MIGRATE"),
        ({"SUPPORT_PROCESSES": "0"}, "SUPPORT_PROCESSES"),
        ({"SUPPORT_PROCESSES": "2"}, "SUPPORT_PROCESSES"),  # on SQLite: one process per database
    ],
)
def test_bad_setting_stops_startup_with_one_line(tmp_path: Path, change: dict[str, str], setting: str) -> None:
    env = {
        **{
            "SLACK_BOT_TOKEN": "xoxb-1-2-3",
            "SLACK_SIGNING_SECRET": "secret",
            "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE",
            "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
            "SLACK_API_BASE_URL": "http://127.0.0.1:9/api/",
        },
        **change,
    }
    result = run_cli("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and setting in lines[0], result.stderr
    assert "Traceback" not in result.stderr


UNREACHABLE_DATABASE = {
    "SLACK_BOT_TOKEN": "xoxb-1-2-3",
    "SLACK_SIGNING_SECRET": "secret",
    "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE",
    "DATABASE_URL": "postgresql://nobody@127.0.0.1:1/none",
}


def test_unreachable_database_is_one_line(tmp_path: Path) -> None:
    result = run_cli("serve", env=UNREACHABLE_DATABASE)
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "DATABASE_URL" in result.stderr


def test_several_processes_that_cannot_start_stop_the_parent_with_the_reason(tmp_path: Path) -> None:
    # Slack is not there either: the parent's token check warns, then the children stop on the database.
    env = {
        **UNREACHABLE_DATABASE,
        "SUPPORT_PROCESSES": "2",
        "SLACK_API_BASE_URL": f"http://127.0.0.1:{free_port()}/api/",
    }
    result = run_cli("serve", "--port", str(free_port()), env=env)
    assert result.returncode == 2
    assert "DATABASE_URL: cannot connect" in result.stderr  # a child's own one-line reason
    assert "could not start" in result.stderr.splitlines()[-1]  # then the parent's
    assert "Traceback" not in result.stderr


def test_auto_migrate_off_refuses_an_old_schema(tmp_path: Path) -> None:
    env = {
        "SLACK_BOT_TOKEN": "xoxb-1-2-3",
        "SLACK_SIGNING_SECRET": "secret",
        "SUPPORT_TRIAGE_CHANNEL": "C0TRIAGE",
        "DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
        "SUPPORT_AUTO_MIGRATE": "false",
    }
    result = run_cli("serve", env=env)
    assert result.returncode == 2 and "support-bot migrate" in result.stderr
    assert run_cli("migrate", env=env).returncode == 0
    assert run_cli("export", "tickets", env=env).stdout.strip() == "[]"


def test_serve_answers_healthz_and_stops_cleanly_on_sigterm(slack: SlackStub, database_url: str) -> None:
    port = free_port()
    process = subprocess.Popen(
        [*CLI, "serve", "--port", str(port), "--host", "127.0.0.1"],
        env=subprocess_environ(bot_env(slack, database_url)),
        cwd=subprocess_cwd(),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    assert json.loads(response.read()) == {"status": "ok", "database": "ok", "scheduler": "leader"}
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not come up"
                assert process.poll() is None, process.stdout.read() if process.stdout else ""
                time.sleep(0.2)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0
        output = process.stdout.read() if process.stdout else ""
        assert "Traceback" not in output
    finally:
        if process.poll() is None:
            process.kill()


def test_export_tickets_json_and_csv(bot: BotUnderTest, channel: str, database_url: str) -> None:
    file_ticket(bot, user=CUSTOMER, title='=HYPERLINK("http://evil") formula')
    bot.slack.wait_for(lambda: bot.sql("SELECT thread_ts FROM tickets")[0][0])
    env = {"DATABASE_URL": database_url}

    result = run_cli("export", "tickets", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    tickets = json.loads(result.stdout)
    assert len(tickets) == 1
    ticket = tickets[0]
    for field in (
        "number",
        "channel_id",
        "severity",
        "status",
        "title",
        "reporter_id",
        "created_at",
        "first_response_at",
        "resolved_at",
        "thread_ts",
        "reply_count",
    ):
        assert field in ticket
    assert ticket["number"] == 1 and ticket["channel_id"] == channel and ticket["status"] == "open"
    assert ticket["created_at"].endswith("Z") and ticket["first_response_at"] is None

    result = run_cli("export", "tickets", "--format", "csv", env=env)
    assert result.returncode == 0, result.stderr
    rows = list(csv.DictReader(io.StringIO(result.stdout)))
    assert rows[0]["number"] == "1"
    assert rows[0]["title"].startswith("'=HYPERLINK")  # no formula reaches a spreadsheet


def test_reminders_and_onboarding_export(bot: BotUnderTest, channel: str, database_url: str) -> None:
    from tests.support import start_onboarding

    message = start_onboarding(bot, company="=cmd|' /C calc'!A0")
    bot.click("onboarding_step_done", user="U0STAFF", channel=channel, message_ts=message["ts"], value="5")
    bot.slack.wait_for(lambda: bot.slack.calls_to("chat.update"))
    bot.runtime.deps.timer_sync.drain()
    env = {"DATABASE_URL": database_url}

    result = run_cli("reminders", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    reminders = {r["kind"]: r for r in json.loads(result.stdout)}
    assert set(reminders) == {"dashboard_nudge", "scaling_checkin"}
    nudge = reminders["dashboard_nudge"]
    assert nudge["id"] == f"nudge:{channel}" and nudge["channel"] == channel
    assert nudge["customer"] == "=cmd|' /C calc'!A0"
    assert nudge["next_run_time"].endswith("Z")  # ISO 8601 UTC, 7 days out by default
    text = run_cli("reminders", env=env).stdout.splitlines()
    assert text[0].split() == ["NEXT", "RUN", "(UTC)", "KIND", "CHANNEL", "ID", "CUSTOMER"] and len(text) == 3
    assert any(line.split()[2:4] == [channel, f"nudge:{channel}"] for line in text[1:]), text  # each job's id

    result = run_cli("export", "onboarding", "--format", "json", env=env)
    assert result.returncode == 0, result.stderr
    [customer] = json.loads(result.stdout)
    assert customer["channel_id"] == channel and customer["plan"] == "scale"
    steps = {s["number"]: s for s in customer["steps"]}
    assert steps[5]["state"] == "done" and steps[5]["by"] == "U0STAFF" and steps[5]["at"].endswith("Z")
    assert steps[8]["state"] == "pending" and steps[8]["by"] is None

    result = run_cli("export", "onboarding", "--format", "csv", env=env)
    [row] = list(csv.DictReader(io.StringIO(result.stdout)))
    assert row["step_5_state"] == "done" and row["step_9_state"] == "pending"
    assert row["company"].startswith("'=")  # formula injection neutralised


def test_support_bot_bench_runs_the_benchmark_suite(capfd: pytest.CaptureFixture[str]) -> None:
    from bot.cli import main

    # An unknown scenario is refused by the suite itself (a `python -m bench` process), before anything starts.
    assert main(["bench", "--only", "nope"]) == 2
    assert "unknown scenario(s) nope; choose from ack, submit, replies, scheduler, apphome" in capfd.readouterr().err


def test_help_lists_every_command_with_a_description() -> None:
    from bot.cli import build_parser

    parser = build_parser()
    [commands] = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    helps = {c.dest: c.help for c in commands._choices_actions}
    assert set(helps) == set(commands.choices)  # each command has its one-line description
    result = run_cli("--help", env={"COLUMNS": "100"})
    assert result.returncode == 0
    for name, description in helps.items():
        assert description and "\n" not in description
        assert re.search(rf"^ +{re.escape(name)} +{re.escape(description)}$", result.stdout, re.M), (
            name,
            result.stdout,
        )


def test_license_file_matches_pyproject() -> None:
    import tomllib

    license_ = tomllib.loads((REPO / "pyproject.toml").read_text())["project"]["license"]["text"]
    assert license_ == "MIT"
    assert (REPO / "LICENSE").read_text().startswith("MIT License\n")


def test_csv_and_json_exports_have_the_same_columns(bot: BotUnderTest, channel: str, database_url: str) -> None:
    from services.export import flatten_onboarding
    from tests.support import filed, start_onboarding

    ticket = filed(bot)
    bot.click("ticket_take", user="U0STAFF", channel=TRIAGE, value=str(ticket["number"]))
    start_onboarding(bot)
    env = {"DATABASE_URL": database_url}

    def exported(what: str) -> tuple[list[dict[str, object]], list[str]]:
        as_json = run_cli("export", what, "--format", "json", env=env)
        as_csv = run_cli("export", what, "--format", "csv", env=env)
        assert as_json.returncode == 0 and as_csv.returncode == 0, as_json.stderr + as_csv.stderr
        rows = json.loads(as_json.stdout)
        assert rows, what
        return rows, next(csv.reader(io.StringIO(as_csv.stdout)))

    tickets, header = exported("tickets")
    assert [k for k in tickets[0] if k != "events"] == header
    events, header = exported("ticket-events")
    assert list(events[0]) == header and list(tickets[0]["events"][0]) == header  # nested or not, one shape
    records, header = exported("onboarding")
    assert list(next(flatten_onboarding(records))) == header
    assert [k for k in records[0] if k != "steps"] == [c for c in header if not c.startswith("step_")]
