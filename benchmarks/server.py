"""The server under test: the real app (``core.app.create_app``) with the baseline's plain
endpoints mounted beside it, counting the SQL statements each request sends.

    python -m benchmarks.server --database-url URL --port PORT

One uvicorn worker on loopback, as ``concierge serve`` runs it (uvloop and httptools
when installed), with jobs off and the log at WARNING (the access log line of each
request is left out of the measurement). Migrations are not run: the dataset is
migrated when it is seeded.

Counting: a ``before_cursor_execute`` listener on the app's engine adds one to the
counter of the request it runs for (a context variable set by :class:`CountingMiddleware`,
which SQLAlchemy's greenlets and the tasks a request starts inherit) and to a
process-wide total; ``after_cursor_execute`` adds the time from sending the statement to
its answer. Each response carries its count in ``x-sql-statements`` (an executemany
counts once; SQLite's ``BEGIN`` counts, as in the other benchmarks) and that time in
``x-sql-ms`` (with many clients it includes waiting for the event loop). ``GET
/_bench/stats`` answers the totals, the process's CPU seconds and its time in the
garbage collector, which the driver reads around each phase. A request sent with an
``x-bench-trace`` header keeps its statements' text and times for ``GET /_bench/trace``
(``--show-sql``).
"""

from __future__ import annotations

import argparse
import contextvars
import gc
import tempfile
import time
from typing import Any

import orjson
from sqlalchemy import event
from starlette.routing import Mount
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from benchmarks import baseline
from benchmarks.access import bench_settings
from core.app import create_app

STATS_PATH = "/_bench/stats"
TRACE_PATH = "/_bench/trace"
BASELINE_PREFIX = "/_baseline"
STATEMENTS_HEADER = "x-sql-statements"
SQL_MS_HEADER = "x-sql-ms"
TRACE_HEADER = "x-bench-trace"  # a request sent with it keeps its statements' text


class Counts:
    """One request's statements, and the time from sending each to its answer."""

    __slots__ = ("seconds", "started", "statements", "trace")

    def __init__(self, trace: bool = False) -> None:
        self.statements = 0
        self.seconds = 0.0
        self.started: dict[int, float] = {}  # by cursor
        self.trace: list[list[Any]] | None = [] if trace else None  # [statement, ms]


_request_counts: contextvars.ContextVar[Counts | None] = contextvars.ContextVar(
    "bench_request_counts", default=None
)


class Totals:
    """What the process did since it started, and the last traced request's statements."""

    def __init__(self) -> None:
        self.statements = 0
        self.requests = 0
        self.gc_seconds = 0.0
        self.last_trace: list[list[Any]] = []
        self._gc_began = 0.0
        gc.callbacks.append(self._gc)

    def before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements += 1
        counts = _request_counts.get()
        if counts is not None:
            counts.statements += 1
            counts.started[id(cursor)] = time.perf_counter()
            if counts.trace is not None:
                counts.trace.append([" ".join(statement.split()), 0.0])

    def after(self, conn: Any, cursor: Any, *args: Any) -> None:
        counts = _request_counts.get()
        if counts is None:
            return
        began = counts.started.pop(id(cursor), None)
        if began is not None:
            elapsed = time.perf_counter() - began
            counts.seconds += elapsed
            if counts.trace:
                counts.trace[-1][1] = round(elapsed * 1000, 2)

    def _gc(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._gc_began = time.perf_counter()
        else:
            self.gc_seconds += time.perf_counter() - self._gc_began

    def as_json(self) -> bytes:
        return orjson.dumps({
            "statements": self.statements, "requests": self.requests,
            "cpu_seconds": time.process_time(), "gc_seconds": self.gc_seconds,
        })  # fmt: skip


async def _answer(send: Send, body: bytes) -> None:
    await send({
        "type": "http.response.start", "status": 200,
        "headers": [(b"content-type", b"application/json")],
    })  # fmt: skip
    await send({"type": "http.response.body", "body": body})


class CountingMiddleware:
    """Outermost: one counter per HTTP request, reported in response headers; the
    totals at ``/_bench/stats``, the last traced request's statements at
    ``/_bench/trace``."""

    def __init__(self, app: ASGIApp, totals: Totals) -> None:
        self.app = app
        self.totals = totals

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if scope["path"] == STATS_PATH:
            await _answer(send, self.totals.as_json())
            return
        if scope["path"] == TRACE_PATH:
            await _answer(send, orjson.dumps(self.totals.last_trace))
            return
        traced = any(name == TRACE_HEADER.encode() for name, _ in scope.get("headers", []))
        counts = Counts(trace=traced)
        token = _request_counts.set(counts)
        self.totals.requests += 1

        async def send_with_count(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = [
                    *message.get("headers", []),
                    (STATEMENTS_HEADER.encode(), str(counts.statements).encode()),
                    (SQL_MS_HEADER.encode(), f"{counts.seconds * 1000:.3f}".encode()),
                ]
                message = {**message, "headers": headers}
            await send(message)

        try:
            await self.app(scope, receive, send_with_count)
        finally:
            _request_counts.reset(token)
            if counts.trace is not None:
                self.totals.last_trace = counts.trace


def build_app(database_url: str, data_dir: str) -> ASGIApp:
    """The real app on ``database_url`` plus the baseline under /_baseline, counted."""
    settings = bench_settings(database_url, data_dir)
    app = create_app(settings, run_jobs=False)
    # Inside the app, so the baseline passes the same middleware (request ids, access
    # log) as /graphql does.
    app.router.routes.append(Mount(BASELINE_PREFIX, routes=baseline.routes()))
    totals = Totals()
    engine = app.state.runtime.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", totals.before)
    event.listen(engine, "after_cursor_execute", totals.after)
    return CountingMiddleware(app, totals)


def main(argv: list[str] | None = None) -> None:
    import uvicorn

    from core.logs import configure_logging

    parser = argparse.ArgumentParser(prog="python -m benchmarks.server")
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="WARNING")
    args = parser.parse_args(argv)
    configure_logging(args.log_level)
    with tempfile.TemporaryDirectory(prefix="concierge-bench-server-") as data_dir:
        app = build_app(args.database_url, data_dir)
        uvicorn.run(
            app, host=args.host, port=args.port, log_config=None, access_log=False,
            timeout_graceful_shutdown=5,
        )  # fmt: skip


if __name__ == "__main__":
    main()
