"""The suite's figures: one row per measured phase, GraphQL's throughput against the
baseline's, the issue's targets, a table and JSON."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any

from benchmarks.load import Measured


@dataclass
class Row:
    scenario: str  # the scenario's key
    title: str
    api: str  # graphql or baseline
    clients: int
    requests: int
    ok: int
    failed: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    statements_per_request: float  # mean of the responses' x-sql-statements
    statements_min: int
    statements_max: int
    sql_ms_per_request: float  # mean of x-sql-ms: sending statements to their answers
    server_cpu_percent: float  # of one core, during the phase
    client_cpu_percent: float  # the driver's, of one core
    gc_ms_per_request: float  # the server's time in the garbage collector
    vs_baseline: float | None = None  # GraphQL req/s / the baseline's (same clients)
    samples: list[str] = field(default_factory=list)


def percentile(values: list[float], fraction: float) -> float:
    """Nearest-rank percentile, in milliseconds."""
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] * 1000


def row_of(key: str, title: str, api: str, clients: int, out: Measured) -> Row:
    answered = max(len(out.statements), 1)
    seconds = max(out.seconds, 1e-9)
    return Row(
        scenario=key, title=title, api=api, clients=clients, requests=out.sent, ok=out.ok,
        failed=out.failed, seconds=round(out.seconds, 2),
        requests_per_second=round(out.sent / seconds, 1),
        p50_ms=round(percentile(out.latencies, 0.50), 1),
        p99_ms=round(percentile(out.latencies, 0.99), 1),
        statements_per_request=round(sum(out.statements) / answered, 1),
        statements_min=min(out.statements, default=0),
        statements_max=max(out.statements, default=0),
        sql_ms_per_request=round(sum(out.sql_ms) / answered, 1),
        server_cpu_percent=round(100 * out.server_cpu_seconds / seconds),
        client_cpu_percent=round(100 * out.client_cpu_seconds / seconds),
        gc_ms_per_request=round(1000 * out.server_gc_seconds / max(out.sent, 1), 1),
        samples=out.samples,
    )  # fmt: skip


def add_ratios(rows: list[Row]) -> None:
    baselines = {(r.scenario, r.clients): r for r in rows if r.api == "baseline"}
    for row in rows:
        base = baselines.get((row.scenario, row.clients))
        if row.api == "graphql" and base is not None and base.requests_per_second:
            row.vs_baseline = round(row.requests_per_second / base.requests_per_second, 2)


@dataclass
class Target:
    name: str
    holds: bool | None  # None: not measured in this run
    detail: str


def _find(rows: list[Row], scenario: str, api: str, clients: int) -> Row | None:
    return next(
        (r for r in rows if (r.scenario, r.api, r.clients) == (scenario, api, clients)), None
    )


def targets(rows: list[Row], *, big: str, small: str, ten: str, clients: int) -> list[Target]:
    """The issue's targets, from the rows: ``big``, ``small`` and ``ten`` are the keys of
    the orders page on the big shop, on the small one, and at page size 10."""
    found = []

    def ratio_target(name: str, key: str) -> None:
        row = _find(rows, key, "graphql", clients)
        if row is None or row.vs_baseline is None:
            found.append(Target(name, None, "not measured"))
            return
        found.append(Target(name, row.vs_baseline >= 0.5, f"{row.vs_baseline:.2f}x"))

    ratio_target(f"orders page >= 0.5x baseline req/s ({clients} clients)", big)
    ratio_target(f"housekeeping board >= 0.5x baseline req/s ({clients} clients)",
                 "housekeeping-board")  # fmt: skip

    fifty, tenth = _find(rows, big, "graphql", clients), _find(rows, ten, "graphql", clients)
    name = "SQL statements per request do not grow with page size (10 vs 50)"
    if fifty is None or tenth is None:
        found.append(Target(name, None, "not measured"))
    else:
        same = (tenth.statements_min, tenth.statements_max) == (
            fifty.statements_min, fifty.statements_max
        )  # fmt: skip
        found.append(Target(
            name, same and tenth.statements_per_request == fifty.statements_per_request,
            f"{tenth.statements_per_request:g} at 10, {fifty.statements_per_request:g} at 50",
        ))  # fmt: skip

    name = f"orders page p99 < 4x p50 under {clients} clients"
    if fifty is None or not fifty.p50_ms:
        found.append(Target(name, None, "not measured"))
    else:
        spread = fifty.p99_ms / fifty.p50_ms
        found.append(Target(
            name, spread < 4, f"p99 {fifty.p99_ms:g} ms = {spread:.2f}x p50 {fifty.p50_ms:g} ms"
        ))  # fmt: skip

    name = "orders page at the big shop within 1.5x its latency at the small one (p50, 1 client)"
    one_big, one_small = _find(rows, big, "graphql", 1), _find(rows, small, "graphql", 1)
    if one_big is None or one_small is None or not one_small.p50_ms:
        found.append(Target(name, None, "not measured"))
    else:
        factor = one_big.p50_ms / one_small.p50_ms
        detail = f"{factor:.2f}x ({one_big.p50_ms:g} ms vs {one_small.p50_ms:g} ms)"
        many_big, many_small = (
            _find(rows, big, "graphql", clients),
            _find(rows, small, "graphql", clients),
        )
        if many_big and many_small and many_small.p50_ms:
            detail += f"; at {clients} clients {many_big.p50_ms / many_small.p50_ms:.2f}x"
        found.append(Target(name, factor <= 1.5, detail))
    return found


COLUMNS = [
    ("title", "scenario"), ("api", "api"), ("clients", "clients"), ("requests", "requests"),
    ("failed", "failed"), ("requests_per_second", "req/s"), ("p50_ms", "p50 ms"),
    ("p99_ms", "p99 ms"), ("statements_per_request", "SQL/req"),
    ("sql_ms_per_request", "SQL ms/req"), ("vs_baseline", "vs baseline"),
    ("server_cpu_percent", "server CPU %"), ("client_cpu_percent", "client CPU %"),
    ("gc_ms_per_request", "GC ms/req"),
]  # fmt: skip


def _cell(name: str, value: Any) -> str:
    if value is None:
        return ""
    if name == "vs_baseline":
        return f"{value:.2f}"
    if isinstance(value, float):
        return f"{value:,.1f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


def table(rows: list[Row], *, markdown: bool = False) -> str:
    header = [title for _, title in COLUMNS]
    cells = [[_cell(name, getattr(row, name)) for name, _ in COLUMNS] for row in rows]
    if markdown:
        lines = ["| " + " | ".join(header) + " |",
                 "| --- | --- |" + " ---: |" * (len(header) - 2)]  # fmt: skip
        lines += ["| " + " | ".join(row) + " |" for row in cells]
        return "\n".join(lines)
    widths = [max(len(r[i]) for r in [header, *cells]) for i in range(len(header))]

    def line(row: list[str]) -> str:
        first = row[0].ljust(widths[0])
        rest = [cell.rjust(width) for cell, width in zip(row[1:], widths[1:], strict=True)]
        return "  ".join([first, *rest])

    out = [line(header), "  ".join("-" * w for w in widths)]
    out += [line(row) for row in cells]
    return "\n".join(out)


def target_lines(found: list[Target]) -> str:
    words = {True: "holds ", False: "MISSES", None: "n/a   "}
    return "\n".join(f"  {words[t.holds]}  {t.name}: {t.detail}" for t in found)


def as_json(meta: dict[str, Any], rows: list[Row], found: list[Target]) -> str:
    return json.dumps(
        {"meta": meta, "rows": [asdict(r) for r in rows], "targets": [asdict(t) for t in found]},
        indent=2,
    )
