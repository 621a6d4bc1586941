"""Where jobs stored by earlier versions point: APScheduler saved them as `bot.jobs:run_job`.

New jobs name `scheduling.jobs:run_job`; this alias lets a database written by an older version
keep firing its timers after an upgrade. Nothing in the code imports this module.
"""

from scheduling.jobs import run_job

__all__ = ["run_job"]
