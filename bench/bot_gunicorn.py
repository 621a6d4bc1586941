"""support-bot's WSGI app under gunicorn's threaded worker instead of `serve`'s cheroot: only for the
issue-19 A/B of the HTTP server (`python -m bench.ab_ack --variant gunicorn:SERVER=gunicorn`).
Starts the runtime the way `serve` does (schema, runtime, scheduler, start-up objects frozen) but
leaves stopping to the process's end.

    gunicorn --worker-class gthread -w 1 --threads 16 -b 127.0.0.1:3001 'bench.bot_gunicorn:create_app()'
"""

from __future__ import annotations

import os

from bot.app import WSGIApp, build_runtime
from bot.cli import _freeze_startup_objects, _prepare_database
from bot.logs import configure_logging
from config.settings import Mode, load_settings


def create_app() -> WSGIApp:
    settings = load_settings(os.environ, Mode.HTTP)
    configure_logging(settings.log_level, (settings.slack_bot_token or "", settings.slack_signing_secret or ""))
    _prepare_database(settings)
    runtime = build_runtime(settings)
    runtime.start()
    _freeze_startup_objects()
    return runtime.wsgi
