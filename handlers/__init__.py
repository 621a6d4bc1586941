"""Slack surfaces: one module per surface, each with a `register(app, deps)` routing table."""

from __future__ import annotations

from types import ModuleType
from typing import TYPE_CHECKING

from handlers import actions, channels, commands, events, home, installs, intake, tickets, views
from handlers.routing import DECLARED_AS, provide_deps

if TYPE_CHECKING:
    from slack_bolt import App

    from services.deps import Deps

# Bolt tries listeners in registration order for every request: the busiest (slash commands,
# thread-reply events) go first. No two surfaces listen for the same thing, so order is free.
SURFACES: tuple[ModuleType, ...] = (commands, events, actions, views, tickets, home, installs, channels, intake)


def surfaces() -> tuple[ModuleType, ...]:
    return SURFACES


def register_all(app: App, deps: Deps) -> None:
    """Make `deps` injectable into every listener, then attach each surface's routing table."""
    app.use(provide_deps(deps))
    for surface in SURFACES:
        if hasattr(surface, "ROUTES"):
            for route in surface.ROUTES:
                route.attach(app)
        else:  # a surface not yet moved to a ROUTES table
            surface.register(app, deps)


def declared(name: str) -> set[str]:
    """Everything the surfaces route for `name` ('COMMANDS', 'EVENTS', 'ACTIONS', 'VIEWS', 'SHORTCUTS')."""
    routed = {r.key for s in SURFACES for r in getattr(s, "ROUTES", ()) if DECLARED_AS[r.kind] == name}
    return routed | {item for surface in SURFACES for item in getattr(surface, name, ())}
