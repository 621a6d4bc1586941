"""`serve` with SUPPORT_PROCESSES > 1: several serving processes on one port, and a parent that
watches them.

One Python process answers requests on one core (the GIL); on PostgreSQL, replicas already share
the work safely (events de-duplicated in the database, one leader for the scheduler and the
outbox), so the simplest way to use a machine's cores is to run several on one host. Each child is
an ordinary `support-bot serve` bound with SO_REUSEPORT: the kernel spreads new connections over
them. The parent starts them, restarts one that dies, and passes SIGTERM on (each child drains its
in-flight requests). A child that exits with status 2 (a setting, the port, the database: the
one-line start-up errors) stops the lot, since every child would fail the same way; so does one
that keeps dying (RESTARTS times within a minute).
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
import threading
import time

log = logging.getLogger("support-bot")

STARTUP_ERROR = 2  # the exit status of `support-bot` for a setting or start-up problem
RESTARTS = 5  # a slot whose child died this many times within a minute is given up
STOP_GRACE = 30.0  # seconds each child gets to drain before it is killed


class StartupFailed(Exception):
    """A child could not start (its own message is in the log above), or children keep dying."""


class Supervisor:
    def __init__(self, host: str, port: int, count: int, stop: threading.Event) -> None:
        self._argv = [
            sys.executable,
            "-m",
            "bot.cli",
            "serve",
            "--host",
            host,
            "--port",
            str(port),
            "--reuse-port",
            "--skip-token-check",
        ]
        self._env = {**os.environ, "SUPPORT_PROCESSES": "1"}
        self._count = count
        self._stop = stop
        self._children: list[subprocess.Popen[bytes]] = []
        self._deaths: list[list[float]] = [[] for _ in range(count)]  # per slot: when its children died

    def run(self) -> int:
        """Serve until SIGTERM; 0 after a clean stop. Raises StartupFailed."""
        self._children = [self._spawn() for _ in range(self._count)]
        try:
            while not self._stop.wait(0.5):
                for index, child in enumerate(self._children):
                    code = child.poll()
                    if code is not None and not self._stop.is_set():
                        self._children[index] = self._replace(index, child, code)
            return 0
        finally:
            self._stop_children()

    def _replace(self, index: int, child: subprocess.Popen[bytes], code: int) -> subprocess.Popen[bytes]:
        if code == STARTUP_ERROR:
            raise StartupFailed(f"serving process {child.pid} could not start (exit status {code})")
        now = time.monotonic()
        self._deaths[index] = [at for at in self._deaths[index] if now - at < 60] + [now]
        if len(self._deaths[index]) >= RESTARTS:
            raise StartupFailed(f"serving processes keep exiting ({RESTARTS} within a minute, the last with {code})")
        log.error("serving process %d exited with %s; starting another", child.pid, code)
        return self._spawn()

    def _spawn(self) -> subprocess.Popen[bytes]:
        return subprocess.Popen(self._argv, env=self._env)  # noqa: S603 - our own command line

    def _stop_children(self) -> None:
        for child in self._children:
            if child.poll() is None:
                child.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + STOP_GRACE
        for child in self._children:
            try:
                child.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                log.error("serving process %d did not stop in %.0f s; killing it", child.pid, STOP_GRACE)
                child.kill()
                child.wait()
