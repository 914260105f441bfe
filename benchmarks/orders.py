"""Orders over real HTTP GraphQL: the orders page on a big shop, and placeOrder under load.

Each run builds the real app (``core.app.create_app``) on a fresh, migrated
database (a SQLite file in a temporary directory, or a PostgreSQL database
created for the run and dropped afterwards), creates a tenant, a property with
oms_inventory and oms_orders enabled, a manager, and a catalog with stock
(through oms_inventory's services), then sends GraphQL requests through
httpx's ASGI transport (in process, no sockets) from concurrent clients.
Every SQL statement the app's engine sends is counted (a
``before_cursor_execute`` listener), so the report gives statements per
request as well as throughput and latency, with the time spent waiting for
SQL answers and in the garbage collector.

Scenarios:

* ``orders-page``: ``--orders`` orders (100,000) are written straight into
  the tables with bulk INSERTs (SQLAlchemy Core, one executemany per table
  for each ``--batch`` of 5,000 orders; placing them through the API would
  take hours), spread like a shop's year: ``--customers`` customers, 1 to 3
  lines over ``--skus`` SKUs, every status and payment status, five channels,
  with their timeline, payments, refunds, shipments and returns. Then the
  clients ask for the first ``--page-size`` (50) confirmed web orders with
  their lines, customer and totals. The same runs on a shop of
  ``--baseline-orders`` (1,000) orders for comparison.
* ``place-order``: ``--requests`` placeOrder mutations of two lines each, for
  SKUs with ample stock, each with its own idempotency key. Afterwards the
  database is audited: as many orders as successful responses, each with its
  allocations, and every stock level equal to its ledger sums.

    python -m benchmarks.orders                          # SQLite, both scenarios
    python -m benchmarks.orders --database postgresql \\
        --postgres-url postgresql+asyncpg://postgres@127.0.0.1:5432/postgres

Exit status 1 when an invariant broke (orders and responses disagree, a
stock level differs from its ledger, a page that is not what was asked for),
2 when requests failed, 0 otherwise. Needs the test extra (``pip install -e
'.[test]'``: httpx, asyncpg, and pytest, which core.testing imports).
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import gc
import hashlib
import json
import logging
import os
import random
import sys
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import httpx
from sqlalchemy import event, func, insert, select, text, update
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from core.app import create_app
from core.config import Settings
from core.db import Scope
from core.plugins import PluginHost
from core.testing import TEST_SECRET, ConciergeTestKit, PropertyRef, new_migrated_database
from plugins.oms_inventory.models import Allocation, StockLevel, StockMovement, Variant
from plugins.oms_inventory.service import catalog, stock
from plugins.oms_orders import models

DEFAULT_POSTGRES_URL = "postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
POSTGRES_URL_ENV = "CONCIERGE_BENCH_POSTGRES_URL"
LOCATION = "MAIN"  # seeded when oms_inventory is enabled
REQUEST_TIMEOUT = 60.0  # seconds; a request taking longer counts as an error
FIRST_NUMBER = 1001  # oms_orders' default first order number

ORDERS_PAGE = """
query OrdersPage($first: Int!, $filter: OrderFilter) {
  orders(first: $first, filter: $filter) {
    totalCount
    pageInfo { hasNextPage endCursor }
    edges {
      node {
        id number status paymentStatus channel email placedAt
        subtotal { amount currency } discount { amount } shipping { amount }
        tax { amount } total { amount } paid { amount } balance { amount }
        lines { sku name quantity unitPrice { amount } }
        customer { name email }
      }
    }
  }
}
"""
PAGE_FILTER = {"status": ["CONFIRMED"], "channel": ["WEB"]}

PLACE_ORDER = """
mutation Place($input: PlaceOrderInput!) {
  placeOrder(input: $input) {
    created
    order { id number status total { amount } lines { sku quantity } }
    errors { code message sku }
  }
}
"""


# ---------------------------------------------------------------------------
# Counting SQL statements
# ---------------------------------------------------------------------------


class StatementCounter:
    """Counts the statements an engine sends (an executemany counts once) and the time
    between sending each and its answer; ``capture`` keeps their text."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.statements = 0
        self.seconds = 0.0
        self.capture: list[str] | None = None
        self._started: dict[int, float] = {}
        sync_engine = engine.sync_engine
        event.listen(sync_engine, "before_cursor_execute", self._before)
        event.listen(sync_engine, "after_cursor_execute", self._after)

    def reset(self) -> None:
        self.statements = 0
        self.seconds = 0.0

    def _before(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements += 1
        self._started[id(cursor)] = time.perf_counter()
        if self.capture is not None:
            self.capture.append(" ".join(statement.split()))

    def _after(self, conn: Any, cursor: Any, *args: Any) -> None:
        began = self._started.pop(id(cursor), None)
        if began is not None:
            self.seconds += time.perf_counter() - began


class CollectorClock:
    """Time spent in the cyclic garbage collector (``gc.callbacks``), by generation."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.full_collections = 0
        self._began = 0.0
        gc.callbacks.append(self._callback)

    def reset(self) -> None:
        self.seconds = 0.0
        self.full_collections = 0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._began = time.perf_counter()
            return
        self.seconds += time.perf_counter() - self._began
        if info["generation"] == 2:
            self.full_collections += 1


COLLECTOR = CollectorClock()


# ---------------------------------------------------------------------------
# A fresh database, a shop, a catalog
# ---------------------------------------------------------------------------


@asynccontextmanager
async def fresh_database(kind: str, postgres_url: str, host: PluginHost) -> AsyncIterator[str]:
    """The URL of a new database migrated for ``host``; removed afterwards."""
    server = make_url(postgres_url) if kind == "postgresql" else None
    with tempfile.TemporaryDirectory(prefix="concierge-bench-") as directory:
        async with new_migrated_database(host, Path(directory), server) as url:
            yield url


@dataclass
class Shop:
    kit: ConciergeTestKit
    client: httpx.AsyncClient
    prop: PropertyRef
    headers: dict[str, str]
    counter: StatementCounter
    database: str

    @property
    def path(self) -> str:
        return f"/graphql/{self.prop.slug}"

    @property
    def engine(self) -> AsyncEngine:
        return self.kit.db.engine


@asynccontextmanager
async def shop(kind: str, postgres_url: str) -> AsyncIterator[Shop]:
    """A property with oms_inventory and oms_orders on a fresh database, and a manager's
    token (orders and customers, read and write)."""
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
                    transport=transport, base_url="http://bench", timeout=REQUEST_TIMEOUT
                ) as client:
                    kit = ConciergeTestKit(app, client)
                    tenant = await kit.tenant("bench")
                    prop = await kit.property(
                        tenant, "bench-shop", plugins=["oms_inventory", "oms_orders"]
                    )
                    user = await kit.user(
                        tenant, "manager@bench.example", role="manager", property=prop
                    )
                    token = await kit.token_for(user, ttl=dt.timedelta(hours=2))
                    headers = {
                        "authorization": f"Bearer {token}",
                        "accept": "application/graphql-response+json",
                    }
                    counter = StatementCounter(kit.db.engine)
                    yield Shop(kit, client, prop, headers, counter, kind)
            finally:
                await app.state.runtime.close()


@dataclass(frozen=True, order=True)
class Item:
    sku: str
    name: str
    price_minor: int


async def stock_catalog(bench: Shop, count: int, units: int, rng: random.Random) -> list[Item]:
    """``count`` products of one variant each, ``units`` of each on hand at MAIN."""
    clock = bench.kit.clock
    async with bench.kit.transaction(bench.prop) as session:
        for n in range(count):
            sku = f"SKU-{n:05d}"
            price = f"{rng.choice([2, 4, 6, 9, 12, 19, 24, 39, 59, 99])}.{rng.choice([0, 50, 90])}"
            await catalog.create_product(
                session, name=f"Product {n:05d}", description="",
                variants=[catalog.VariantSpec(sku=sku, price=price, currency="EUR")],
                clock=clock,
            )  # fmt: skip
            await stock.receive_stock(
                session, sku=sku, location_code=LOCATION, quantity=units,
                reference="bench opening stock", actor="bench", clock=clock,
            )  # fmt: skip
        rows = await session.execute(select(Variant.sku, Variant.name, Variant.price_minor))
        return sorted(Item(sku, name, price) for sku, name, price in rows)


async def warm_up(bench: Shop) -> None:
    """Build and cache the property's schema before anything is timed."""
    response = await bench.client.post(
        bench.path,
        json={"query": "{ orderSettings { nextNumber } }"},
        headers=bench.headers,
    )
    assert response.status_code == 200 and "errors" not in response.json(), response.text


# ---------------------------------------------------------------------------
# Seeding orders in bulk
# ---------------------------------------------------------------------------

FIRST_NAMES = ("Ada", "Alan", "Grace", "Barbara", "Edsger", "Donald", "Frances", "Katherine",
               "John", "Margaret", "Dennis", "Ken", "Radia", "Tim", "Linus", "Guido", "Hedy",
               "Annie", "Mary", "Claude", "Niklaus", "Leslie", "Shafi", "Sophie", "Karen",
               "Jean", "Ivan", "Ole", "Bjarne", "Anita")  # fmt: skip
LAST_NAMES = ("Lovelace", "Turing", "Hopper", "Liskov", "Dijkstra", "Knuth", "Allen", "Johnson",
              "Backus", "Hamilton", "Ritchie", "Thompson", "Perlman", "Berners-Lee", "Torvalds",
              "Rossum", "Lamarr", "Easley", "Keller", "Shannon", "Wirth", "Lamport",
              "Goldwasser", "Wilson", "Jones", "Sammet", "Sutherland", "Dahl", "Stroustrup",
              "Borg")  # fmt: skip
CITIES = (("Berlin", "DE"), ("Hamburg", "DE"), ("Vienna", "AT"), ("Zurich", "CH"),
          ("Paris", "FR"), ("Lyon", "FR"), ("Amsterdam", "NL"), ("Milan", "IT"),
          ("Madrid", "ES"), ("Copenhagen", "DK"))  # fmt: skip
CHANNELS = (("web", 60), ("marketplace", 15), ("pos", 10), ("phone", 8), ("in_store", 7))
# Orders of the last day may still be unconfirmed; older ones have moved on.
RECENT_STATUSES = (("unconfirmed", 30), ("confirmed", 50), ("partially_fulfilled", 5),
                   ("fulfilled", 15))  # fmt: skip
OLDER_STATUSES = (("fulfilled", 56), ("confirmed", 14), ("partially_fulfilled", 4),
                  ("canceled", 10), ("expired", 7), ("partially_returned", 5),
                  ("returned", 4))  # fmt: skip
SHIPPED = {"fulfilled", "partially_fulfilled", "partially_returned", "returned"}


def _weighted(rng: random.Random, choices: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([c for c, _ in choices], weights=[w for _, w in choices])[0]


@dataclass
class Seeded:
    orders: int = 0
    customers: int = 0
    rows: int = 0  # every row written, all tables
    seconds: float = 0.0
    matching: int = 0  # orders the page's filter matches (its totalCount)


class IdBlock:
    """The next primary keys of one table, handed out in order (the seed writes its ids)."""

    def __init__(self, first: int) -> None:
        self.next = first

    def take(self) -> int:
        self.next += 1
        return self.next - 1


async def _next_ids(bench: Shop) -> dict[str, IdBlock]:
    tables = [
        models.Customer, models.Order, models.OrderLine, models.OrderEvent,
        models.Fulfillment, models.FulfillmentLine, models.Payment, models.OrderReturn,
        models.ReturnLine,
    ]  # fmt: skip
    ids = {}
    async with bench.engine.connect() as conn:
        for model in tables:
            table = model.__table__
            top = await conn.scalar(select(func.max(table.c.id)))
            ids[table.name] = IdBlock(int(top or 0) + 1)
    return ids


class OrderFactory:
    """Rows of one shop's orders: every table, every NOT NULL column, consistent amounts
    (what placement, payments, fulfilment and returns would have written)."""

    def __init__(self, bench: Shop, items: list[Item], customers: int, rng: random.Random) -> None:
        self.tenant_id = bench.prop.tenant_id
        self.property_id = bench.prop.id
        self.items = items
        self.customer_count = customers
        self.rng = rng
        self.customers: list[tuple[int, str, str]] = []  # (id, email, name)

    def scoped(self, row: dict[str, Any]) -> dict[str, Any]:
        row["tenant_id"] = self.tenant_id
        row["property_id"] = self.property_id
        return row

    def customer_rows(self, ids: IdBlock, first_order_at: dt.datetime) -> list[dict[str, Any]]:
        rng = self.rng
        rows = []
        for n in range(self.customer_count):
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            name = f"{first} {last}"
            email = f"{first}.{last}.{n}@example.com".lower()
            city, country = rng.choice(CITIES)
            address = {
                "name": name, "line1": f"{rng.randint(1, 200)} Main Street", "line2": "",
                "city": city, "postal_code": f"{rng.randint(10000, 99999)}", "region": "",
                "country": country, "phone": "",
            }  # fmt: skip
            customer_id = ids.take()
            self.customers.append((customer_id, email, name))
            rows.append(self.scoped({
                "id": customer_id, "email": email, "name": name,
                "phone": f"+49 30 {rng.randint(1000000, 9999999)}" if rng.random() < 0.6 else "",
                "addresses": [address], "note": "",
                "created_at": first_order_at - dt.timedelta(days=rng.randint(0, 400)),
            }))  # fmt: skip
        return rows

    def customer(self) -> tuple[int, str, str]:
        # A few customers order often, most now and then.
        index = int(self.customer_count * self.rng.random() ** 2)
        return self.customers[min(index, self.customer_count - 1)]

    def order(
        self, number: int, placed_at: dt.datetime, now: dt.datetime,
        ids: dict[str, IdBlock], out: dict[str, list[dict[str, Any]]],
    ) -> tuple[str, str]:  # fmt: skip
        rng = self.rng
        statuses = RECENT_STATUSES if now - placed_at < dt.timedelta(days=1) else OLDER_STATUSES
        status = _weighted(rng, statuses)
        channel = _weighted(rng, CHANNELS)
        customer_id, email, name = self.customer()
        order_id = ids["ord_orders"].take()

        # Lines: 1 to 3 SKUs, 1 to 3 units each, catalog prices.
        count = rng.choices((1, 2, 3), weights=(50, 35, 15))[0]
        picked = rng.sample(self.items, count)
        lines = []
        for position, item in enumerate(picked):
            quantity = rng.choice((1, 1, 1, 2, 2, 3))
            lines.append({
                "id": ids["ord_order_lines"].take(), "order_id": order_id, "position": position,
                "sku": item.sku, "name": item.name, "quantity": quantity,
                "unit_price_minor": item.price_minor,
                "line_total_minor": quantity * item.price_minor,
                "fulfilled_quantity": 0, "returned_quantity": 0,
            })  # fmt: skip
        units = sum(line["quantity"] for line in lines)
        if status == "partially_fulfilled" and units < 2:
            status = "fulfilled"
        if status == "partially_returned" and units < 2:
            status = "returned"
        if status in SHIPPED:
            for line in lines:
                line["fulfilled_quantity"] = line["quantity"]
            if status == "partially_fulfilled":  # the last unit is still to ship
                lines[-1]["fulfilled_quantity"] -= 1
            if status == "returned":
                for line in lines:
                    line["returned_quantity"] = line["fulfilled_quantity"]
            elif status == "partially_returned":  # one unit came back
                lines[0]["returned_quantity"] = 1

        subtotal = sum(line["line_total_minor"] for line in lines)
        discount = subtotal // 10 if rng.random() < 0.15 else 0
        shipping = 0 if subtotal >= 5000 or channel in ("pos", "in_store") else 495
        total = subtotal - discount + shipping  # default settings: no tax
        if status in ("returned", "partially_returned"):
            payment_status = "refunded" if status == "returned" else "partially_refunded"
        elif status in ("unconfirmed", "expired"):
            payment_status = "not_paid"
        elif status == "canceled":
            payment_status = "refunded" if rng.random() < 0.3 else "not_paid"
        else:
            paid_weights = {"confirmed": (75, 20, 5), "partially_fulfilled": (85, 15, 0)}
            weights = paid_weights.get(status, (92, 8, 0))
            payment_status = rng.choices(("paid", "not_paid", "partially_paid"), weights)[0]
        paid = {"not_paid": 0, "partially_paid": total // 2}.get(payment_status, total)
        refunded = {"refunded": paid, "partially_refunded": paid // 2}.get(payment_status, 0)
        if paid == 0 or (payment_status == "partially_refunded" and refunded == 0):
            payment_status, paid, refunded = "not_paid", 0, 0  # a free order
        if payment_status == "partially_paid" and paid == 0:
            payment_status = "not_paid"

        minutes = dt.timedelta(minutes=1)
        shipping_address = None
        if channel not in ("pos", "in_store"):
            city, country = rng.choice(CITIES)
            shipping_address = {
                "name": name, "line1": f"{rng.randint(1, 200)} Main Street", "line2": "",
                "city": city, "postal_code": f"{rng.randint(10000, 99999)}", "region": "",
                "country": country, "phone": "",
            }  # fmt: skip
        key = f"seed-{number}"
        out["ord_orders"].append(self.scoped({
            "id": order_id, "number": str(number), "idempotency_key": key,
            "request_hash": hashlib.sha256(key.encode()).hexdigest(), "channel": channel,
            "channel_reference": f"MKT-{number}" if channel == "marketplace" else None,
            "status": status, "payment_status": payment_status, "customer_id": customer_id,
            "email": email, "currency": "EUR", "subtotal_minor": subtotal,
            "discount_minor": discount, "shipping_minor": shipping, "tax_minor": 0,
            "total_minor": total, "paid_minor": paid, "refunded_minor": refunded,
            "prices_include_tax": False, "tax_rate_basis_points": 0, "stock_allocated": False,
            "shipping_address": shipping_address, "note": "",
            # What placement writes: number, e-mail, customer's and addressee's names.
            "search_text": " ".join(
                filter(None, [str(number), email, name, (shipping_address or {}).get("name")])
            ).lower(),
            "placed_by": "apikey:storefront" if channel == "web" else "user:1",
            "placed_at": placed_at,
            "expires_at": placed_at + 60 * minutes if status == "unconfirmed" else None,
            "closed_at": placed_at + 60 * minutes if status in ("canceled", "expired") else None,
        }))  # fmt: skip
        out["ord_order_lines"].extend(self.scoped(line) for line in lines)

        def timeline(kind: str, at: dt.datetime, old: str | None = None, new: str | None = None):
            out["ord_order_events"].append(self.scoped({
                "id": ids["ord_order_events"].take(), "order_id": order_id, "kind": kind,
                "from_status": old, "to_status": new, "detail": "", "actor": "user:1",
                "created_at": at,
            }))  # fmt: skip

        timeline("placed", placed_at, None, "unconfirmed")
        if status in ("canceled", "expired"):
            timeline("status_changed", placed_at + 60 * minutes, "unconfirmed", status)
        elif status != "unconfirmed":
            timeline("status_changed", placed_at + minutes, "unconfirmed", "confirmed")

        payment_id = None
        if paid:
            payment_id = ids["ord_payments"].take()
            out["ord_payments"].append(self.scoped({
                "id": payment_id, "order_id": order_id, "kind": "payment", "amount_minor": paid,
                "currency": "EUR", "method": rng.choice(("card", "card", "paypal", "cash")),
                "gateway": None, "reference": None, "idempotency_key": None,
                "refunded_payment_id": None, "note": "", "actor": "user:1",
                "created_at": placed_at + 2 * minutes,
            }))  # fmt: skip
            timeline("payment", placed_at + 2 * minutes)

        if status in SHIPPED:
            shipped_at = placed_at + dt.timedelta(hours=rng.randint(4, 72))
            fulfillment_id = ids["ord_fulfillments"].take()
            delivered = status != "partially_fulfilled" and rng.random() < 0.8
            out["ord_fulfillments"].append(self.scoped({
                "id": fulfillment_id, "order_id": order_id, "number": 1,
                "status": "delivered" if delivered else "shipped", "location": LOCATION,
                "carrier": "DHL", "tracking_number": f"00340434{number:010d}",
                "tracking_url": "", "created_by": "user:1", "shipped_at": shipped_at,
                "delivered_at": shipped_at + dt.timedelta(days=2) if delivered else None,
            }))  # fmt: skip
            for line in lines:
                if line["fulfilled_quantity"]:
                    out["ord_fulfillment_lines"].append(self.scoped({
                        "id": ids["ord_fulfillment_lines"].take(),
                        "fulfillment_id": fulfillment_id, "order_line_id": line["id"],
                        "quantity": line["fulfilled_quantity"],
                    }))  # fmt: skip
            timeline("fulfilled", shipped_at)
            new = "partially_fulfilled" if status == "partially_fulfilled" else "fulfilled"
            timeline("status_changed", shipped_at, "confirmed", new)

        if refunded:
            refund_id = ids["ord_payments"].take()
            refunded_at = placed_at + dt.timedelta(days=rng.randint(5, 20))
            out["ord_payments"].append(self.scoped({
                "id": refund_id, "order_id": order_id, "kind": "refund",
                "amount_minor": refunded, "currency": "EUR", "method": "original",
                "gateway": None, "reference": None, "idempotency_key": None,
                "refunded_payment_id": payment_id, "note": "", "actor": "user:1",
                "created_at": refunded_at,
            }))  # fmt: skip
            timeline("refund", refunded_at)
            if status in ("returned", "partially_returned"):
                return_id = ids["ord_returns"].take()
                out["ord_returns"].append(self.scoped({
                    "id": return_id, "order_id": order_id, "number": 1, "status": "received",
                    "reason": "", "location": LOCATION, "refund_payment_id": refund_id,
                    "requested_by": "user:1", "requested_at": refunded_at - dt.timedelta(days=3),
                    "received_at": refunded_at,
                }))  # fmt: skip
                for line in lines:
                    if line["returned_quantity"]:
                        out["ord_return_lines"].append(self.scoped({
                            "id": ids["ord_return_lines"].take(), "return_id": return_id,
                            "order_line_id": line["id"], "quantity": line["returned_quantity"],
                            "restock": True,
                        }))  # fmt: skip
                timeline("return_received", refunded_at, "fulfilled", status)
        return status, channel


INSERT_ORDER = (
    "ord_orders", "ord_order_lines", "ord_order_events", "ord_payments", "ord_fulfillments",
    "ord_fulfillment_lines", "ord_returns", "ord_return_lines",
)  # fmt: skip
TABLES = {
    model.__tablename__: model.__table__
    for model in (
        models.Customer, models.Order, models.OrderLine, models.OrderEvent, models.Payment,
        models.Fulfillment, models.FulfillmentLine, models.OrderReturn, models.ReturnLine,
    )
}  # fmt: skip


async def seed_orders(
    bench: Shop,
    items: list[Item],
    *,
    orders: int,
    customers: int,
    batch: int,
    seed: int,
    analyze: bool,
) -> Seeded:
    """Write ``orders`` orders (and ``customers`` customers) with bulk INSERTs, one
    transaction per ``batch`` orders; numbers follow the order they were placed in.
    ``analyze``: gather the planner's statistics afterwards (ANALYZE)."""
    began = time.perf_counter()
    rng = random.Random(seed)
    now = bench.kit.clock.now()
    year_ago = now - dt.timedelta(days=365)
    span = (now - year_ago).total_seconds()
    placed = sorted(year_ago + dt.timedelta(seconds=rng.random() * span) for _ in range(orders))
    ids = await _next_ids(bench)
    factory = OrderFactory(bench, items, customers, rng)
    result = Seeded(orders=orders, customers=customers)
    async with bench.engine.begin() as conn:
        rows = factory.customer_rows(ids["ord_customers"], placed[0] if placed else now)
        await conn.execute(insert(TABLES["ord_customers"]), rows)
        result.rows += len(rows)
    for start in range(0, orders, batch):
        out: dict[str, list[dict[str, Any]]] = {name: [] for name in INSERT_ORDER}
        for index in range(start, min(start + batch, orders)):
            status, channel = factory.order(FIRST_NUMBER + index, placed[index], now, ids, out)
            if status == "confirmed" and channel == "web":
                result.matching += 1
        async with bench.engine.begin() as conn:
            for name in INSERT_ORDER:
                if out[name]:
                    await conn.execute(insert(TABLES[name]), out[name])
                    result.rows += len(out[name])
    async with bench.engine.begin() as conn:
        await conn.execute(
            update(models.OrderSettings.__table__)
            .where(models.OrderSettings.__table__.c.property_id == bench.prop.id)
            .values(next_number=FIRST_NUMBER + orders)
        )
        if bench.database == "postgresql":
            # The seed wrote its own ids: move the sequences past them.
            for name in TABLES:
                await conn.execute(
                    text(
                        f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), "
                        f"(SELECT coalesce(max(id), 0) + 1 FROM {name}), false)"
                    )
                )
        if analyze:
            await conn.execute(text("ANALYZE"))
    if analyze:
        await bench.engine.dispose()  # SQLite connections read the statistics when they open
    result.seconds = time.perf_counter() - began
    return result


# ---------------------------------------------------------------------------
# Driving requests
# ---------------------------------------------------------------------------


class ServerErrors(logging.Handler):
    """Collects the exceptions the app logs (masked INTERNAL errors) instead of printing
    their tracebacks; the report shows each distinct one once, with a count."""

    def __init__(self) -> None:
        super().__init__(level=logging.ERROR)
        self.seen: Counter[str] = Counter()

    def emit(self, record: logging.LogRecord) -> None:
        if record.exc_info and record.exc_info[1] is not None:
            exc = record.exc_info[1]
            message = f"{type(exc).__module__}.{type(exc).__name__}: {exc}".splitlines()[0]
        else:
            message = record.getMessage().splitlines()[0]
        self.seen[message[:200]] += 1


SERVER_ERRORS = ServerErrors()

# Checks one response body: None when it is what was asked for, else what is wrong.
Check = Callable[[int, dict[str, Any]], str | None]


@dataclass
class Outcome:
    sent: int = 0
    ok: int = 0
    errors: int = 0
    ok_indexes: list[int] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    error_samples: list[str] = field(default_factory=list)
    server_errors: Counter[str] = field(default_factory=Counter)
    statements: int = 0
    sql_seconds: float = 0.0
    gc_seconds: float = 0.0
    full_collections: int = 0
    elapsed: float = 0.0


async def drive(
    bench: Shop,
    requests: list[dict[str, Any]],
    check: Check,
    *,
    clients: int,
    time_limit: float,
) -> Outcome:
    """Send each request body from ``clients`` concurrent workers; count statements."""
    outcome = Outcome()
    queue: asyncio.Queue[tuple[int, dict[str, Any]]] = asyncio.Queue()
    for index, body in enumerate(requests):
        queue.put_nowait((index, body))

    async def worker() -> None:
        while time.perf_counter() < deadline:
            try:
                index, body = queue.get_nowait()
            except asyncio.QueueEmpty:
                return
            began = time.perf_counter()
            outcome.sent += 1
            try:
                async with asyncio.timeout(REQUEST_TIMEOUT):
                    response = await bench.client.post(bench.path, json=body, headers=bench.headers)
                answer = response.json()
            except Exception as exc:  # a benchmark counts failures, it does not stop
                outcome.errors += 1
                _sample(outcome, f"{type(exc).__name__}: {exc}")
                continue
            outcome.latencies.append(time.perf_counter() - began)
            if response.status_code != 200 or answer.get("errors"):
                outcome.errors += 1
                first = (answer.get("errors") or [{}])[0]
                code = (first.get("extensions") or {}).get("code")
                _sample(outcome, f"HTTP {response.status_code}: {first.get('message')} ({code})")
                continue
            problem = check(index, answer["data"])
            if problem is None:
                outcome.ok += 1
                outcome.ok_indexes.append(index)
            else:
                outcome.errors += 1
                _sample(outcome, problem)

    SERVER_ERRORS.seen.clear()
    bench.counter.reset()
    COLLECTOR.reset()
    start = time.perf_counter()
    deadline = start + time_limit
    await asyncio.gather(*(worker() for _ in range(clients)))
    outcome.elapsed = time.perf_counter() - start
    outcome.statements = bench.counter.statements
    outcome.sql_seconds = bench.counter.seconds
    outcome.gc_seconds = COLLECTOR.seconds
    outcome.full_collections = COLLECTOR.full_collections
    outcome.server_errors = Counter(SERVER_ERRORS.seen)
    return outcome


def _sample(outcome: Outcome, text: str) -> None:
    if len(outcome.error_samples) < 3 and text not in outcome.error_samples:
        outcome.error_samples.append(text[:300])


async def statements_of_one(bench: Shop, body: dict[str, Any]) -> list[str]:
    """The SQL statements one request sends, in order."""
    bench.counter.capture = []
    try:
        response = await bench.client.post(bench.path, json=body, headers=bench.headers)
        assert response.status_code == 200, response.text
        return bench.counter.capture
    finally:
        bench.counter.capture = None


# ---------------------------------------------------------------------------
# Reports
# ---------------------------------------------------------------------------


@dataclass
class Report:
    scenario: str
    database: str
    orders: int  # orders in the shop when the page was asked for / orders placed
    clients: int
    planned: int
    sent: int
    ok: int
    errors: int
    seconds: float
    requests_per_second: float
    p50_ms: float
    p95_ms: float
    p99_ms: float
    statements_per_request: float
    sql_ms_per_request: float  # time between sending statements and their answers
    gc_ms_per_request: float  # time in the garbage collector (client and app together)
    full_collections: int  # of the garbage collector (generation 2)
    seed_seconds: float = 0.0
    matching: int = 0  # orders-page: the filter's totalCount
    ledger_mismatches: int = 0  # place-order: levels that differ from their ledger
    broken: list[str] = field(default_factory=list)  # an invariant broke (exit status 1)
    problems: list[str] = field(default_factory=list)  # requests failed (exit status 2)
    error_samples: list[str] = field(default_factory=list)
    server_errors: dict[str, int] = field(default_factory=dict)
    statements: list[str] = field(default_factory=list)  # one request's, with --show-sql


def _percentile(values: list[float], fraction: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(fraction * len(ordered)) - 1))
    return ordered[index] * 1000


def _report(
    scenario: str, database: str, orders: int, clients: int, planned: int, outcome: Outcome
) -> Report:
    answered = max(outcome.sent, 1)
    report = Report(
        scenario=scenario,
        database=database,
        orders=orders,
        clients=clients,
        planned=planned,
        sent=outcome.sent,
        ok=outcome.ok,
        errors=outcome.errors,
        seconds=round(outcome.elapsed, 3),
        requests_per_second=round(outcome.sent / outcome.elapsed, 1) if outcome.elapsed else 0,
        p50_ms=round(_percentile(outcome.latencies, 0.50), 1),
        p95_ms=round(_percentile(outcome.latencies, 0.95), 1),
        p99_ms=round(_percentile(outcome.latencies, 0.99), 1),
        statements_per_request=round(outcome.statements / answered, 1),
        sql_ms_per_request=round(outcome.sql_seconds * 1000 / answered, 1),
        gc_ms_per_request=round(outcome.gc_seconds * 1000 / answered, 1),
        full_collections=outcome.full_collections,
        error_samples=outcome.error_samples,
        server_errors=dict(outcome.server_errors),
    )
    if outcome.errors:
        report.problems.append(f"{outcome.errors} requests failed")
    return report


# ---------------------------------------------------------------------------
# Scenarios
# ---------------------------------------------------------------------------


def freeze(args: argparse.Namespace) -> None:
    """With --gc-freeze: move everything alive now (schemas, modules, the catalog) out of
    the collector's sight, as a server could once it has started."""
    if args.gc_freeze:
        gc.collect()
        gc.freeze()


def _clients(args: argparse.Namespace) -> list[int]:
    return [int(c) for c in str(args.clients).split(",")]


def page_check(page_size: int, matching: int) -> Check:
    """A page is right when it has the first ``page_size`` confirmed web orders, newest
    first, each with its lines and customer, and counts every match."""

    def check(index: int, data: dict[str, Any]) -> str | None:
        orders = data["orders"]
        nodes = [edge["node"] for edge in orders["edges"]]
        if orders["totalCount"] != matching:
            return f"totalCount {orders['totalCount']}, {matching} orders match"
        if len(nodes) != min(page_size, matching):
            return f"{len(nodes)} orders on the page, {min(page_size, matching)} expected"
        placed = [node["placedAt"] for node in nodes]
        if placed != sorted(placed, reverse=True):
            return "the page is not newest first"
        for node in nodes:
            if (node["status"], node["channel"]) != ("CONFIRMED", "WEB"):
                return f"order {node['number']} is {node['status']} on {node['channel']}"
            if not node["lines"] or node["customer"] is None:
                return f"order {node['number']} came without its lines or customer"
        return None

    return check


async def orders_page(database: str, args: argparse.Namespace) -> list[Report]:
    """The first ``--page-size`` confirmed web orders, with lines and customer, on a shop
    of ``--baseline-orders`` and one of ``--orders`` orders."""
    reports = []
    sizes = [n for n in (args.baseline_orders, args.orders) if n > 0]
    body = {"query": ORDERS_PAGE, "variables": {"first": args.page_size, "filter": PAGE_FILTER}}
    for size in sizes:
        async with shop(database, args.postgres_url) as bench:
            rng = random.Random(args.seed)
            items = await stock_catalog(bench, args.skus, 1000, rng)
            seeded = await seed_orders(
                bench, items, orders=size, customers=min(args.customers, size),
                batch=args.batch, seed=args.seed,
                # PostgreSQL's autovacuum analyzes a freshly loaded table within a minute;
                # nothing gathers SQLite's statistics unless asked to.
                analyze=database == "postgresql" or args.sqlite_analyze,
            )  # fmt: skip
            print(
                f"  {database}: seeded {size:,} orders ({seeded.rows:,} rows) in "
                f"{seeded.seconds:.1f} s; {seeded.matching:,} confirmed web orders",
                file=sys.stderr,
            )
            await warm_up(bench)
            freeze(args)
            check = page_check(args.page_size, seeded.matching)
            statements = await statements_of_one(bench, body)
            for clients in _clients(args):
                requests = [body] * args.page_requests
                outcome = await drive(
                    bench, requests, check, clients=clients, time_limit=args.time_limit
                )
                report = _report("orders-page", database, size, clients, len(requests), outcome)
                report.seed_seconds = round(seeded.seconds, 1)
                report.matching = seeded.matching
                report.statements = statements if args.show_sql else []
                if outcome.errors:
                    report.broken.append("pages that were not what was asked for")
                reports.append(report)
    return reports


def placement_check(numbers: dict[int, str]) -> Check:
    """A placement is right when it created an order; its number goes into ``numbers``."""

    def check(index: int, data: dict[str, Any]) -> str | None:
        payload = data["placeOrder"]
        if payload["errors"] or not payload["created"] or payload["order"] is None:
            return json.dumps(payload["errors"])[:300]
        numbers[index] = payload["order"]["number"]
        return None

    return check


async def place_order(database: str, args: argparse.Namespace) -> list[Report]:
    """``--requests`` placeOrder mutations of two lines, per client count, each run on a
    fresh shop; then the audit."""
    reports = []
    for clients in _clients(args):
        rng = random.Random(args.seed)
        async with shop(database, args.postgres_url) as bench:
            items = await stock_catalog(bench, args.skus, args.stock_per_sku, rng)
            await warm_up(bench)
            freeze(args)
            print(
                f"  {database}: {args.skus} SKUs in stock; {args.requests:,} placements from "
                f"{clients} clients",
                file=sys.stderr,
            )
            emails = [f"buyer{n}@example.com" for n in range(max(1, args.requests // 4))]
            orders = []
            for _ in range(args.requests):
                picked = rng.sample(items, 2)
                orders.append([(item.sku, rng.randint(1, 3)) for item in picked])
            requests = [
                {
                    "query": PLACE_ORDER,
                    "variables": {
                        "input": {
                            "idempotencyKey": f"bench-{index:06d}",
                            "email": rng.choice(emails),
                            "customerName": "Bench Buyer",
                            "lines": [{"sku": sku, "quantity": q} for sku, q in lines],
                        }
                    },
                }
                for index, lines in enumerate(orders)
            ]
            numbers: dict[int, str] = {}
            outcome = await drive(
                bench, requests, placement_check(numbers), clients=clients,
                time_limit=args.time_limit,
            )  # fmt: skip
            report = _report("place-order", database, outcome.ok, clients, len(requests), outcome)
            ordered: Counter[str] = Counter()
            for index in outcome.ok_indexes:
                for sku, quantity in orders[index]:
                    ordered[sku] += quantity
            await audit_orders(bench, report, numbers, ordered, args.stock_per_sku)
            if args.show_sql:
                extra = {**requests[0]["variables"]["input"], "idempotencyKey": "bench-sql"}
                report.statements = await statements_of_one(
                    bench, {"query": PLACE_ORDER, "variables": {"input": extra}}
                )
            reports.append(report)
    return reports


async def audit_orders(
    bench: Shop, report: Report, numbers: dict[int, str], ordered: Counter[str], units: int
) -> None:
    """As many orders as successful responses, each allocated; every level equal to its
    ledger sums and its open allocations; nothing promised beyond what is on hand."""
    scope = Scope.tenant(bench.prop.tenant_id, bench.prop.id)
    async with bench.kit.db.session(scope, write=False) as session:
        stored = set(await session.scalars(select(models.Order.number)))
        references = set(await session.scalars(select(func.distinct(Allocation.reference))))
        skus = dict((await session.execute(select(Variant.id, Variant.sku))).all())
        levels = (await session.scalars(select(StockLevel))).all()
        m = StockMovement
        ledger = {
            (row.variant_id, row.location_id): (int(row.on_hand), int(row.allocated), int(row.held))
            for row in await session.execute(
                select(
                    m.variant_id, m.location_id, func.sum(m.on_hand_delta).label("on_hand"),
                    func.sum(m.allocated_delta).label("allocated"),
                    func.sum(m.held_delta).label("held"),
                ).group_by(m.variant_id, m.location_id)
            )
        }  # fmt: skip
        a = Allocation
        promised = dict(
            (
                await session.execute(
                    select(a.variant_id, func.sum(a.quantity - a.shipped)).group_by(a.variant_id)
                )
            ).all()
        )
    answered = set(numbers.values())
    if len(answered) != len(numbers):
        report.broken.append("two successful responses named the same order")
    if stored != answered:
        report.broken.append(
            f"{len(stored)} orders stored, {len(answered)} successful responses "
            f"({len(stored - answered)} unanswered, {len(answered - stored)} missing)"
        )
    if references != {f"order:{n}" for n in answered}:
        report.broken.append(f"{len(references)} orders allocated stock, {len(answered)} placed")
    allocated: Counter[str] = Counter()
    for level in levels:
        sums = ledger.get((level.variant_id, level.location_id), (0, 0, 0))
        if sums != (level.on_hand, level.allocated, level.held):
            report.ledger_mismatches += 1
        if level.allocated + level.held > level.on_hand or min(level.allocated, level.held) < 0:
            report.broken.append(f"{skus[level.variant_id]} promises more than is on hand")
        allocated[skus[level.variant_id]] += level.allocated
        if int(promised.get(level.variant_id, 0)) != level.allocated:
            report.broken.append(f"{skus[level.variant_id]}: allocations differ from its level")
    if report.ledger_mismatches:
        report.broken.append(f"{report.ledger_mismatches} levels differ from their ledger sums")
    if +allocated != +ordered:
        report.broken.append("units allocated differ from the units the placed orders asked for")
    on_hand = sum(level.on_hand for level in levels)
    if on_hand != units * len(skus):
        report.broken.append(f"{on_hand} units on hand, {units * len(skus)} received")


SCENARIOS = {"orders-page": orders_page, "place-order": place_order}


# ---------------------------------------------------------------------------
# Command line
# ---------------------------------------------------------------------------


COLUMNS = [
    ("scenario", "scenario"),
    ("database", "database"),
    ("orders", "orders"),
    ("clients", "clients"),
    ("sent", "requests"),
    ("ok", "ok"),
    ("errors", "errors"),
    ("seconds", "s"),
    ("requests_per_second", "req/s"),
    ("p50_ms", "p50 ms"),
    ("p95_ms", "p95 ms"),
    ("p99_ms", "p99 ms"),
    ("statements_per_request", "SQL/req"),
    ("sql_ms_per_request", "SQL ms/req"),
    ("gc_ms_per_request", "GC ms/req"),
]


def print_table(reports: list[Report]) -> None:
    rows = [[title for _, title in COLUMNS]]
    for report in reports:
        row = []
        for name, _ in COLUMNS:
            value = getattr(report, name)
            row.append(f"{value:,}" if isinstance(value, int) else str(value))
        rows.append(row)
    widths = [max(len(row[i]) for row in rows) for i in range(len(COLUMNS))]
    for number, row in enumerate(rows):
        print("  ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))
        if number == 0:
            print("  ".join("-" * width for width in widths))
    _print_ratios(reports)
    for report in reports:
        where = f"{report.scenario} on {report.database} ({report.clients} clients)"
        for problem in report.broken:
            print(f"BROKEN {where}: {problem}")
        for problem in report.problems:
            print(f"FAIL {where}: {problem}")
        for sample in report.error_samples:
            print(f"  e.g. {sample}")
        for message, count in report.server_errors.items():
            print(f"  server logged {count} x {message}")
    shown: set[tuple[str, str]] = set()
    for report in reports:
        key = (report.scenario, report.database)
        if report.statements and key not in shown:
            shown.add(key)
            print(f"\nSQL of one {report.scenario} request on {report.database}:")
            for statement in report.statements:
                print(f"  {statement[:160]}")


def _print_ratios(reports: list[Report]) -> None:
    """p50 and p99 of the page on the big shop against the small one."""
    pages = [r for r in reports if r.scenario == "orders-page"]
    for big in pages:
        for small in pages:
            same = (small.database, small.clients) == (big.database, big.clients)
            if same and small.orders < big.orders and small.p50_ms and small.p99_ms:
                print(
                    f"orders-page on {big.database}, {big.clients} clients: at "
                    f"{big.orders:,} orders p50 is {big.p50_ms / small.p50_ms:.2f}x and p99 "
                    f"{big.p99_ms / small.p99_ms:.2f}x that at {small.orders:,}"
                )


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m benchmarks.orders",
        description="The orders page on a big shop, and placeOrder under load, over HTTP GraphQL.",
    )
    parser.add_argument("--database", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_URL_ENV, DEFAULT_POSTGRES_URL),
        help="a server where a database may be created (and is dropped afterwards); "
        f"default ${POSTGRES_URL_ENV} or {DEFAULT_POSTGRES_URL}",
    )
    parser.add_argument(
        "--clients", default="1,16",
        help="concurrent clients; a comma-separated list runs each (1,16)",
    )  # fmt: skip
    parser.add_argument(
        "--time-limit", type=float, default=90.0,
        help="seconds after which no more requests are sent, per run (90)",
    )  # fmt: skip
    parser.add_argument("--skus", type=int, default=300, help="SKUs in the catalog (300)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument(
        "--quick", action="store_true",
        help="a short run: 10,000 orders, 100 page requests, 200 placements",
    )  # fmt: skip
    parser.add_argument(
        "--gc-freeze", action="store_true",
        help="gc.freeze() once the shop is set up: full collections skip what lives for good",
    )  # fmt: skip
    parser.add_argument("--json", action="store_true", help="print the reports as JSON too")
    parser.add_argument(
        "--show-sql", action="store_true", help="print the SQL statements of one request"
    )
    parser.add_argument(
        "--verbose", action="store_true", help="let the app print its error logs (tracebacks)"
    )
    page = parser.add_argument_group("orders-page")
    page.add_argument("--orders", type=int, default=None, help="orders in the shop (100000)")
    page.add_argument(
        "--baseline-orders", type=int, default=1000,
        help="orders in the shop to compare with; 0 skips it (1000)",
    )  # fmt: skip
    page.add_argument("--customers", type=int, default=5000, help="customers (5000)")
    page.add_argument("--page-size", type=int, default=50, help="orders on the page (50)")
    page.add_argument(
        "--page-requests", type=int, default=None,
        help="page requests per shop and client count (300)",
    )  # fmt: skip
    page.add_argument("--batch", type=int, default=5000, help="orders per INSERT batch (5000)")
    page.add_argument(
        "--sqlite-analyze", action="store_true",
        help="run ANALYZE on SQLite after seeding (PostgreSQL always gets it)",
    )  # fmt: skip
    place = parser.add_argument_group("place-order")
    place.add_argument("--requests", type=int, default=None, help="placeOrder requests (1000)")
    place.add_argument(
        "--stock-per-sku", type=int, default=1_000_000, help="units of each SKU (1000000)"
    )
    args = parser.parse_args(argv)
    quick = args.quick
    if args.orders is None:
        args.orders = 10_000 if quick else 100_000
    if args.page_requests is None:
        args.page_requests = 100 if quick else 300
    if args.requests is None:
        args.requests = 200 if quick else 1000
    try:
        clients = _clients(args)
    except ValueError:
        parser.error("--clients takes numbers separated by commas, such as 1,16")
    if min(clients) < 1:
        parser.error("--clients must be at least 1")
    for name in ("orders", "customers", "page_size", "page_requests", "batch", "requests"):
        if getattr(args, name) < 1:
            parser.error(f"--{name.replace('_', '-')} must be at least 1")
    if args.skus < 3:
        parser.error("--skus must be at least 3")
    return args


async def run(args: argparse.Namespace) -> list[Report]:
    databases = ["sqlite", "postgresql"] if args.database == "both" else [args.database]
    scenarios = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    reports = []
    for database in databases:
        for scenario in scenarios:
            reports.extend(await SCENARIOS[scenario](database, args))
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
