"""What handlers need, built once by the composition root (bot/app.py) and passed in."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from bot.config import Settings
from bot.db import Database
from bot.identity import Directory
from bot.outbox import Outbox


@dataclass(frozen=True)
class Deps:
    settings: Settings
    db: Database
    directory: Directory
    outbox: Outbox
    clock: Callable[[], datetime]
