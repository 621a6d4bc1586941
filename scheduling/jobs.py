"""The one callable APScheduler stores for every job.

APScheduler persists a job as an importable function plus arguments, so the function cannot be
a bound method of our runtime. `run_job` is that function; the running process binds the real
`JobRunner` (services.timers.TimerJobs, bound in bot/app.py) at start-up. Jobs carry only ids,
never objects.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

log = logging.getLogger(__name__)

# What runs a fired job: called with the job kind and its stored parameters.
JobRunner = Callable[[str, dict[str, Any]], None]
_runner: JobRunner | None = None


def bind(runner: JobRunner | None) -> None:
    """Route every job that fires from now on to `runner` (None: to nothing, as at shutdown)."""
    global _runner
    _runner = runner


def run_job(kind: str, **params: Any) -> None:
    """The function APScheduler stores for every job: hand the job to the bound runner."""
    if _runner is None:
        log.error("job %s fired with no runner bound; it will be re-created at the next start", kind)
        return
    _runner(kind, params)
