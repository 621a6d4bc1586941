"""The one callable APScheduler stores for every job.

APScheduler persists a job as an importable function plus arguments, so the function cannot be
a bound method of our runtime. `run_job` is that function; the running process binds the real
dispatcher (bot/app.py) at start-up. Jobs carry only ids, never objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

JobDispatcher = Callable[[str, dict[str, Any]], None]
_dispatcher: JobDispatcher | None = None


def bind(dispatcher: JobDispatcher | None) -> None:
    global _dispatcher
    _dispatcher = dispatcher


def run_job(kind: str, **params: Any) -> None:
    if _dispatcher is None:
        log.error("job %s fired with no dispatcher bound; it will be re-created at the next start", kind)
        return
    _dispatcher(kind, params)
