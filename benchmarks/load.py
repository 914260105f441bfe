"""Load over real HTTP: N concurrent clients on keep-alive connections (httpx, asyncio)
for a fixed time, each sending its next request as soon as the last is answered.

A phase first warms up (the same requests, unmeasured: connections open, the server's
schema caches fill), then reads the server's totals (``/_bench/stats``), sends for
``duration`` seconds, waits for the requests in flight, and reads the totals again.
Latency is from sending a request to having its whole body; each answer is parsed and
checked. The requests' SQL statements and SQL time come from their ``x-sql-statements``
and ``x-sql-ms`` headers.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from benchmarks.server import (
    SQL_MS_HEADER,
    STATEMENTS_HEADER,
    STATS_PATH,
    TRACE_HEADER,
    TRACE_PATH,
)

REQUEST_TIMEOUT = 60.0  # seconds; a request taking longer counts as failed
MAX_SAMPLES = 3  # distinct failure messages kept per phase

# The request with this index: (path, JSON body).
Requests = Callable[[int], tuple[str, dict[str, Any]]]
# An answer's "data" for the request with this index: None when right, else what is wrong.
Check = Callable[[int, dict[str, Any]], str | None]


@dataclass
class Endpoint:
    """One way of asking a scenario's question: GraphQL or the baseline."""

    api: str  # "graphql" or "baseline"
    headers: dict[str, str]
    requests: Requests
    check: Check


@dataclass
class Measured:
    sent: int = 0
    ok: int = 0
    failed: int = 0  # HTTP errors, GraphQL errors, timeouts, wrong answers
    seconds: float = 0.0
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    statements: list[int] = field(default_factory=list)  # per answered request
    sql_ms: list[float] = field(default_factory=list)  # per answered request
    server_statements: int = 0  # every statement the server sent during the phase
    server_cpu_seconds: float = 0.0
    server_gc_seconds: float = 0.0
    client_cpu_seconds: float = 0.0
    samples: list[str] = field(default_factory=list)

    def note(self, problem: str) -> None:
        self.failed += 1
        if len(self.samples) < MAX_SAMPLES and problem not in self.samples:
            self.samples.append(problem[:300])


async def server_stats(client: httpx.AsyncClient) -> dict[str, float]:
    response = await client.get(STATS_PATH)
    response.raise_for_status()
    return orjson.loads(response.content)


async def send(
    client: httpx.AsyncClient, endpoint: Endpoint, index: int, out: Measured | None
) -> dict[str, Any] | None:
    """One request; its figures go to ``out`` (None: warming up). The answer's data."""
    path, body = endpoint.requests(index)
    began = time.perf_counter()
    try:
        response = await client.post(path, content=orjson.dumps(body), headers=endpoint.headers)
        elapsed = time.perf_counter() - began
        answer = orjson.loads(response.content)
    except Exception as exc:  # a benchmark counts failures, it does not stop
        if out is not None:
            out.sent += 1
            out.note(f"{type(exc).__name__}: {exc}")
        return None
    if out is None:
        return answer.get("data") if isinstance(answer, dict) else None
    out.sent += 1
    out.latencies.append(elapsed)
    out.statements.append(int(response.headers.get(STATEMENTS_HEADER, "0")))
    out.sql_ms.append(float(response.headers.get(SQL_MS_HEADER, "0")))
    if response.status_code != 200 or not isinstance(answer, dict) or answer.get("errors"):
        errors = answer.get("errors") if isinstance(answer, dict) else None
        first = (errors or [{}])[0]
        code = (first.get("extensions") or {}).get("code")
        out.note(f"HTTP {response.status_code}: {first.get('message')} ({code})")
        return None
    problem = endpoint.check(index, answer["data"])
    if problem is None:
        out.ok += 1
    else:
        out.note(problem)
    return answer["data"]


async def run_phase(
    base_url: str, endpoint: Endpoint, indexes: itertools.count[int], *, clients: int,
    duration: float, warmup: float,
) -> Measured:  # fmt: skip
    """``clients`` concurrent clients for ``warmup`` seconds unmeasured, then ``duration``
    seconds measured. ``indexes`` numbers every request of the run (mutations use it for
    their idempotency keys, so no two requests share one)."""
    limits = httpx.Limits(max_connections=clients, max_keepalive_connections=clients)
    async with httpx.AsyncClient(
        base_url=base_url, timeout=REQUEST_TIMEOUT, limits=limits
    ) as client:

        async def loop(until: float, out: Measured | None) -> None:
            while time.perf_counter() < until:
                await send(client, endpoint, next(indexes), out)

        await asyncio.gather(*(loop(time.perf_counter() + warmup, None) for _ in range(clients)))
        out = Measured()
        before = await server_stats(client)
        cpu = time.process_time()
        began = time.perf_counter()
        await asyncio.gather(*(loop(began + duration, out) for _ in range(clients)))
        out.seconds = time.perf_counter() - began
        out.client_cpu_seconds = time.process_time() - cpu
        after = await server_stats(client)
    out.server_statements = int(after["statements"] - before["statements"])
    out.server_cpu_seconds = after["cpu_seconds"] - before["cpu_seconds"]
    out.server_gc_seconds = after["gc_seconds"] - before["gc_seconds"]
    return out


async def ask_once(base_url: str, endpoint: Endpoint, index: int) -> tuple[int, Any]:
    """One request outside any phase: its HTTP status and parsed answer (for the
    comparison of GraphQL's and the baseline's answers)."""
    path, body = endpoint.requests(index)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        response = await client.post(path, content=orjson.dumps(body), headers=endpoint.headers)
    return response.status_code, orjson.loads(response.content)


async def trace_once(base_url: str, endpoint: Endpoint, index: int) -> list[tuple[str, float]]:
    """The statements one request sends, in order, each with its milliseconds."""
    path, body = endpoint.requests(index)
    headers = {**endpoint.headers, TRACE_HEADER: "1"}
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        await client.post(path, content=orjson.dumps(body), headers=headers)
        trace = orjson.loads((await client.get(TRACE_PATH)).content)
    return [(statement, ms) for statement, ms in trace]
