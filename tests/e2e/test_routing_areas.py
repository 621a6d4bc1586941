"""Product areas (issue 18): the routing file (SUPPORT_ROUTING_FILE) is checked at start-up."""

from __future__ import annotations

from pathlib import Path

from fakeslack import SlackStub, bot_env
from tests.support import REPO, free_port, run_cli

EXAMPLE = REPO / "docs" / "routing.example.toml"


def test_a_bad_routing_file_stops_serve_with_one_line(slack: SlackStub, tmp_path: Path, database_url: str) -> None:
    routing = tmp_path / "routing.toml"
    routing.write_text('[[area]]\nname = "Session replay"\nchannel = "#replay"\n', encoding="utf-8")
    env = bot_env(slack, database_url, SUPPORT_ROUTING_FILE=str(routing))
    result = run_cli("serve", "--host", "127.0.0.1", "--port", str(free_port()), env=env)
    assert result.returncode == 2, result.stderr
    assert result.stderr.splitlines() == [
        f"support-bot: SUPPORT_ROUTING_FILE: {routing}: area 'Session replay': channel: "
        "must be a channel ID such as C0123456789, not '#replay'"
    ]
    assert slack.calls == []  # stopped before asking Slack anything


def test_each_problem_of_a_routing_file_is_its_own_line(slack: SlackStub, tmp_path: Path, database_url: str) -> None:
    routing = tmp_path / "routing.toml"
    routing.write_text(
        '[[area]]\nname = "Billing"\nchannel = "C0BILLING"\nassign = "lottery"\n[[area]]\nchannel = "C0X"\n',
        encoding="utf-8",
    )
    result = run_cli("serve", env=bot_env(slack, database_url, SUPPORT_ROUTING_FILE=str(routing)))
    assert result.returncode == 2, result.stderr
    lines = result.stderr.splitlines()
    assert len(lines) == 2, result.stderr
    assert all(line.startswith(f"support-bot: SUPPORT_ROUTING_FILE: {routing}: ") for line in lines)
    assert "area 'Billing': assign:" in lines[0] and "area #2: name: is missing" in lines[1]


def test_a_missing_routing_file_stops_serve(slack: SlackStub, tmp_path: Path, database_url: str) -> None:
    missing = tmp_path / "nope.toml"
    result = run_cli("serve", env=bot_env(slack, database_url, SUPPORT_ROUTING_FILE=str(missing)))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        f"support-bot: SUPPORT_ROUTING_FILE: {missing}: cannot read the file (No such file or directory)"
    ]
