"""``python -m benchmarks``: the whole suite against a real server over loopback HTTP.

1. The dataset (``dataset.py``): seeded once, cached under ``var/bench/``; each run
   works on a copy of it.
2. Credentials for the run (``access.py``), then the server (``server.py``) in its own
   process: the real app plus the baseline (``baseline.py``), one uvicorn worker on
   127.0.0.1 and a free port, counting SQL statements per request.
3. GraphQL's and the baseline's first answers compared, then each scenario
   (``scenarios.py``) driven from this process (``load.py``): ``--clients`` (16)
   concurrent clients for ``--duration`` seconds per phase, GraphQL then its baseline;
   the orders pages with 1 client too.
4. The table, the targets, ``--json`` (``report.py``); the figures are also written to
   ``var/bench/last-run.json`` (``last-run-quick.json`` with ``--quick``).

Exit status 0 when every request was answered, and answered right, whatever the
figures (a measurement, not a test); 1 when requests failed, an answer was wrong or the
baseline's answer differs from GraphQL's.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import itertools
import os
import platform
import re
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from benchmarks import dataset, report
from benchmarks.access import grant
from benchmarks.load import ask_once, run_phase, trace_once
from benchmarks.scenarios import Scenario, page_keys, scenarios

STARTUP_TIMEOUT = 60.0  # seconds for the server to answer /healthz
# A long SELECT list, which says little and hides the FROM and WHERE that say much.
_COLUMN_LIST = re.compile(
    r"SELECT (DISTINCT )?((?:[\w.]+(?: AS \w+)?, ){3,}[\w.]+(?: AS \w+)?) FROM"
)
_VALUE_LIST = re.compile(r"\(\?(?:, \?){3,}\)")  # a long IN list of parameters


def compact(statement: str) -> str:
    def columns(match: re.Match[str]) -> str:
        return f"SELECT {match.group(1) or ''}<{match.group(2).count(',') + 1} columns> FROM"

    statement = _COLUMN_LIST.sub(columns, statement)
    return _VALUE_LIST.sub(lambda m: f"(<{m.group(0).count('?')} values>)", statement)


def _log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def served(database_url: str, log_level: str) -> AsyncIterator[str]:
    """The server in a process of its own, on a free loopback port; its base URL."""
    port = _free_port()
    log_path = dataset.CACHE_DIR / f"server-{os.getpid()}.log"
    log = await asyncio.to_thread(log_path.open, "wb")
    try:
        process = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "benchmarks.server", "--database-url", database_url,
            "--port", str(port), "--log-level", log_level, stdout=log, stderr=log,
        )  # fmt: skip
    finally:
        log.close()
    base_url = f"http://127.0.0.1:{port}"
    try:
        await _wait_until_up(base_url, process, log_path)
        yield base_url
    finally:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), timeout=15)
            except TimeoutError:
                process.kill()
                await process.wait()
        text = await asyncio.to_thread(log_path.read_text, errors="replace")
        if text.strip():
            tail = text.strip().splitlines()[-20:]
            _log(f"server log ({log_path}), last lines:\n  " + "\n  ".join(tail))
        else:
            await asyncio.to_thread(log_path.unlink, missing_ok=True)


async def _wait_until_up(base_url: str, process: asyncio.subprocess.Process, log: Path) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    async with httpx.AsyncClient(base_url=base_url, timeout=2) as client:
        while time.monotonic() < deadline:
            if process.returncode is not None:
                raise RuntimeError(f"the server exited ({process.returncode}); see {log}")
            try:
                if (await client.get("/healthz")).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError(f"the server did not answer within {STARTUP_TIMEOUT:.0f} s; see {log}")


def _difference(graphql: Any, baseline: Any, path: str = "data", shape_only: bool = False) -> str:
    """Where two answers differ ('' when they do not); ``shape_only`` compares keys and
    types, not values (mutations: each made its own order or sale)."""
    if isinstance(graphql, dict) and isinstance(baseline, dict):
        if graphql.keys() != baseline.keys():
            return f"{path}: keys {sorted(graphql)} vs {sorted(baseline)}"
        for key in graphql:
            found = _difference(graphql[key], baseline[key], f"{path}.{key}", shape_only)
            if found:
                return found
        return ""
    if isinstance(graphql, list) and isinstance(baseline, list):
        if not shape_only and len(graphql) != len(baseline):
            return f"{path}: {len(graphql)} items vs {len(baseline)}"
        for index, (g, b) in enumerate(zip(graphql, baseline, strict=False)):
            found = _difference(g, b, f"{path}[{index}]", shape_only)
            if found:
                return found
        return ""
    if shape_only:
        same = type(graphql) is type(baseline) or graphql is None or baseline is None
    else:
        same = graphql == baseline
    return "" if same else f"{path}: {graphql!r} vs {baseline!r}"


async def compare_answers(
    base_url: str, plan: list[Scenario], indexes: itertools.count[int]
) -> list[str]:
    """GraphQL's answer and the baseline's to the same question: equal for the reads, of
    the same shape for the mutations. What differs."""
    problems = []
    for scenario in plan:
        if scenario.baseline is None:
            continue
        first = 0 if not scenario.writes else next(indexes)
        second = 0 if not scenario.writes else next(indexes)
        status_g, graphql = await ask_once(base_url, scenario.graphql, first)
        status_b, baseline = await ask_once(base_url, scenario.baseline, second)
        if status_g != 200 or status_b != 200 or "data" not in graphql or "data" not in baseline:
            problems.append(
                f"{scenario.title}: HTTP {status_g} {str(graphql)[:200]} / "
                f"HTTP {status_b} {str(baseline)[:200]}"
            )
            continue
        found = _difference(graphql["data"], baseline["data"], shape_only=scenario.writes)
        if found:
            problems.append(f"{scenario.title}: GraphQL and baseline differ at {found[:300]}")
    return problems


async def traces(
    base_url: str, plan: list[Scenario], indexes: itertools.count[int]
) -> list[tuple[str, list[tuple[str, float]]]]:
    """The statements of one request of each scenario and API, with their times."""
    found = []
    for scenario in plan:
        for endpoint in (scenario.graphql, scenario.baseline):
            if endpoint is not None:
                index = next(indexes) if scenario.writes else 0
                trace = await trace_once(base_url, endpoint, index)
                found.append((f"{scenario.title} / {endpoint.api}", trace))
    return found


def _commit() -> str:
    try:
        out = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True, check=True
        )
        dirty = subprocess.run(
            ["git", "status", "--porcelain", "--untracked-files=no"], capture_output=True,
            text=True, check=False,
        )  # fmt: skip
        return out.stdout.strip() + (" (modified)" if dirty.stdout.strip() else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


async def run(args: argparse.Namespace) -> int:
    began = time.perf_counter()
    sizes = dataset.QUICK if args.quick else dataset.FULL
    manifest = await dataset.cached_dataset(
        sizes, postgres_url=args.postgres_url, reseed=args.reseed
    )
    seeded_now = time.perf_counter() - began
    rows: list[report.Row] = []
    load_before = os.getloadavg()
    async with dataset.working_copy(manifest, analyze=args.sqlite_analyze) as url:
        facts = (manifest.shop, manifest.small_shop, manifest.resort)
        access = await grant(
            url, managers={f.tenant_id: f.manager_id for f in facts},
            resort=(manifest.resort.tenant_id, manifest.resort.id), outlet=dataset.OUTLET,
        )  # fmt: skip
        plan = scenarios(manifest, access, args.clients)
        if args.scenario:
            plan = [s for s in plan if any(part in s.key for part in args.scenario)]
        # The seed's garbage out of the collector's way: the driver's pauses are not the
        # server's.
        gc.collect()
        gc.freeze()
        indexes = itertools.count()
        async with served(url, args.server_log_level) as base_url:
            _log(f"server up at {base_url}; comparing GraphQL's and the baseline's answers")
            problems = await compare_answers(base_url, plan, indexes)
            for problem in problems:
                _log(f"  WRONG {problem}")
            statements = await traces(base_url, plan, indexes) if args.show_sql else []
            for scenario in plan:
                for api, clients in scenario.phases:
                    endpoint = scenario.graphql if api == "graphql" else scenario.baseline
                    assert endpoint is not None
                    measured = await run_phase(
                        base_url, endpoint, indexes, clients=clients, duration=args.duration,
                        warmup=args.warmup,
                    )  # fmt: skip
                    row = report.row_of(scenario.key, scenario.title, api, clients, measured)
                    rows.append(row)
                    _log(
                        f"  {scenario.title} / {api} / {clients} clients: "
                        f"{row.requests_per_second:g} req/s, p50 {row.p50_ms:g} ms, "
                        f"p99 {row.p99_ms:g} ms, {row.statements_per_request:g} SQL/req"
                        + (f", {row.failed} FAILED" if row.failed else "")
                    )
    report.add_ratios(rows)
    shop, small = manifest.shop, manifest.small_shop
    big_key, small_key, ten_key = page_keys(manifest)
    found = report.targets(rows, big=big_key, small=small_key, ten=ten_key, clients=args.clients)
    meta = {
        "commit": _commit(), "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version, "database": manifest.database,
        "cores": os.cpu_count(), "load_average_before": [round(x, 2) for x in load_before],
        "load_average_after": [round(x, 2) for x in os.getloadavg()],
        "dataset": manifest.sizes, "dataset_digest": manifest.digest,
        "dataset_seeded_at": manifest.seeded_at, "seed_seconds_this_run": round(seeded_now, 1),
        "clients": args.clients, "duration": args.duration, "warmup": args.warmup,
        "sqlite_analyze": args.sqlite_analyze,
        "wall_seconds": round(time.perf_counter() - began, 1), "answer_problems": problems,
        "sql": [{"request": title, "statements": trace} for title, trace in statements],
    }  # fmt: skip
    print(report.table(rows, markdown=args.markdown))
    print(f"\nTargets (GraphQL; req/s ratios are GraphQL / baseline at {args.clients} clients):")
    print(report.target_lines(found))
    for row in rows:
        for sample in row.samples:
            print(f"FAILED {row.title} / {row.api} / {row.clients} clients: {sample}")
    for problem in problems:
        print(f"WRONG {problem}")
    for title, trace in statements:
        total = sum(ms for _, ms in trace)
        print(f"\nSQL of one request, {title}: {len(trace)} statements, {total:.1f} ms")
        for statement, ms in trace:
            print(f"  {ms:7.2f} ms  {compact(statement)[:220]}")
    print(
        f"\n{manifest.database}, dataset {manifest.digest} ({shop.orders:,} + {small.orders:,} "
        f"orders, {shop.skus:,} SKUs, {manifest.resort.rooms} rooms), commit {meta['commit']}, "
        f"{meta['cores']} cores, load average {load_before[0]:.2f} before, "
        f"{meta['load_average_after'][0]:.2f} after; {meta['wall_seconds']:g} s in all"
        + (f" ({seeded_now:.0f} s of it the dataset)" if seeded_now > 5 else "")
    )
    text = report.as_json(meta, rows, found)
    # Every run's figures are kept beside the dataset, whatever --json says.
    last = dataset.CACHE_DIR / ("last-run-quick.json" if args.quick else "last-run.json")
    await asyncio.to_thread(last.write_text, text + "\n")
    if args.json == "-":
        print(text)
    elif args.json:
        await asyncio.to_thread(Path(args.json).write_text, text + "\n")
    failed = any(row.failed for row in rows) or bool(problems)
    return 1 if failed else 0


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks",
        description="The suite: GraphQL and a plain baseline over loopback HTTP against a real "
        "server on a seeded shop and resort.",
    )
    parser.add_argument("--quick", action="store_true",
                        help="a small dataset and 3-second phases (about 1.5 minutes)")  # fmt: skip
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients (16)")
    parser.add_argument("--duration", type=float, default=None,
                        help="measured seconds per phase (10; 3 with --quick)")  # fmt: skip
    parser.add_argument("--warmup", type=float, default=None,
                        help="unmeasured seconds before each phase (1; 0.5 --quick)")  # fmt: skip
    parser.add_argument(
        "--scenario", action="append",
        help="only scenarios whose key contains this (repeatable): orders-page, availability, "
        "housekeeping-board, place-order, pos-room-charge",
    )  # fmt: skip
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get("CONCIERGE_BENCH_POSTGRES_URL"),
        help="seed and serve on PostgreSQL: a server where databases may be created "
        "(postgresql+asyncpg://...); default SQLite",
    )
    parser.add_argument("--reseed", action="store_true", help="seed again even if cached")
    parser.add_argument("--sqlite-analyze", action="store_true",
                        help="ANALYZE the run's copy first (the app never does)")  # fmt: skip
    parser.add_argument("--server-log-level", default="WARNING",
                        help="the server's log level (WARNING: no access log)")  # fmt: skip
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    parser.add_argument("--show-sql", action="store_true",
                        help="print one request's statements per scenario, timed")  # fmt: skip
    parser.add_argument("--json", nargs="?", const="-", metavar="PATH",
                        help="dump every figure as JSON, to PATH or stdout")  # fmt: skip
    args = parser.parse_args(argv)
    if args.duration is None:
        args.duration = 3.0 if args.quick else 10.0
    if args.warmup is None:
        args.warmup = 0.5 if args.quick else 1.0
    if args.clients < 1 or args.duration <= 0 or args.warmup < 0:
        parser.error("--clients and --duration must be positive, --warmup not negative")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        import uvloop
    except ImportError:
        return asyncio.run(run(args))
    with asyncio.Runner(loop_factory=uvloop.new_event_loop) as runner:
        return runner.run(run(args))
