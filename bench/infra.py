"""Processes, databases and the Slack stub the benchmarks run against.

The servers under test are real subprocesses (`support-bot serve`, and the bare Bolt app), so the
memory reported is the server's own; the load generator and the Slack Web API stub share the
benchmark's process.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from fakeslack import SlackStub
from fakeslack import bot_env as slack_settings

if TYPE_CHECKING:  # bench.remote_stub imports this module
    from bench.remote_stub import Stub

REPO = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
DEFAULT_POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"


class BenchError(Exception):
    """The benchmark itself broke (a server would not start, a database could not be created)."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((HOST, 0))
        return int(sock.getsockname()[1])


def proc_family(pid: int) -> list[int]:
    """The process and its descendants (a server with SUPPORT_PROCESSES > 1 is a parent and its children)."""
    family, i = [pid], 0
    while i < len(family):
        with contextlib.suppress(OSError, ValueError):
            for task in Path(f"/proc/{family[i]}/task").iterdir():
                family.extend(int(c) for c in (task / "children").read_text().split())
        i += 1
    return family


def proc_memory_mb(pid: int) -> dict[str, float]:
    """VmRSS (now) and VmHWM (peak) in MB (MiB), from /proc, summed over the process and its
    children (for several processes the peak is the sum of each one's peak: an upper bound)."""
    out: dict[str, float] = {}
    for member in proc_family(pid):
        try:
            for line in Path(f"/proc/{member}/status").read_text().splitlines():
                key, _, value = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = out.get(key, 0.0) + int(value.split()[0]) / 1024.0
        except OSError:
            pass
    return out


def proc_cpu_seconds(pid: int) -> float:
    """User + system CPU time the process and its children have used so far."""
    total = 0.0
    for member in proc_family(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
            total += (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
        except (OSError, IndexError, ValueError):
            pass
    return total


def postgres_cpu() -> dict[int, float]:
    """CPU seconds used so far by each local process named postgres (the server and its backends)."""
    out: dict[int, float] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            text = stat.read_text()
            if text[text.index("(") + 1 : text.rindex(")")] == "postgres":
                fields = text.rsplit(")", 1)[1].split()
                out[int(stat.parent.name)] = (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    return out


def postgres_cpu_since(before: dict[int, float]) -> float:
    """CPU PostgreSQL used since `before` (backends that exited in between are not counted)."""
    return sum(cpu - before.get(pid, 0.0) for pid, cpu in postgres_cpu().items())


# -- servers -------------------------------------------------------------------------------------


class ServerProcess:
    """A server subprocess on 127.0.0.1:port, its output in a log file; stopped with SIGTERM."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], port: int, workdir: Path) -> None:
        self.name = name
        self.argv = argv
        self.env = env
        self.port = port
        self.log_path = workdir / f"{name}-{port}.log"
        self.cwd = REPO  # another checkout's directory runs that checkout's code (bench/ab_ack.py's CWD=)
        self.proc: subprocess.Popen[bytes] | None = None
        self.spawned_at = 0.0
        self.healthy_after: float | None = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def start(self, timeout: float = 60.0, health_path: str = "/healthz") -> float:
        """Spawn and wait until `health_path` answers 200; returns the seconds that took."""
        log = self.log_path.open("wb")
        self.spawned_at = time.perf_counter()
        self.proc = subprocess.Popen(self.argv, env=self.env, cwd=self.cwd, stdout=log, stderr=subprocess.STDOUT)
        log.close()
        deadline = self.spawned_at + timeout
        url = f"http://{HOST}:{self.port}{health_path}"
        while time.perf_counter() < deadline:
            if self.proc.poll() is not None:
                raise BenchError(f"{self.name} exited with {self.proc.returncode} during start-up:\n{self.log_tail()}")
            try:
                with urllib.request.urlopen(url, timeout=2) as response:
                    if response.status == 200:
                        self.healthy_after = time.perf_counter() - self.spawned_at
                        return self.healthy_after
            except (urllib.error.URLError, OSError):
                pass
            time.sleep(0.02)
        self.stop()
        raise BenchError(f"{self.name} did not answer {health_path} within {timeout:.0f}s:\n{self.log_tail()}")

    def wait_for_log(self, needle: str, timeout: float = 60.0) -> float:
        """Seconds from spawn until `needle` appears in the server's output."""
        deadline = time.perf_counter() + timeout
        while time.perf_counter() < deadline:
            with contextlib.suppress(OSError):
                if needle in self.log_path.read_text(errors="replace"):
                    return time.perf_counter() - self.spawned_at
            if self.proc is not None and self.proc.poll() is not None:
                break
            time.sleep(0.02)
        raise BenchError(f"{self.name}: {needle!r} never appeared in its output:\n{self.log_tail()}")

    def memory(self) -> dict[str, float]:
        return proc_memory_mb(self.pid) if self.proc is not None else {}

    def cpu_seconds(self) -> float:
        return proc_cpu_seconds(self.pid) if self.proc is not None else 0.0

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no output)"

    def errors_logged(self) -> list[str]:
        """ERROR lines and tracebacks the server wrote."""
        try:
            text = self.log_path.read_text(errors="replace")
        except OSError:
            return []
        return [line for line in text.splitlines() if " ERROR " in line or line.startswith("Traceback")]

    def stop(self, timeout: float = 30.0) -> int | None:
        if self.proc is None or self.proc.poll() is not None:
            return None if self.proc is None else self.proc.returncode
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait(10)


def bot_env(slack_url: str, database_url: str, **extra: str) -> dict[str, str]:
    """The environment of a server process under test: this one's, without its support-bot settings,
    plus the settings of a bot pointed at the stub (fakeslack.bot_env), quiet logs, and `extra`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "SUPPORT_", "DATABASE_URL"))}
    env.update(slack_settings(slack_url, database_url, **{"LOG_LEVEL": "WARNING", "PYTHONUNBUFFERED": "1", **extra}))
    return env


def bot_process(slack: Stub, database_url: str, workdir: Path, name: str = "bot", **extra: str) -> ServerProcess:
    port = free_port()
    argv = [sys.executable, "-m", "bot.cli", "serve", "--host", HOST, "--port", str(port)]
    return ServerProcess(name, argv, bot_env(slack.url, database_url, **extra), port, workdir)


def bare_process(slack: Stub, workdir: Path, processes: int = 1) -> ServerProcess:
    """bench/bare_app.py: bare Bolt on cheroot, ack-only (the conversations scenario's baseline)."""
    port = free_port()
    argv = [sys.executable, "-m", "bench.bare_app", "--host", HOST, "--port", str(port), "--processes", str(processes)]
    return ServerProcess("bare-bolt", argv, bot_env(slack.url, "sqlite://"), port, workdir)


PLAIN_THREADS = 8  # gunicorn --threads: the issue's `-w 1 --threads 8`


def plain_bolt_process(slack: Stub, workdir: Path, open_form: bool, workers: int = 1) -> ServerProcess:
    """bench/plain_bolt.py: a default Bolt App on Flask under `gunicorn --worker-class gthread -w
    <workers> --threads 8`; `open_form`: its /ticket listener acks, then calls views.open."""
    port = free_port()
    argv = [
        sys.executable,
        "-m",
        "gunicorn",
        "--worker-class",
        "gthread",
        "-w",
        str(workers),
        "--threads",
        str(PLAIN_THREADS),
        "-b",
        f"{HOST}:{port}",
        "--log-level",
        "warning",
        "bench.plain_bolt:create_app()",
    ]
    env = bot_env(slack.url, "sqlite://", BENCH_PLAIN_BOLT="form" if open_form else "ack")
    return ServerProcess("plain-bolt-form" if open_form else "plain-bolt-ack", argv, env, port, workdir)


@contextmanager
def running(server: ServerProcess, **start_kwargs: float) -> Iterator[ServerProcess]:
    server.start(**start_kwargs)
    try:
        yield server
    finally:
        server.stop()


# -- databases ----------------------------------------------------------------------------------


@dataclass
class Databases:
    """Throw-away databases: SQLite files in a temp dir, PostgreSQL databases bench_<pid>_<n>."""

    workdir: Path
    postgres_url: str = DEFAULT_POSTGRES_URL

    def __post_init__(self) -> None:
        self._n = itertools.count(1)
        self._created: list[str] = []

    def _pg_conninfo(self, dbname: str | None = None) -> str:
        from sqlalchemy.engine import make_url

        url = make_url(self.postgres_url)
        if dbname:
            url = url.set(database=dbname)
        return url.set(drivername="postgresql").render_as_string(hide_password=False)

    def postgres_available(self) -> str | None:
        """None if PostgreSQL answers, else why not."""
        import psycopg

        try:
            with psycopg.connect(self._pg_conninfo(), connect_timeout=3, autocommit=True) as conn:
                conn.execute("SELECT 1")
            return None
        except Exception as exc:  # noqa: BLE001 - any failure means "not available"
            return f"{type(exc).__name__}: {str(exc).strip().splitlines()[0] if str(exc).strip() else ''}"

    def new(self, kind: str, label: str) -> str:
        n = next(self._n)
        if kind == "sqlite":
            return f"sqlite:///{self.workdir / f'bench-{label}-{n}.db'}"
        import psycopg

        # BENCH_DB_PREFIX lets runs that share a server tell their databases apart (default "bench").
        name = f"{os.environ.get('BENCH_DB_PREFIX', 'bench')}_{os.getpid()}_{n}"
        with psycopg.connect(self._pg_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        self._created.append(name)
        from sqlalchemy.engine import make_url

        return make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False)

    def drop(self, url: str) -> None:
        if url.startswith("sqlite"):
            path = Path(url.removeprefix("sqlite:///"))
            for suffix in ("", "-wal", "-shm"):
                with contextlib.suppress(OSError):
                    Path(str(path) + suffix).unlink()
            return
        import psycopg
        from sqlalchemy.engine import make_url

        name = make_url(url).database
        if name not in self._created:
            return
        with psycopg.connect(self._pg_conninfo(), autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        self._created.remove(name)

    def drop_all(self) -> None:
        for name in list(self._created):
            from sqlalchemy.engine import make_url

            with contextlib.suppress(Exception):
                self.drop(make_url(self.postgres_url).set(database=name).render_as_string(hide_password=False))


@contextmanager
def database(dbs: Databases, kind: str, label: str) -> Iterator[str]:
    url = dbs.new(kind, label)
    try:
        yield url
    finally:
        dbs.drop(url)


def make_workdir() -> Path:
    return Path(tempfile.mkdtemp(prefix="support-bot-bench-"))


@contextmanager
def slack_stub() -> Iterator[SlackStub]:
    stub = SlackStub().start()
    try:
        yield stub
    finally:
        stub.stop()
