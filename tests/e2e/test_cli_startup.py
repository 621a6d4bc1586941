"""Start-up as an operator meets it: `.env` in the working directory, the token check (auth.test)
and every start-up or command failure as one line naming the setting, exit status 2."""

from __future__ import annotations

import re
import sqlite3
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

from fakeslack import SlackStub, bot_env
from tests.support import CLI, REPO, free_port, run_cli, subprocess_cwd, subprocess_environ

EXAMPLE = dict(
    line.split("=", 1) for line in (REPO / ".env.example").read_text().splitlines() if re.match(r"^[A-Z_]+=", line)
)
"""The settings .env.example sets (uncommented), as a new user copies them."""


def one_line(result: subprocess.CompletedProcess[str], setting: str) -> str:
    """The one line on stderr, which names `setting`; fails on anything else (a traceback, more lines)."""
    assert result.returncode == 2, (result.returncode, result.stderr)
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("support-bot: ") and setting in lines[0], lines[0]
    return lines[0]


def sqlite_url(path: Path) -> str:
    return f"sqlite:///{path}"


def migrated(tmp_path: Path) -> str:
    """A SQLite database with the current schema (so start-up has no schema upgrade to log)."""
    url = sqlite_url(tmp_path / "support-store.db")
    result = run_cli("migrate", env={"DATABASE_URL": url})
    assert result.returncode == 0, result.stderr
    return url


# -- .env in the working directory ---------------------------------------------------------------


def test_dotenv_in_the_working_directory_is_read_and_values_may_hold_spaces(tmp_path: Path) -> None:
    database = tmp_path / "from-dotenv.db"
    (tmp_path / ".env").write_text(
        "# copied from .env.example\n"
        f"DATABASE_URL={sqlite_url(database)}\n"
        "SUPPORT_DIGEST_CHANNEL=C0DIGEST\n"
        "SUPPORT_BUSINESS_HOURS=Mon-Fri 09:00-18:00 Europe/London\n"
    )
    result = run_cli("digest", env={}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "queued" in result.stdout
    with sqlite3.connect(database) as conn:  # the digest went to the database .env names
        assert conn.execute("SELECT count(*) FROM outbox").fetchone()[0] == 1


def test_the_environment_wins_over_dotenv(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("SUPPORT_BUSINESS_HOURS=whenever\nSUPPORT_DIGEST_CHANNEL=C0DIGEST\n")
    env = {"DATABASE_URL": sqlite_url(tmp_path / "x.db"), "SUPPORT_BUSINESS_HOURS": "Mon-Fri 09:00-18:00 UTC"}
    assert run_cli("digest", env=env, cwd=tmp_path).returncode == 0
    env["SUPPORT_BUSINESS_HOURS"] = "nonsense"
    (tmp_path / ".env").write_text("SUPPORT_BUSINESS_HOURS=Mon-Fri 09:00-18:00 UTC\n")
    one_line(run_cli("migrate", env=env, cwd=tmp_path), "SUPPORT_BUSINESS_HOURS")


def test_no_dotenv_is_fine(tmp_path: Path) -> None:
    assert not (tmp_path / ".env").exists()
    result = run_cli("migrate", env={"DATABASE_URL": sqlite_url(tmp_path / "x.db")}, cwd=tmp_path)
    assert result.returncode == 0, result.stderr


def test_a_dotenv_that_cannot_be_read_is_one_line(tmp_path: Path) -> None:
    (tmp_path / ".env").mkdir()
    one_line(run_cli("migrate", env={"DATABASE_URL": sqlite_url(tmp_path / "x.db")}, cwd=tmp_path), ".env")


# -- the token check -----------------------------------------------------------------------------


@pytest.mark.parametrize("error", ["invalid_auth", "not_authed", "token_revoked", "account_inactive", "token_expired"])
def test_serve_stops_when_slack_refuses_the_bot_token(slack: SlackStub, tmp_path: Path, error: str) -> None:
    slack.fail("auth.test", 200, error=error)
    env = bot_env(slack, migrated(tmp_path))
    result = run_cli("serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    assert error in one_line(result, "SLACK_BOT_TOKEN")
    assert len(slack.calls_to("auth.test")) == 1


def test_socket_stops_when_slack_refuses_the_bot_token(slack: SlackStub, tmp_path: Path) -> None:
    slack.fail("auth.test", 200, error="token_revoked")
    env = bot_env(slack, migrated(tmp_path), SLACK_APP_TOKEN="xapp-1-A0APP-1-abc")
    one_line(run_cli("socket", env=env), "SLACK_BOT_TOKEN")


@pytest.mark.parametrize(("command", "setting"), [("serve", "SLACK_BOT_TOKEN"), ("socket", "SLACK_APP_TOKEN")])
def test_the_placeholder_tokens_of_env_example_stop_startup_without_asking_slack(
    slack: SlackStub, tmp_path: Path, command: str, setting: str
) -> None:
    env = bot_env(slack, migrated(tmp_path), SLACK_APP_TOKEN="xapp-1-A0APP-1-abc")
    env[setting] = EXAMPLE[setting]
    assert "placeholder" in one_line(run_cli(command, env=env), setting)
    assert slack.calls_to("auth.test") == []


def serve_until_healthy(env: dict[str, str], port: int) -> str:
    """Start `serve`, wait for /healthz, stop it with SIGTERM; returns what it wrote on stderr."""
    process = subprocess.Popen(
        [*CLI, "serve", "--host", "127.0.0.1", "--port", str(port)],
        env=subprocess_environ(env),
        stderr=subprocess.PIPE,
        text=True,
        cwd=subprocess_cwd(),
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as response:
                    assert response.status == 200
                    break
            except OSError:
                assert time.monotonic() < deadline, "serve did not come up"
                time.sleep(0.2)
        process.terminate()
        assert process.wait(timeout=30) == 0
        return process.stderr.read() if process.stderr else ""
    finally:
        if process.poll() is None:
            process.kill()


def warnings_in(log: str) -> list[str]:
    return [line for line in log.splitlines() if " WARNING " in line or " ERROR " in line or "Traceback" in line]


def test_serve_starts_with_a_warning_when_slack_is_unreachable(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"  # nothing listens there
    log = serve_until_healthy(bot_env(closed, migrated(tmp_path)), free_port())
    [warning] = warnings_in(log)
    assert "SLACK_BOT_TOKEN not checked" in warning and "starting anyway" in warning


def test_serve_starts_with_a_warning_when_a_stopped_stub_or_a_5xx_answers(slack: SlackStub, tmp_path: Path) -> None:
    slack.fail("auth.test", 503)
    log = serve_until_healthy(bot_env(slack, migrated(tmp_path)), free_port())
    [warning] = warnings_in(log)
    assert "HTTP 503" in warning

    url = slack.url
    slack.stop()
    log = serve_until_healthy(bot_env(url, migrated(tmp_path)), free_port())
    assert ["SLACK_BOT_TOKEN not checked" in line for line in warnings_in(log)] == [True]


def test_serve_logs_whom_slack_knows_the_token_as(slack: SlackStub, tmp_path: Path) -> None:
    log = serve_until_healthy(bot_env(slack, migrated(tmp_path)), free_port())
    assert warnings_in(log) == []
    assert "SLACK_BOT_TOKEN: Slack knows this bot: Host Inc" in log
    assert len(slack.calls_to("auth.test")) >= 1


def test_several_processes_check_the_token_once_in_the_parent(slack: SlackStub, database_url: str) -> None:
    if not database_url.startswith("postgresql"):
        pytest.skip("SUPPORT_PROCESSES > 1 needs PostgreSQL (TEST_DATABASE_URL)")
    slack.fail("auth.test", 200, error="invalid_auth")
    env = bot_env(slack, database_url, SUPPORT_PROCESSES="2")
    result = run_cli("serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    one_line(result, "SLACK_BOT_TOKEN")  # the parent stopped before any child started
    assert len(slack.calls_to("auth.test")) == 1


# -- Socket Mode ---------------------------------------------------------------------------------


def test_socket_stops_when_slack_refuses_the_app_token(slack: SlackStub, tmp_path: Path) -> None:
    slack.fail("apps.connections.open", 200, error="invalid_auth")
    env = bot_env(slack, migrated(tmp_path), SLACK_APP_TOKEN="xapp-1-A0APP-1-abc")
    assert "invalid_auth" in one_line(run_cli("socket", env=env), "SLACK_APP_TOKEN")


def test_socket_with_a_token_that_is_not_an_app_token_is_one_line(slack: SlackStub, tmp_path: Path) -> None:
    env = bot_env(slack, migrated(tmp_path), SLACK_APP_TOKEN="xoxb-1-2-3")
    one_line(run_cli("socket", env=env), "SLACK_APP_TOKEN")


def test_socket_needs_slack_at_startup(tmp_path: Path) -> None:
    closed = f"http://127.0.0.1:{free_port()}/api/"
    env = bot_env(closed, migrated(tmp_path), SLACK_APP_TOKEN="xapp-1-A0APP-1-abc")
    assert "cannot open a Socket Mode connection" in one_line(run_cli("socket", env=env), "SLACK_API_BASE_URL")


# -- the database and the port -------------------------------------------------------------------

NOT_A_DATABASE_COMMANDS = [
    ("serve", "--host", "127.0.0.1", "--port", "0"),
    ("socket",),
    ("migrate",),
    ("export", "tickets"),
    ("export", "onboarding", "--format", "csv"),
    ("reminders",),
    ("digest",),
]


@pytest.mark.parametrize(
    "command", NOT_A_DATABASE_COMMANDS, ids=lambda c: c[0] + (f"-{c[1]}" if c[0] == "export" else "")
)
def test_a_file_that_is_not_a_database_is_one_line(slack: SlackStub, tmp_path: Path, command: tuple[str, ...]) -> None:
    (tmp_path / "notes.db").write_text("these are my notes, not a database\n")
    env = bot_env(
        slack,
        sqlite_url(tmp_path / "notes.db"),
        SLACK_APP_TOKEN="xapp-1-A0APP-1-abc",
        SUPPORT_DIGEST_CHANNEL="C0DIGEST",
    )
    args = [str(free_port()) if a == "0" else a for a in command]
    assert "not a database" in one_line(run_cli(*args, env=env), "DATABASE_URL")


@pytest.mark.parametrize(
    "url",
    [
        "sqlite://relative.db",  # SQLite wants sqlite:///path
        "postgresql://support@127.0.0.1:notaport/support",
        "sqlite+nosuchdriver:///x.db",
        "mysql://support@127.0.0.1/support",  # neither SQLite nor PostgreSQL
    ],
)
@pytest.mark.parametrize("command", [("migrate",), ("export", "tickets"), ("serve", "--port", "0")], ids=lambda c: c[0])
def test_a_database_url_sqlalchemy_cannot_use_is_one_line(slack: SlackStub, url: str, command: tuple[str, ...]) -> None:
    args = [str(free_port()) if a == "0" else a for a in command]
    one_line(run_cli(*args, env=bot_env(slack, url)), "DATABASE_URL")


def test_a_database_in_a_directory_that_does_not_exist_is_one_line(tmp_path: Path) -> None:
    (tmp_path / "a-file").write_text("")
    for url in (sqlite_url(tmp_path / "missing" / "x.db"), sqlite_url(tmp_path / "a-file" / "x.db")):
        one_line(run_cli("migrate", env={"DATABASE_URL": url}), "DATABASE_URL")
        one_line(run_cli("export", "tickets", env={"DATABASE_URL": url}), "DATABASE_URL")


def test_a_port_in_use_is_one_line(slack: SlackStub, tmp_path: Path) -> None:
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = run_cli("serve", "--host", "127.0.0.1", "--port", str(port), env=bot_env(slack, migrated(tmp_path)))
    one_line(result, "PORT")
    assert slack.calls_to("auth.test") == []  # the port is taken before Slack is asked anything


def test_a_host_that_cannot_be_bound_is_one_line(slack: SlackStub, tmp_path: Path) -> None:
    env = bot_env(slack, migrated(tmp_path))
    one_line(run_cli("serve", "--host", "no-such-host.invalid", "--port", str(free_port()), env=env), "PORT")


def test_digest_without_its_channel_is_one_line(tmp_path: Path) -> None:
    one_line(run_cli("digest", env={"DATABASE_URL": sqlite_url(tmp_path / "x.db")}), "SUPPORT_DIGEST_CHANNEL")
