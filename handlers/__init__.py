"""Slack surfaces: one module per surface, each with a `register(app, deps)` routing table."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from slack_bolt import App

    from bot.deps import Deps


def surfaces() -> tuple[ModuleType, ...]:
    # Imported here, not at the top: the builders in this package (blocks, home_blocks...) are used
    # by bot/ modules that the surfaces themselves import.
    from handlers import actions, channels, commands, events, home, installs, tickets, views

    # Bolt tries listeners in registration order for every request: the busiest (slash commands,
    # thread-reply events) go first. No two surfaces listen for the same thing, so order is free.
    return (commands, events, actions, views, tickets, home, installs, channels)


def register_all(app: App, deps: Deps) -> None:
    for surface in surfaces():
        surface.register(app, deps)


def declared(name: str) -> set[str]:
    """Everything the surfaces route for `name` ('COMMANDS', 'EVENTS', 'ACTIONS', 'VIEWS', 'SHORTCUTS')."""
    return {item for surface in surfaces() for item in getattr(surface, name, ())}
