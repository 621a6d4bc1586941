"""The production HTTP server: cheroot (CherryPy's WSGI server), threaded, graceful on stop."""

from __future__ import annotations

import threading

from cheroot import wsgi

from bot.app import Runtime, build_runtime
from config.settings import Settings

KEEP_ALIVE_CONNECTIONS = 256  # idle kept-alive connections held open (cheroot's default: 10)


class HttpServer:
    """Serves a runtime on host:port from a background thread; `stop()` drains in-flight requests."""

    def __init__(self, runtime: Runtime, host: str, port: int, threads: int = 16, reuse_port: bool = False) -> None:
        self._server = wsgi.Server(
            (host, port),
            runtime.wsgi,
            numthreads=threads,
            shutdown_timeout=10,
            request_queue_size=128,
            server_name="support-bot",
            reuse_port=reuse_port,  # several processes on one port: the kernel spreads connections
        )
        # cheroot keeps at most 10 idle kept-alive connections and closes the rest after their answer;
        # a proxy's pool (or Slack) with more than 10 then reconnects for ~1 % of requests (issue 19).
        # Idle ones cost a file descriptor each and close after the server's timeout (10 s).
        self._server.keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS
        self._thread: threading.Thread | None = None
        self._bound = False

    @property
    def port(self) -> int:
        return int(self._server.bind_addr[1])

    def bind(self) -> None:
        """Take the port now (serving starts with `start`); raises OSError when it cannot."""
        self._server.prepare()
        self._bound = True

    def start(self) -> None:
        if not self._bound:
            self.bind()  # binds now, so a taken port fails here, in the caller
        self._thread = threading.Thread(target=self._server.serve, name="http", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(15)


def serve_on_loopback(settings: Settings, threads: int = 8) -> tuple[Runtime, HttpServer]:
    """The whole bot for a local caller (the tests, the demo): the schema brought up to date, the
    runtime built and started, served on a free port of 127.0.0.1 (`HttpServer.port`). Stop the
    server, then the runtime."""
    from store import migrate
    from store.db import make_engine

    engine = make_engine(settings.database_url)
    migrate.upgrade(engine)
    engine.dispose()
    runtime = build_runtime(settings)
    server = HttpServer(runtime, "127.0.0.1", 0, threads=threads)
    server.start()
    runtime.start()
    return runtime, server
