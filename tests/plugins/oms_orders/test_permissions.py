"""Who may do what with orders, per built-in role, over real HTTP: one table, one column
per role. A refused root field is a top-level FORBIDDEN error and changes nothing; a node
the role may not read answers null; Order.customer is null with a FORBIDDEN error."""

from __future__ import annotations

from typing import Any

import pytest
from orders_store import MUTATIONS, Store

from core.testing import GraphQLResult

ROLES = ("cashier", "warehouse", "viewer", "front_desk", "manager")
# x: allowed, .: refused; one column per role, in the order of ROLES.
MATRIX = """
orders                     x x x . x
orderByNumber              x x x . x
orderSettings              x x x . x
customers                  . . x . x
Order.customer             . . x . x
node:Order                 x x x . x
node:Customer              . . x . x
placeOrder                 x . . . x
confirmOrder               x . . . x
cancelOrder                x . . . x
addOrderNote               x . . . x
fulfillOrder               . x . . x
markFulfillmentDelivered   . x . . x
updateFulfillmentTracking  . x . . x
recordOrderPayment         . . . . x
refundOrder                . . . . x
requestReturn              . x . . x
receiveReturn              . x . . x
cancelReturn               . x . . x
createCustomer             . . . . x
updateCustomer             . . . . x
updateOrderSettings        . . . . x
"""
ALLOWED: dict[str, frozenset[str]] = {
    op: frozenset(role for role, mark in zip(ROLES, marks, strict=True) if mark == "x")
    for op, *marks in (line.split() for line in MATRIX.strip().splitlines())
}
WRITES = [op for op in ALLOWED if op in MUTATIONS]

READS: dict[str, str] = {
    "orders": "{ orders { totalCount } }",
    "orderByNumber": '{ orderByNumber(number: "1001") { number } }',
    "orderSettings": "{ orderSettings { nextNumber } }",
    "customers": "{ customers { totalCount } }",
    "Order.customer": "{ orders { edges { node { number customer { email } } } } }",
    "node:Order": "query($id: ID!) { node(id: $id) { ... on Order { number } } }",
    "node:Customer": "query($id: ID!) { node(id: $id) { ... on Customer { email } } }",
}
MUG = ("MUG", 2, "5.00")


def codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


def assert_forbidden(result: GraphQLResult, field: str) -> None:
    assert result.status == 200, result.body
    assert codes(result) == ["FORBIDDEN"], (field, result.body)
    assert result.errors[0]["path"] == [field], result.body
    assert result.data is None or result.data.get(field) is None, result.body


async def role_token(store: Store, role: str) -> str:
    user = await store.kit.user(
        store.tenant, f"{role}@acme.example", role=role, property=store.prop
    )
    return await store.kit.token_for(user)


@pytest.fixture
async def shop(make_store: Any) -> Store:
    """A shop without a catalog (lines carry their prices): permissions do not care."""
    return await make_store(inventory=False)


def test_the_table_covers_every_order_mutation() -> None:
    assert set(WRITES) == set(MUTATIONS)


@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_read(shop: Store, role: str) -> None:
    order = await shop.place("k1", MUG)  # by the owner; Ada becomes a customer
    ids = {"node:Order": order["id"], "node:Customer": order["customer"]["id"]}
    token = await role_token(shop, role)

    for op, document in READS.items():
        variables = {"id": ids[op]} if op in ids else None
        result = await shop.request(document, variables, token=token)
        allowed = role in ALLOWED[op]
        if op.startswith("node:"):  # a node the role may not read answers like a missing one
            node = result.ok()["node"]
            assert (node is not None) is allowed, (op, role, node)
        elif op == "Order.customer":
            if allowed:
                edge = result.ok()["orders"]["edges"][0]["node"]
                assert edge == {"number": "1001", "customer": {"email": "ada@example.com"}}
            elif role in ALLOWED["orders"]:  # the order shows, its customer does not
                assert codes(result) == ["FORBIDDEN"], result.body
                assert result.errors[0]["path"] == ["orders", "edges", 0, "node", "customer"]
                assert result.data == {
                    "orders": {"edges": [{"node": {"number": "1001", "customer": None}}]}
                }
            else:
                assert_forbidden(result, "orders")
        elif allowed:
            assert result.ok()[op] is not None, (op, role)
        else:
            assert_forbidden(result, op)


async def prepare(store: Store, op: str) -> dict[str, Any]:
    """The input of ``op``, on something made for it by the owner (who may do anything)."""
    key = f"for-{op}"
    if op == "placeOrder":
        return {"idempotencyKey": key, "email": "walk-in@example.com",
                "lines": [{"sku": "MUG", "quantity": 1, "unitPrice": "5.00"}]}  # fmt: skip
    if op == "createCustomer":
        return {"email": "new@example.com", "name": "New"}
    if op == "updateOrderSettings":
        return {"numberPrefix": "W-", "taxRate": 700}
    confirmed = op not in ("confirmOrder", "cancelOrder", "addOrderNote", "updateCustomer")
    order = await store.place(key, MUG, confirm=confirmed)
    simple = {
        "confirmOrder": {},
        "cancelOrder": {"reason": "changed mind"},
        "addOrderNote": {"text": "gift wrap"},
        "recordOrderPayment": {"amount": "1.00", "method": "cash"},
        "fulfillOrder": {"carrier": "DHL", "trackingNumber": "JD1"},
    }
    if op in simple:
        return {"order": order["id"], **simple[op]}
    if op == "updateCustomer":
        return {"customer": order["customer"]["id"], "name": "Ada L."}
    if op == "refundOrder":
        await store.ok("recordOrderPayment", {"order": order["id"], "amount": "10.00",
                                              "method": "cash"})  # fmt: skip
        return {"order": order["id"], "amount": "1.00"}
    shipped = await store.ok("fulfillOrder", {"order": order["id"]})
    if op == "markFulfillmentDelivered":
        return {"fulfillment": shipped["fulfillment"]["id"]}
    if op == "updateFulfillmentTracking":
        return {
            "fulfillment": shipped["fulfillment"]["id"],
            "carrier": "UPS",
            "trackingNumber": "1Z",
        }
    back = {"order": order["id"], "lines": [{"sku": "MUG", "quantity": 1}]}
    if op == "requestReturn":
        return back
    requested = await store.ok("requestReturn", back)
    assert op in ("receiveReturn", "cancelReturn"), op
    return {"orderReturn": requested["orderReturn"]["id"]}


@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_change(shop: Store, role: str) -> None:
    token = await role_token(shop, role)
    for op in WRITES:
        input = await prepare(shop, op)
        document = (
            f"mutation($input: {MUTATIONS[op][0]}!) {{ {op}(input: $input) {{"
            " errors { code message } } }"
        )
        before = await shop.snapshot()
        result = await shop.request(document, {"input": input}, token=token)
        if role in ALLOWED[op]:
            assert result.ok()[op]["errors"] == [], (op, role)
            assert await shop.snapshot() != before, (op, role)
        else:
            assert_forbidden(result, op)
            assert await shop.snapshot() == before, (op, role)
