"""Requests racing over real HTTP: the last units, one idempotency key, one order's money.

On SQLite by default and on PostgreSQL with CONCIERGE_TEST_DATABASE_URL.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import pytest
from orders_store import Store, mutation_document

# Every race leaves data that `concierge check` accepts.
pytestmark = pytest.mark.usefixtures("invariants_hold_after")

REQUESTS = 30


def outcome(result: Any, name: str) -> str:
    """ "ok" or the payload error's code; a top-level error (a 500, a deadlock) fails."""
    payload = result.ok()[name]
    return payload["errors"][0]["code"] if payload["errors"] else "ok"


async def fire(store: Store, name: str, inputs: list[dict[str, Any]]) -> list[Any]:
    document = mutation_document(name)
    return await asyncio.gather(*(store.request(document, {"input": i}) for i in inputs))


async def test_orders_racing_for_the_last_units_never_oversell(store: Store) -> None:
    # TOTE has 5 units; 30 orders of 1 TOTE and 1 SOAP race for them.
    inputs = [
        {"idempotencyKey": f"race-{n}", "email": f"c{n}@example.com",
         "lines": [{"sku": "SOAP", "quantity": 1}, {"sku": "TOTE", "quantity": 1}]}
        for n in range(REQUESTS)
    ]  # fmt: skip
    results = await fire(store, "placeOrder", inputs)
    counts = Counter(outcome(r, "placeOrder") for r in results)
    assert counts == {"ok": 5, "INSUFFICIENT_STOCK": REQUESTS - 5}, counts
    assert await store.level("TOTE") == {"onHand": 5, "allocated": 5, "available": 0}
    # The losers took nothing: SOAP is allocated only to the 5 orders that won.
    assert await store.level("SOAP") == {"onHand": 10, "allocated": 5, "available": 5}
    data = await store.query("{ orders { totalCount edges { node { number } } } }")
    assert data["orders"]["totalCount"] == 5
    # Numbers stay sequential without gaps, whoever won.
    assert sorted(e["node"]["number"] for e in data["orders"]["edges"]) == [
        str(n) for n in range(1001, 1006)
    ]
    await store.assert_stock_matches_ledger()


async def test_one_idempotency_key_sent_many_times_at_once_makes_one_order(
    store: Store,
) -> None:
    input = {"idempotencyKey": "double-click", "email": "ada@example.com",
             "lines": [{"sku": "SOAP", "quantity": 2}]}  # fmt: skip
    results = await fire(store, "placeOrder", [input] * 8)
    payloads = [r.ok()["placeOrder"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert sorted(p["created"] for p in payloads) == [False] * 7 + [True]
    assert len({p["order"]["id"] for p in payloads}) == 1
    assert await store.level("SOAP") == {"onHand": 10, "allocated": 2, "available": 8}
    await store.assert_stock_matches_ledger()


async def test_refunds_racing_never_give_back_more_than_was_paid(store: Store) -> None:
    order = await store.place("money", ("TOTE", 1), confirm=True)
    await store.ok(
        "recordOrderPayment", {"order": order["id"], "amount": "24.00", "method": "card"}
    )
    inputs = [{"order": order["id"], "amount": "10.00"} for _ in range(6)]
    results = await fire(store, "refundOrder", inputs)
    counts = Counter(outcome(r, "refundOrder") for r in results)
    assert counts == {"ok": 2, "REFUND_EXCEEDS_PAID": 4}, counts
    final = await store.order(order["id"])
    assert final["refunded"]["amount"] == "20.00"
    assert len([p for p in final["payments"] if p["kind"] == "REFUND"]) == 2


async def test_cancel_racing_a_fulfilment_one_wins_and_stock_adds_up(store: Store) -> None:
    for n in range(5):
        order = await store.place(f"cf-{n}", ("SOAP", 2), confirm=True)
        results = await asyncio.gather(
            store.request(mutation_document("cancelOrder"), {"input": {"order": order["id"]}}),
            store.request(mutation_document("fulfillOrder"), {"input": {"order": order["id"]}}),
        )
        outcomes = sorted([outcome(results[0], "cancelOrder"), outcome(results[1], "fulfillOrder")])
        assert outcomes == ["INVALID_TRANSITION", "ok"], outcomes
    await store.assert_stock_matches_ledger()
    level = await store.level("SOAP")
    assert level["allocated"] == 0
