"""Slack surfaces: one module per surface, each with a `register(app, deps)` routing table."""

from __future__ import annotations

from slack_bolt import App

from bot.deps import Deps
from handlers import actions, commands, events, home, installs, tickets, views

SURFACES = (commands, actions, views, events, tickets, home, installs)


def register_all(app: App, deps: Deps) -> None:
    for surface in SURFACES:
        surface.register(app, deps)


def declared(name: str) -> set[str]:
    """Everything the surfaces route for `name` ('COMMANDS', 'EVENTS', 'ACTIONS', 'VIEWS', 'SHORTCUTS')."""
    return {item for surface in SURFACES for item in getattr(surface, name, ())}
