"""The load generator: N client threads, each with its own keep-alive HTTP connection (or, with
`fresh`, a new TCP connection for every request, as many callers make them), sending requests signed
the way Slack signs them, back to back (closed loop), timing each one."""

from __future__ import annotations

import http.client
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.infra import HOST
from fakeslack.signing import signed_headers

Check = Callable[[int, bytes], bool]


def ok_200(status: int, body: bytes) -> bool:
    return status == 200


class Connection:
    """One keep-alive connection; reconnects after an error. `fresh`: a new TCP connection for each
    request instead (sent with `Connection: close`; the connect is part of the request's time)."""

    def __init__(self, port: int, timeout: float = 30.0, fresh: bool = False) -> None:
        self._conn = http.client.HTTPConnection(HOST, port, timeout=timeout)
        self._fresh = fresh

    def send(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> None:
        if self._fresh:
            self._conn.close()  # the next request connects anew
            headers = {**(headers or {}), "Connection": "close"}
        for attempt in (1, 2):
            try:
                self._conn.request(
                    "POST", "/slack/events", body=body, headers=signed_headers(body, content_type, headers)
                )
                return
            except (BrokenPipeError, ConnectionResetError):
                # The server closed an idle keep-alive connection (cheroot's timeout) before this
                # request reached it: reconnect once, as any HTTP client does.
                self._conn.close()
                if attempt == 2:
                    raise
            except (http.client.HTTPException, OSError):
                self._conn.close()
                raise

    def receive(self) -> tuple[int, bytes]:
        try:
            response = self._conn.getresponse()
            return response.status, response.read()
        except (http.client.HTTPException, OSError):
            self._conn.close()
            raise

    def post(self, body: bytes, content_type: str, headers: dict[str, str] | None = None) -> tuple[int, bytes]:
        self.send(body, content_type, headers)
        return self.receive()

    def close(self) -> None:
        self._conn.close()


@dataclass
class ClientRun:
    """What one client thread saw."""

    latencies: list[float] = field(default_factory=list)  # seconds, successful requests
    errors: int = 0
    error_samples: list[str] = field(default_factory=list)

    def error(self, what: str) -> None:
        self.errors += 1
        if len(self.error_samples) < 5:
            self.error_samples.append(what[:300])


class Client:
    """Handed to a worker function: times and records each request it makes."""

    def __init__(self, index: int, port: int, deadline: float | None, fresh: bool = False) -> None:
        self.index = index
        self.port = port
        self.deadline = deadline
        self.conn = Connection(port, fresh=fresh)
        self.run = ClientRun()
        self._extra: list[Connection] = []
        self._racer: Connection | None = None  # `send_as_slack`'s second connection, made when first needed

    def expired(self) -> bool:
        return self.deadline is not None and time.perf_counter() >= self.deadline

    def extra_connection(self) -> Connection:
        """A second connection, for requests that must race the first one."""
        conn = Connection(self.port)
        self._extra.append(conn)
        return conn

    def request(
        self, body: bytes, content_type: str, headers: dict[str, str] | None = None, check: Check = ok_200
    ) -> tuple[int, bytes] | None:
        """Send, wait for the answer, record latency (or an error). None if the request failed."""
        started = time.perf_counter()
        try:
            status, data = self.conn.post(body, content_type, headers)
        except (http.client.HTTPException, OSError) as exc:
            self.run.error(f"{type(exc).__name__}: {exc}")
            return None
        elapsed = time.perf_counter() - started
        if check(status, data):
            self.run.latencies.append(elapsed)
        else:
            self.run.error(f"HTTP {status}: {data[:200]!r}")
        return status, data

    def record(self, elapsed: float, status: int | None, data: bytes, check: Check = ok_200) -> bool:
        """Record a request timed by the worker itself (e.g. one sent on an extra connection)."""
        if status is not None and check(status, data):
            self.run.latencies.append(elapsed)
            return True
        self.run.error(f"HTTP {status}: {data[:200]!r}")
        return False

    def send_as_slack(self, body: bytes, content_type: str, how: str, retry_headers: dict[str, str]) -> bool | None:
        """Send an Events API request the way Slack does: `how` "once"; "retry" (sent again with
        `retry_headers` after the answer, as when Slack did not see it in time); or "race" (the
        retry sent at once on a second connection, racing the original). True if one of the
        attempts was acked 200; None if a raced connection failed (the error is recorded)."""
        if how != "race":
            answer = self.request(body, content_type)
            ok = answer is not None and answer[0] == 200
            if how == "retry":
                again = self.request(body, content_type, retry_headers)
                ok = ok or (again is not None and again[0] == 200)
            return ok
        if self._racer is None:
            self._racer = self.extra_connection()
        started = time.perf_counter()
        try:
            self.conn.send(body, content_type)
            self._racer.send(body, content_type, retry_headers)
            status1, data1 = self.conn.receive()
            elapsed1 = time.perf_counter() - started
            status2, data2 = self._racer.receive()
            elapsed2 = time.perf_counter() - started
        except OSError as exc:
            self.run.error(f"{type(exc).__name__}: {exc}")
            self._racer.close()
            self.conn.close()
            return None
        return self.record(elapsed1, status1, data1) | self.record(elapsed2, status2, data2)

    def close(self) -> None:
        self.conn.close()
        for conn in self._extra:
            conn.close()


Worker = Callable[[Client], None]


def percentile(sorted_values: list[float], pct: float) -> float:
    """Nearest-rank percentile of an ascending list (0 for an empty one)."""
    if not sorted_values:
        return 0.0
    rank = max(1, min(len(sorted_values), int(-(-pct * len(sorted_values) // 100))))
    return sorted_values[rank - 1]


@dataclass
class LoadStats:
    clients: int
    requests: int
    errors: int
    elapsed: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    max_ms: float
    throughput: float  # successful requests per second
    error_samples: list[str]
    latencies: list[float] = field(default_factory=list)  # seconds, ascending (not in as_dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "clients": self.clients,
            "requests": self.requests,
            "errors": self.errors,
            "elapsed_s": round(self.elapsed, 3),
            "p50_ms": round(self.p50_ms, 2),
            "p95_ms": round(self.p95_ms, 2),
            "p99_ms": round(self.p99_ms, 2),
            "max_ms": round(self.max_ms, 2),
            "throughput_per_s": round(self.throughput, 1),
            "error_samples": self.error_samples,
        }


def run_load(port: int, clients: int, worker: Worker, duration: float | None = None, fresh: bool = False) -> LoadStats:
    """Run `worker` in `clients` threads at once; each returns when its work (or `duration`) is done.
    `fresh`: each client opens a new TCP connection for every request (default: one kept alive)."""
    barrier = threading.Barrier(clients + 1)
    runs: list[Client] = []
    lock = threading.Lock()
    start_box: list[float] = []

    def thread_main(index: int) -> None:
        barrier.wait()
        client = Client(index, port, start_box[0] + duration if duration else None, fresh)
        with lock:
            runs.append(client)
        try:
            worker(client)
        except Exception as exc:  # a broken worker is an error of the run, not a crash of the bench
            client.run.error(f"worker crashed: {type(exc).__name__}: {exc}")
        finally:
            client.close()

    threads = [threading.Thread(target=thread_main, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    start_box.append(time.perf_counter())
    barrier.wait()
    for thread in threads:
        thread.join()
    elapsed = time.perf_counter() - start_box[0]
    latencies = sorted(lat for c in runs for lat in c.run.latencies)
    errors = sum(c.run.errors for c in runs)
    samples = [s for c in runs for s in c.run.error_samples][:5]
    return LoadStats(
        clients=clients,
        requests=len(latencies) + errors,
        errors=errors,
        elapsed=elapsed,
        p50_ms=percentile(latencies, 50) * 1000,
        p95_ms=percentile(latencies, 95) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        max_ms=(latencies[-1] * 1000) if latencies else 0.0,
        throughput=len(latencies) / elapsed if elapsed > 0 else 0.0,
        error_samples=samples,
        latencies=latencies,
    )
