"""A write load against a real `concierge serve` process, killed with SIGKILL mid-load and
restarted on the same database: every acknowledged order is there, none is half-written,
and `concierge check`'s invariants hold.

On SQLite (the test's database file, one server process at a time) by default and on
PostgreSQL with CONCIERGE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
import random
import signal
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from orders_store import CREATE_PRODUCT, INVENTORY, ORDERS, RECEIVE, Store
from server_process import ServerProcess
from sqlalchemy import select

from core.apikeys import ApiKeyKind, create_api_key
from core.invariants import check_invariants
from core.plugins import PluginHost
from core.testing import ConciergeTestKit
from plugins.oms_orders import models

WORKERS = 8
# The load runs until this many orders are acknowledged (and at least MIN_LOAD_SECONDS),
# or MAX_ACKNOWLEDGED, whichever first; then the server is killed.
MIN_ACKNOWLEDGED = 40
MIN_LOAD_SECONDS = 1.0
MAX_ACKNOWLEDGED = 150
LOAD_DEADLINE = 25.0
REQUEST_TIMEOUT = 15.0
TEST_DEADLINE = 150.0

SCARCE = 6
# sku -> (price, units received). BEANS runs out early: some orders are refused.
STOCK = {
    "SOAP": ("6.50", 600),
    "TOTE": ("24.00", 600),
    "MUG": ("9.90", 600),
    "BEANS": ("12.90", SCARCE),
}

PLACE_ORDER = (
    "mutation($input: PlaceOrderInput!) { placeOrder(input: $input) { created"
    " order { id number lines { sku quantity } } errors { code message } } }"
)
ORDERS_PAGE = (
    "query($after: String) { orders(first: 100, after: $after) { totalCount"
    " pageInfo { hasNextPage endCursor } edges { node { id number lines { sku quantity } } } } }"
)


def _lines_of(order: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["sku"], line["quantity"]) for line in order["lines"]]


def _wanted(input: dict[str, Any]) -> list[tuple[str, int]]:
    return [(line["sku"], line["quantity"]) for line in input["lines"]]


@dataclass
class Load:
    """What the client saw of each idempotency key it sent."""

    inputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    # key -> the order of an acknowledged placeOrder (HTTP 200, no errors)
    acknowledged: dict[str, dict[str, Any]] = field(default_factory=dict)
    refused: dict[str, str] = field(default_factory=dict)  # key -> error code
    unknown: set[str] = field(default_factory=set)  # the request died with the server
    in_flight: set[str] = field(default_factory=set)
    unexpected: list[str] = field(default_factory=list)


def _order_input(rng: random.Random, key: str) -> dict[str, Any]:
    """1 to 3 lines of 1 to 3 units; one order in ten asks for the scarce BEANS."""
    plenty = sorted(sku for sku, (_, units) in STOCK.items() if units > SCARCE)
    skus = rng.sample(plenty, rng.randint(1, 3))
    if rng.random() < 0.1:
        skus[rng.randrange(len(skus))] = "BEANS"
    return {
        "idempotencyKey": key,
        "email": f"{key}@example.com",
        "lines": [{"sku": sku, "quantity": rng.randint(1, 3)} for sku in skus],
    }


async def _worker(
    client: httpx.AsyncClient, path: str, load: Load, stop: asyncio.Event, number: int
) -> None:
    rng = random.Random(number)
    sent = 0
    while not stop.is_set():
        key = f"crash-{number}-{sent}"
        sent += 1
        input = _order_input(rng, key)
        load.inputs[key] = input
        load.in_flight.add(key)
        try:
            response = await client.post(
                path, json={"query": PLACE_ORDER, "variables": {"input": input}}
            )
        except httpx.TransportError as exc:
            if not stop.is_set():
                load.unexpected.append(f"{key}: {exc!r} before the kill")
            # The server died with this request in flight: it may or may not be committed.
            load.unknown.add(key)
            return
        finally:
            load.in_flight.discard(key)
        body = response.json() if response.status_code == 200 else None
        payload = ((body or {}).get("data") or {}).get("placeOrder")
        if payload is None or (body or {}).get("errors"):
            load.unexpected.append(f"{key}: {response.status_code} {response.text[:500]}")
            return
        if payload["errors"]:
            code = payload["errors"][0]["code"]
            if code != "INSUFFICIENT_STOCK":
                load.unexpected.append(f"{key}: {payload['errors']}")
                return
            load.refused[key] = code
            continue
        if not payload["created"] or _lines_of(payload["order"]) != _wanted(input):
            load.unexpected.append(f"{key}: {payload}")
            return
        load.acknowledged[key] = payload["order"]


async def _set_up_shop(concierge: ConciergeTestKit) -> tuple[Store, str]:
    """A shop with STOCK at MAIN, and a secret API key to place and read its orders."""
    tenant = await concierge.tenant("acme")
    prop = await concierge.property(tenant, "acme-shop", plugins=[INVENTORY, ORDERS])
    store = Store(concierge, tenant, prop, True)
    for sku, (price, units) in STOCK.items():
        product = {"name": sku.title(), "variants": [{"sku": sku, "price": price}]}
        created = await store.request(CREATE_PRODUCT, {"input": product})
        assert created.ok()["createProduct"]["errors"] == []
        received = {"sku": sku, "location": "MAIN", "quantity": units}
        result = await store.request(RECEIVE, {"input": received})
        assert result.ok()["receiveStock"]["errors"] == []
    # The server runs on the real clock: an API key, which does not expire.
    permissions = frozenset({"orders:write", "orders:read"})
    async with concierge.transaction(prop) as session:
        _, key = await create_api_key(
            session, name="storefront", kind=ApiKeyKind.SECRET, permissions=permissions,
            grantable=permissions, created_by_user_id=None, clock=concierge.clock,
        )  # fmt: skip
    return store, key


async def _place_again(
    client: httpx.AsyncClient, path: str, input: dict[str, Any]
) -> dict[str, Any]:
    response = await client.post(path, json={"query": PLACE_ORDER, "variables": {"input": input}})
    assert response.status_code == 200, response.text
    body = response.json()
    assert not body.get("errors"), body
    return body["data"]["placeOrder"]


async def _all_orders(client: httpx.AsyncClient, path: str) -> dict[str, dict[str, Any]]:
    """Every order of the shop, read through the API, by id."""
    found: dict[str, dict[str, Any]] = {}
    after = None
    while True:
        response = await client.post(
            path, json={"query": ORDERS_PAGE, "variables": {"after": after}}
        )
        assert response.status_code == 200, response.text
        body = response.json()
        assert not body.get("errors"), body
        page = body["data"]["orders"]
        for edge in page["edges"]:
            found[edge["node"]["id"]] = edge["node"]
        if not page["pageInfo"]["hasNextPage"]:
            assert len(found) == page["totalCount"]
            return found
        after = page["pageInfo"]["endCursor"]


def _client(server: ServerProcess, headers: dict[str, str]) -> httpx.AsyncClient:
    limits = httpx.Limits(max_connections=WORKERS, max_keepalive_connections=WORKERS)
    return httpx.AsyncClient(
        base_url=server.base, headers=headers, timeout=REQUEST_TIMEOUT, limits=limits
    )


async def _load_until_killed(
    server: ServerProcess, path: str, headers: dict[str, str], load: Load
) -> tuple[int, float]:
    """WORKERS clients place orders until enough are acknowledged, then SIGKILL the server
    under them; returns (requests in flight at the kill, seconds of load)."""
    async with _client(server, headers) as client:
        stop = asyncio.Event()
        workers = [
            asyncio.create_task(_worker(client, path, load, stop, n)) for n in range(WORKERS)
        ]
        started = time.monotonic()
        while True:
            acknowledged, elapsed = len(load.acknowledged), time.monotonic() - started
            if acknowledged >= MAX_ACKNOWLEDGED or (
                acknowledged >= MIN_ACKNOWLEDGED and elapsed >= MIN_LOAD_SECONDS
            ):
                break
            if load.unexpected or elapsed > LOAD_DEADLINE or all(w.done() for w in workers):
                stop.set()
                await asyncio.wait(workers, timeout=REQUEST_TIMEOUT)
                pytest.fail(
                    f"the load went wrong after {elapsed:.1f} s and {acknowledged} orders: "
                    f"{load.unexpected[:5]}\n{server.log_tail()}"
                )
            await asyncio.sleep(0.005)
        in_flight = len(load.in_flight)
        stop.set()
        server.kill()
        assert server.proc is not None
        assert await asyncio.wait_for(server.proc.wait(), 15) == -signal.SIGKILL
        await asyncio.wait_for(asyncio.gather(*workers), REQUEST_TIMEOUT)
    return in_flight, time.monotonic() - started


async def _recover(
    server: ServerProcess, path: str, headers: dict[str, str], load: Load
) -> Counter[str]:
    """After the restart, through the API: each acknowledged order, its key sent again,
    comes back unchanged; each order the kill cut off is there whole or not at all; the
    orders listed are exactly the acknowledged ones. Returns what became of the cut-off."""
    acknowledged_before = dict(load.acknowledged)
    outcomes: Counter[str] = Counter()
    async with _client(server, headers) as client:
        gate = asyncio.Semaphore(WORKERS)

        async def again(key: str) -> tuple[str, dict[str, Any]]:
            async with gate:
                return key, await _place_again(client, path, load.inputs[key])

        for key, payload in await asyncio.gather(*map(again, acknowledged_before)):
            assert payload["errors"] == [] and payload["created"] is False, (key, payload)
            assert payload["order"] == acknowledged_before[key], key
        # Sent again, a cut-off order is returned with all its lines (it was committed) or
        # placed now (it was not); refused now means no order had the key.
        for key, payload in await asyncio.gather(*map(again, sorted(load.unknown))):
            if payload["errors"]:
                codes = [e["code"] for e in payload["errors"]]
                assert codes == ["INSUFFICIENT_STOCK"], (key, payload)
                load.refused[key] = codes[0]
                outcomes["refused now"] += 1
                continue
            assert _lines_of(payload["order"]) == _wanted(load.inputs[key]), (key, payload)
            load.acknowledged[key] = payload["order"]
            outcomes["placed now" if payload["created"] else "committed before the kill"] += 1
        listed = await _all_orders(client, path)
    by_id = {order["id"]: key for key, order in load.acknowledged.items()}
    assert len(by_id) == len(load.acknowledged)
    assert set(listed) == set(by_id), "the orders listed are not the acknowledged ones"
    for order_id, order in listed.items():
        assert order == load.acknowledged[by_id[order_id]], order
    # Numbers stay sequential without gaps: a transaction cut off took none.
    numbers = sorted(int(order["number"]) for order in listed.values())
    assert numbers == list(range(1001, 1001 + len(listed))), numbers
    return outcomes


async def _check_database(
    concierge: ConciergeTestKit, host: PluginHost, store: Store, load: Load
) -> int:
    """The rows themselves, once no server runs: one order per acknowledged key, each with
    exactly its lines, stock allocated to them and matching its ledger, and every
    invariant of `concierge check`. Returns the number of orders."""
    async with concierge.transaction(store.prop) as session:
        rows = await session.scalars(select(models.Order))
        orders = {row.idempotency_key: row.id for row in rows}
        lines: dict[int, list[tuple[int, str, int]]] = {}
        for line in await session.scalars(select(models.OrderLine)):
            lines.setdefault(line.order_id, []).append((line.position, line.sku, line.quantity))
    assert set(orders) == set(load.acknowledged), "the orders stored are not those acknowledged"
    assert not set(orders) & set(load.refused)
    assert set(lines) == set(orders.values()), "an order without lines, or lines without one"
    for key, order_id in orders.items():
        stored = [(sku, quantity) for _, sku, quantity in sorted(lines[order_id])]
        assert stored == _wanted(load.inputs[key]), key
    # Nothing was shipped or received since: what is allocated is what the orders hold.
    allocated: Counter[str] = Counter()
    for key in load.acknowledged:
        for sku, quantity in _wanted(load.inputs[key]):
            allocated[sku] += quantity
    for sku, (_, units) in STOCK.items():
        assert await store.level(sku) == {
            "onHand": units, "allocated": allocated[sku], "available": units - allocated[sku],
        }, sku  # fmt: skip
    await store.assert_stock_matches_ledger()
    report = await check_invariants(concierge.db, host)
    assert report.holds, str(report)
    return len(orders)


async def test_a_server_killed_mid_load_keeps_every_acknowledged_order_whole(
    concierge: ConciergeTestKit,
    concierge_host: PluginHost,
    concierge_database_url: str,
    tmp_path: Path,
) -> None:
    started = time.monotonic()
    store, api_key = await _set_up_shop(concierge)
    path = f"/graphql/{store.prop.slug}"
    headers = {"authorization": f"Bearer {api_key}"}
    load = Load()
    # From here on only the server processes write to the database, until the last is gone.
    first = ServerProcess(concierge_database_url, tmp_path, "first")
    second = ServerProcess(concierge_database_url, tmp_path, "second")
    # Bounded as a whole: a server that hangs fails the test, and both processes are reaped.
    async with asyncio.timeout(TEST_DEADLINE):
        try:
            await first.start()
            in_flight, load_seconds = await _load_until_killed(first, path, headers, load)
            assert not load.unexpected, load.unexpected
            assert in_flight > 0 and load.unknown, "no request was in flight at the kill"
            acknowledged_at_kill, refused_at_kill = len(load.acknowledged), len(load.refused)
            await second.start()
            outcomes = await _recover(second, path, headers, load)
            await second.stop()
            stored = await _check_database(concierge, concierge_host, store, load)
        finally:
            await first.stop()
            await second.stop()
    print(
        f"\ncrash recovery on {concierge.db.engine.dialect.name}: {acknowledged_at_kill} "
        f"orders acknowledged and {refused_at_kill} refused in {load_seconds:.2f} s of load, "
        f"{in_flight} in flight at the kill ({dict(outcomes)}); {stored} orders stored; "
        f"{time.monotonic() - started:.1f} s in all"
    )
