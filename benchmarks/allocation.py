"""Concurrent stock allocation over real HTTP GraphQL: allocations per second, and no oversell.

Each run builds the real app (``core.app.create_app``) on a fresh, migrated
database (a SQLite file in a temporary directory, or a PostgreSQL database
created for the run and dropped afterwards), creates a tenant, a property with
oms_inventory enabled, a warehouse user, a catalog and stock, then sends
``allocateStock`` mutations from many concurrent clients through httpx's
ASGI transport (in process, no sockets). Afterwards it audits the database:
no level promises more than is on hand, every level equals the sums of its
ledger rows, and the allocation rows add up to the levels' allocated units.

Scenarios:

* ``last-units``: many requests for one unit each race for the last units of
  one SKU; exactly as many succeed as there are units (oversell must be 0).
* ``many-skus``: allocations spread across many SKUs with ample stock
  (or, with ``--stock-per-sku``, scarce stock): throughput and latency.

    python -m benchmarks.allocation --database sqlite --scenario last-units
    python -m benchmarks.allocation --database postgresql \\
        --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Exit status 1 when an invariant broke (anything oversold, a level that differs
from its ledger sums or its allocations, responses that disagree with the
database), 2 when requests failed with anything but INSUFFICIENT_STOCK (or
stock was left unsold while requests were refused), 0 otherwise. Needs the
test extra (``pip install -e '.[test]'``: httpx, asyncpg, and pytest, which
core.testing imports).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import httpx
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core.app import create_app
from core.config import Settings
from core.db import Scope
from core.plugins import PluginHost
from core.testing import TEST_SECRET, ConciergeTestKit, PropertyRef, new_migrated_database
from plugins.oms_inventory.models import (
    Allocation,
    PurchaseOrder,
    StockLevel,
    StockMovement,
    Variant,
)
from plugins.oms_inventory.service import catalog, reorder, stock

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL_ENV = "CONCIERGE_BENCH_POSTGRES_URL"
LOCATION = "MAIN"  # seeded when oms_inventory is enabled
REQUEST_TIMEOUT = 60.0  # seconds; a request taking longer counts as an error

ALLOCATE = """
mutation Allocate($input: AllocateStockInput!) {
  allocateStock(input: $input) {
    taken { sku location quantity }
    errors { code message availableQuantity }
  }
}
"""


# ---------------------------------------------------------------------------
# A fresh database per run
# ---------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(kind: str, postgres_url: str, host: PluginHost) -> AsyncIterator[str]:
    """The URL of a new database migrated for ``host``; removed afterwards."""
    server = make_url(postgres_url) if kind == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="concierge-bench-") as directory:
        async with new_migrated_database(host, Path(directory), server) as url:
            yield url


# ---------------------------------------------------------------------------
# Setup: tenant, property, user, catalog, stock
# ---------------------------------------------------------------------------


@dataclass
class Shop:
    kit: ConciergeTestKit
    client: httpx.AsyncClient
    prop: PropertyRef
    headers: dict[str, str]


@asynccontextmanager
async def shop(kind: str, postgres_url: str) -> AsyncIterator[Shop]:
    host = PluginHost.discover()
    async with fresh_database(kind, postgres_url, host) as url:
        with tempfile.TemporaryDirectory(prefix="concierge-bench-data-") as data_dir:
            settings = Settings(
                database_url=url, secret_key=TEST_SECRET, data_dir=Path(data_dir), run_jobs=False
            )
            app = create_app(settings, host=host, run_jobs=False)
            try:
                transport = httpx.ASGITransport(app=app)
                async with httpx.AsyncClient(
                    transport=transport, base_url="http://bench", timeout=60
                ) as client:
                    kit = ConciergeTestKit(app, client)
                    tenant = await kit.tenant("bench")
                    prop = await kit.property(tenant, "bench-shop", plugins=["oms_inventory"])
                    user = await kit.user(
                        tenant, "warehouse@bench.example", role="warehouse", property=prop
                    )
                    token = await kit.token_for(user, ttl=dt.timedelta(hours=1))
                    headers = {
                        "authorization": f"Bearer {token}",
                        "accept": "application/graphql-response+json",
                    }
                    bench = Shop(kit, client, prop, headers)
                    await _warm_up(bench)
                    yield bench
            finally:
                await app.state.runtime.close()


async def _warm_up(bench: Shop) -> None:
    """Build and cache the property's schema before anything is timed."""
    response = await bench.client.post(
        f"/graphql/{bench.prop.slug}",
        json={"query": "{ inventorySettings { strategy allowSplit } }"},
        headers=bench.headers,
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text


async def stock_skus(
    bench: Shop,
    skus: list[str],
    units: int,
    *,
    reorder_minimum: int | None = None,
) -> None:
    clock = bench.kit.clock
    async with bench.kit.transaction(bench.prop) as session:
        for sku in skus:
            await catalog.create_product(
                session, name=f"Product {sku}", description="",
                variants=[catalog.VariantSpec(sku=sku, price="9.90", currency="EUR")],
                clock=clock,
            )  # fmt: skip
            await stock.receive_stock(
                session, sku=sku, location_code=LOCATION, quantity=units,
                reference="bench opening stock", actor="bench", clock=clock,
            )  # fmt: skip
            if reorder_minimum is not None:
                await reorder.set_reorder_rule(
                    session, sku=sku, location_code=LOCATION, minimum=reorder_minimum,
                    maximum=max(units, reorder_minimum), multiple=10, clock=clock,
                )  # fmt: skip


class ServerErrors(logging.Handler):
    """Collects the exceptions the app logs (masked INTERNAL errors) instead of printing
    their tracebacks; the report shows each distinct one once, with a count."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            text = f"{type(exc).__module__}.{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            text = record.getMessage().splitlines()[0]
        self.seen[text[:200]] += 1


SERVER_ERRORS = ServerErrors()


# ---------------------------------------------------------------------------
# Driving requests
# ---------------------------------------------------------------------------


@dataclass
class Outcome:
    ok: int = 0
    refused: int = 0  # INSUFFICIENT_STOCK: the expected answer once stock runs out
    errors: int = 0  # anything else: HTTP errors, top-level GraphQL errors, other codes
    sent: int = 0
    units_by_sku: Counter[str] = field(default_factory=Counter)
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    server_errors: Counter[str] = field(default_factory=Counter)
    elapsed: float = 0.0


async def drive(
    bench: Shop, orders: list[list[tuple[str, int]]], *, clients: int, time_limit: float
) -> Outcome:
    """Send one allocateStock per order from ``clients`` concurrent workers."""
    outcome = Outcome()
    queue: asyncio.Queue[tuple[int, list[tuple[str, int]]]] = asyncio.Queue()
    for index, lines in enumerate(orders):
        queue.put_nowait((index, lines))
    start = time.perf_counter()
    deadline = start + time_limit
    path = f"/graphql/{bench.prop.slug}"

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                index, lines = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            variables = {
                "input": {
                    "reference": f"BENCH-{index:06d}",
                    "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
                }
            }
            began = time.perf_counter()
            outcome.sent += 1
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    response = await bench.client.post(
                        path,
                        json={"query": ALLOCATE, "variables": variables},
                        headers=bench.headers,
                    )
                body = response.json()
            except Exception as exc:  # a benchmark counts failures, it does not stop
                outcome.errors += 1
                _sample(outcome, f"{type(exc).__name__}: {exc}")
                continue
            outcome.latencies.append(time.perf_counter() - began)
            payload = (body.get("data") or {}).get("allocateStock")
            if response.status_code != 200 or body.get("errors") or payload is None:
                outcome.errors += 1
                first = (body.get("errors") or [{}])[0]
                code = (first.get("extensions") or {}).get("code")
                _sample(outcome, f"HTTP {response.status_code}: {first.get('message')} ({code})")
            elif payload["errors"]:
                codes = {e["code"] for e in payload["errors"]}
                if codes == {"INSUFFICIENT_STOCK"}:
                    outcome.refused += 1
                else:
                    outcome.errors += 1
                    _sample(outcome, json.dumps(payload["errors"])[:300])
            else:
                outcome.ok += 1
                for taken in payload["taken"]:
                    outcome.units_by_sku[taken["sku"]] += taken["quantity"]

    SERVER_ERRORS.seen.clear()
    await asyncio.gather(*(worker() for _ in range(clients)))
    outcome.elapsed = time.perf_counter() - start
    outcome.server_errors = Counter(SERVER_ERRORS.seen)
    return outcome


def _sample(outcome: Outcome, text: str) -> None:
    if len(outcome.error_samples) < 3 and text not in outcome.error_samples:
        outcome.error_samples.append(text)


# ---------------------------------------------------------------------------
# Auditing the database afterwards
# ---------------------------------------------------------------------------


@dataclass
class Audit:
    levels: int = 0
    overcommitted: int = 0  # levels where allocated + held > on hand (or anything < 0)
    ledger_mismatches: int = 0  # levels that differ from the sums of their ledger rows
    allocation_mismatches: int = 0  # levels whose allocated differs from their allocations
    allocated_by_sku: dict[str, int] = field(default_factory=dict)
    on_hand_by_sku: dict[str, int] = field(default_factory=dict)
    references: int = 0
    draft_purchase_orders: int = 0


async def audit(bench: Shop) -> Audit:
    result = Audit()
    scope = Scope.tenant(bench.prop.tenant_id, bench.prop.id)
    async with bench.kit.db.session(scope, write=False) as session:
        skus = dict((await session.execute(select(Variant.id, Variant.sku))).all())
        levels = (await session.scalars(select(StockLevel))).all()
        m = StockMovement
        ledger = {
            (row.variant_id, row.location_id): (row.on_hand, row.allocated, row.held)
            for row in await session.execute(
                select(
                    m.variant_id,
                    m.location_id,
                    func.sum(m.on_hand_delta).label("on_hand"),
                    func.sum(m.allocated_delta).label("allocated"),
                    func.sum(m.held_delta).label("held"),
                ).group_by(m.variant_id, m.location_id)
            )
        }
        a = Allocation
        promised = {
            (variant_id, location_id): int(quantity)
            for variant_id, location_id, quantity in (
                await session.execute(
                    select(a.variant_id, a.location_id, func.sum(a.quantity - a.shipped)).group_by(
                        a.variant_id, a.location_id
                    )
                )
            )
        }
        result.references = int(
            await session.scalar(select(func.count(func.distinct(a.reference)))) or 0
        )
        drafts = select(func.count()).where(PurchaseOrder.status == "draft")
        result.draft_purchase_orders = int(await session.scalar(drafts) or 0)
    result.levels = len(levels)
    for level in levels:
        key = (level.variant_id, level.location_id)
        sku = skus[level.variant_id]
        if min(level.on_hand, level.allocated, level.held) < 0 or (
            level.allocated + level.held > level.on_hand
        ):
            result.overcommitted += 1
        sums = tuple(int(x or 0) for x in ledger.pop(key, (0, 0, 0)))
        if sums != (level.on_hand, level.allocated, level.held):
            result.ledger_mismatches += 1
        if promised.get(key, 0) != level.allocated:
            result.allocation_mismatches += 1
        result.allocated_by_sku[sku] = result.allocated_by_sku.get(sku, 0) + level.allocated
        result.on_hand_by_sku[sku] = result.on_hand_by_sku.get(sku, 0) + level.on_hand
    result.ledger_mismatches += len(ledger)  # ledger rows of a level that does not exist
    return result


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


@dataclass
class Report:
    scenario: str
    database: str
    clients: int
    planned: int
    sent: int
    ok: int
    refused: int
    errors: int
    units: int  # units on hand before the run, all SKUs together
    allocated: int  # units allocated, as the database says afterwards
    oversell: int
    seconds: float
    allocations_per_second: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    levels: int
    overcommitted_levels: int
    ledger_mismatches: int
    allocation_mismatches: int
    draft_purchase_orders: int
    broken: list[str]  # an invariant broke: oversell, ledger, audit (exit status 1)
    problems: list[str]  # requests failed, or stock was left unsold (exit status 2)
    error_samples: list[str]
    server_errors: dict[str, int]


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] * 1000


def _report(
    scenario: str,
    database: str,
    args: argparse.Namespace,
    planned: int,
    units_by_sku: dict[str, int],
    outcome: Outcome,
    found: Audit,
) -> Report:
    answered_over = sum(
        max(0, outcome.units_by_sku[sku] - units) for sku, units in units_by_sku.items()
    )
    stored_over = sum(
        max(0, found.allocated_by_sku.get(sku, 0) - units) for sku, units in units_by_sku.items()
    )
    oversell = max(answered_over, stored_over)
    broken: list[str] = []
    problems: list[str] = []
    if oversell:
        broken.append(f"OVERSOLD by {oversell} units")
    if found.overcommitted:
        broken.append(f"{found.overcommitted} levels promise more than is on hand")
    if found.ledger_mismatches:
        broken.append(f"{found.ledger_mismatches} levels differ from their ledger sums")
    if found.allocation_mismatches:
        broken.append(f"{found.allocation_mismatches} levels differ from their allocations")
    if outcome.errors:
        problems.append(f"{outcome.errors} requests failed with something else than a refusal")
    mismatched = [
        sku
        for sku in units_by_sku
        if found.allocated_by_sku.get(sku, 0) != outcome.units_by_sku[sku]
    ]
    if mismatched:
        broken.append(f"responses and database disagree on {len(mismatched)} SKUs")
    if found.references != outcome.ok:
        broken.append(f"{found.references} references allocated, {outcome.ok} answered ok")
    return Report(
        scenario=scenario,
        database=database,
        clients=args.clients,
        planned=planned,
        sent=outcome.sent,
        ok=outcome.ok,
        refused=outcome.refused,
        errors=outcome.errors,
        units=sum(units_by_sku.values()),
        allocated=sum(found.allocated_by_sku.values()),
        oversell=oversell,
        seconds=round(outcome.elapsed, 3),
        allocations_per_second=round(outcome.ok / outcome.elapsed, 1) if outcome.elapsed else 0,
        requests_per_second=round(outcome.sent / outcome.elapsed, 1) if outcome.elapsed else 0,
        p50_ms=round(_percentile(outcome.latencies, 0.50), 1),
        p95_ms=round(_percentile(outcome.latencies, 0.95), 1),
        p99_ms=round(_percentile(outcome.latencies, 0.99), 1),
        levels=found.levels,
        overcommitted_levels=found.overcommitted,
        ledger_mismatches=found.ledger_mismatches,
        allocation_mismatches=found.allocation_mismatches,
        draft_purchase_orders=found.draft_purchase_orders,
        broken=broken,
        problems=problems,
        error_samples=outcome.error_samples,
        server_errors=dict(outcome.server_errors),
    )


async def last_units(database: str, args: argparse.Namespace) -> Report:
    """``--requests`` requests for ``--quantity`` units each race for ``--units`` units."""
    sku = "LAST-UNITS"
    async with shop(database, args.postgres_url) as bench:
        await stock_skus(bench, [sku], args.units)
        orders = [[(sku, args.quantity)] for _ in range(args.requests)]
        outcome = await drive(bench, orders, clients=args.clients, time_limit=args.time_limit)
        found = await audit(bench)
    report = _report("last-units", database, args, len(orders), {sku: args.units}, outcome, found)
    # Exactly as many succeed as the stock covers: no more (oversell), no fewer (stock left
    # behind while requests were refused).
    expected = min(outcome.sent, args.units // args.quantity)
    if outcome.ok > expected:
        report.broken.append(f"{outcome.ok} allocations succeeded, at most {expected} possible")
    elif outcome.ok < expected:
        report.problems.append(f"{outcome.ok} allocations succeeded, {expected} expected")
    return report


async def many_skus(database: str, args: argparse.Namespace) -> Report:
    """``--allocations`` orders of ``--lines`` lines spread over ``--skus`` SKUs."""
    rng = random.Random(args.seed)
    skus = [f"SKU-{n:05d}" for n in range(args.skus)]
    lines = min(args.lines, len(skus))
    orders = [
        [(sku, rng.randint(1, args.max_quantity)) for sku in rng.sample(skus, lines)]
        for _ in range(args.allocations)
    ]
    async with shop(database, args.postgres_url) as bench:
        await stock_skus(bench, skus, args.stock_per_sku, reorder_minimum=args.reorder_minimum)
        outcome = await drive(bench, orders, clients=args.clients, time_limit=args.time_limit)
        found = await audit(bench)
    units = dict.fromkeys(skus, args.stock_per_sku)
    report = _report("many-skus", database, args, len(orders), units, outcome, found)
    demand: Counter[str] = Counter()
    for order in orders[: outcome.sent]:
        for sku, quantity in order:
            demand[sku] += quantity
    if all(demand[sku] <= args.stock_per_sku for sku in skus) and outcome.refused:
        report.problems.append(f"{outcome.refused} refusals although stock covered every order")
    return report


SCENARIOS = {"last-units": last_units, "many-skus": many_skus}


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


COLUMNS = [
    ("scenario", "scenario"),
    ("database", "database"),
    ("clients", "clients"),
    ("sent", "requests"),
    ("ok", "ok"),
    ("refused", "refused"),
    ("errors", "errors"),
    ("units", "units"),
    ("allocated", "allocated"),
    ("oversell", "oversell"),
    ("seconds", "s"),
    ("requests_per_second", "req/s"),
    ("allocations_per_second", "alloc/s"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("ledger_mismatches", "ledger diffs"),
]


def print_table(reports: list[Report]) -> None:
    rows = [[title for _, title in COLUMNS]]
    rows += [[str(getattr(r, name)) for name, _ in COLUMNS] for r in reports]
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for number, row in enumerate(rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    for report in reports:
        for problem in report.broken:
            print(f"BROKEN {report.scenario} on {report.database}: {problem}")
        for problem in report.problems:
            print(f"FAIL {report.scenario} on {report.database}: {problem}")
        for sample in report.error_samples:
            print(f"  e.g. {sample}")
        for text, count in report.server_errors.items():
            print(f"  server logged {count} x {text}")


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.allocation",
        description="Concurrent allocateStock over HTTP GraphQL: throughput and oversell.",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL),
        help="a server where a database may be created (and is dropped afterwards); "
        f"default ${POSTGRES_URL_ENV} or {DEFAULT_POSTGRES_URL}",
    )
    parser.add_argument("--clients", type=int, default=50, help="concurrent clients (50)")
    parser.add_argument(
        "--time-limit", type=float, default=45.0,
        help="seconds after which no more requests are sent, per run (45)",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the reports as JSON too")
    parser.add_argument(
        "--verbose", action="store_true", help="let the app print its error logs (tracebacks)"
    )
    last = parser.add_argument_group("last-units")
    last.add_argument("--requests", type=int, default=500, help="requests (500)")
    last.add_argument("--units", type=int, default=100, help="units on hand (100)")
    last.add_argument("--quantity", type=int, default=1, help="units per request (1)")
    many = parser.add_argument_group("many-skus")
    many.add_argument("--skus", type=int, default=200, help="SKUs (200)")
    many.add_argument("--allocations", type=int, default=2000, help="orders (2000)")
    many.add_argument("--lines", type=int, default=1, help="SKUs per order (1)")
    many.add_argument("--max-quantity", type=int, default=3, help="units per line, 1 to this (3)")
    many.add_argument("--stock-per-sku", type=int, default=10_000, help="units of each SKU (10000)")
    many.add_argument(
        "--reorder-minimum", type=int, default=None, metavar="N",
        help="give every SKU a reorder rule (minimum N, maximum its stock, multiple 10)",
    )  # fmt: skip
    many.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    for name in ("clients", "requests", "units", "quantity", "skus", "allocations", "lines"):
        if getattr(args, name) < 1:
            parser.error(f"--{name} must be at least 1")
    return args


async def run(args: argparse.Namespace) -> list[Report]:
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    scenarios = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    reports = []
    for database in databases:
        for scenario in scenarios:
            reports.append(await SCENARIOS[scenario](database, args))
    return reports


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if not args.verbose:
        logging.getLogger().addHandler(SERVER_ERRORS)
    reports = asyncio.run(run(args))
    print_table(reports)
    if args.json:
        print(json.dumps([asdict(r) for r in reports], indent=2))
    if any(r.broken for r in reports):
        return 1
    return 2 if any(r.problems for r in reports) else 0


if __name__ == "__main__":
    sys.exit(main())
