"""The orders page costs as many SQL statements for 50 orders as for 10: every child list
(lines, customer, timeline, fulfilments and their lines, payments, returns and their lines
and refunds) loads through a DataLoader, one query per kind for the whole page.

Statements are counted on the app's own engine (a ``before_cursor_execute`` listener)
while the page goes through the real HTTP app, on SQLite and on PostgreSQL.
"""

from __future__ import annotations

from typing import Any

from orders_store import RECEIVE, Store
from statement_count import counting

ORDERS = 50
PAGE = """
query Page($first: Int!) {
  orders(first: $first) {
    totalCount
    edges {
      node {
        id number status paymentStatus total { amount } paid { amount } refunded { amount }
        lines { sku name quantity unitPrice { amount } fulfilledQuantity returnedQuantity }
        customer { name email }
        timeline { kind fromStatus toStatus createdAt }
        fulfillments { number status carrier lines { sku quantity } }
        payments { kind amount { amount } method }
        returns {
          number status lines { sku quantity restocked }
          refund { amount { amount } } suggestedRefund { amount }
        }
      }
    }
  }
}
"""
# Measured: 4 to check the token, 2 to find the property, the count, the page, and one
# each for lines, customers, timeline, fulfilments, their lines, payments, returns, their
# lines, the returns' refunds and the returns' orders (suggestedRefund): 18. SQLite also
# counts the BEGIN of its three transactions (credentials, property, the page's reads).
MAX_STATEMENTS = {"sqlite": 21, "postgresql": 18}


async def seed(store: Store) -> None:
    """``ORDERS`` orders of four customers, newest last. Every fifth is paid and shipped;
    every tenth also had a unit returned and refunded; so the newest ten hold some of each."""
    for sku in ("SOAP", "TOTE"):
        result = await store.request(
            RECEIVE, {"input": {"sku": sku, "location": "MAIN", "quantity": 200}}
        )
        assert result.ok()["receiveStock"]["errors"] == []
    for n in range(ORDERS):
        items: list[tuple[str, int]] = [("SOAP", 1)] if n % 2 else [("SOAP", 2), ("TOTE", 1)]
        order = await store.place(
            f"count-{n}", *items, email=f"buyer{n % 4}@example.com",
            customerName=f"Buyer {n % 4}", confirm=n % 5 == 0,
        )  # fmt: skip
        if n % 5:
            continue
        total = order["total"]["amount"]
        await store.ok(
            "recordOrderPayment", {"order": order["id"], "amount": total, "method": "card"}
        )
        await store.ok("fulfillOrder", {"order": order["id"], "carrier": "DHL"})
        if n % 10:
            continue
        requested = await store.ok(
            "requestReturn", {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}]}
        )
        (rma,) = requested["order"]["returns"]
        await store.ok(
            "receiveReturn", {"orderReturn": rma["id"], "location": "MAIN", "refund": "6.50"}
        )


async def page(store: Store, first: int) -> tuple[list[dict[str, Any]], list[str]]:
    """The first ``first`` orders and the statements their page took."""
    with counting(store.kit) as log:
        data = await store.query(PAGE, {"first": first})
    return [edge["node"] for edge in data["orders"]["edges"]], log.statements


async def test_the_orders_page_takes_as_many_statements_for_50_orders_as_for_10(
    store: Store,
) -> None:
    await seed(store)
    await page(store, 1)  # the property's schema is built; nothing is counted yet

    ten, statements_10 = await page(store, 10)
    fifty, statements_50 = await page(store, 50)
    again, statements_again = await page(store, 10)

    assert len(ten) == 10 and len(fifty) == 50 and again == ten
    # The pages hold every kind of child, so every loader ran on both.
    for nodes in (ten, fifty):
        assert all(node["lines"] and node["customer"] and node["timeline"] for node in nodes)
        assert any(node["fulfillments"] and node["fulfillments"][0]["lines"] for node in nodes)
        assert any(node["payments"] for node in nodes)
        returned = [node for node in nodes if node["returns"]]
        assert returned and returned[0]["returns"][0]["lines"]
        assert returned[0]["returns"][0]["refund"]["amount"]["amount"] == "6.50"
    assert sum(len(node["lines"]) for node in fifty) == 75

    assert len(statements_10) == len(statements_50) == len(statements_again), (
        statements_10,
        statements_50,
    )
    dialect = store.kit.db.engine.dialect.name
    assert len(statements_50) <= MAX_STATEMENTS[dialect], statements_50


async def test_the_total_is_counted_only_when_asked_for(store: Store) -> None:
    for n in range(3):
        await store.place(f"total-{n}", ("SOAP", 1))
    plain = "{ orders(first: 2) { edges { node { number } } } }"
    spread = (
        "query { orders(first: 2) { ...Total edges { node { number } } } }"
        " fragment Total on OrderConnection { totalCount }"
    )
    inline = "{ orders(first: 2) { ... on OrderConnection { totalCount } } }"
    with counting(store.kit) as without_total:
        await store.query(plain)
    assert not any("count(" in s.lower() for s in without_total.statements)
    for query in (spread, inline):
        with counting(store.kit) as with_total:
            data = await store.query(query)
        assert data["orders"]["totalCount"] == 3
        assert sum("count(" in s.lower() for s in with_total.statements) == 1


async def test_lines_and_customers_are_loaded_ahead_only_when_asked_for(store: Store) -> None:
    """The page loads its lines and customers up front (so each order's fields answer
    without an await), but only when the query selects them, and never twice."""
    for n in range(3):
        await store.place(f"ahead-{n}", ("SOAP", 1), email=f"buyer{n}@example.com")
    plain = "{ orders(first: 3) { edges { node { number } } } }"
    full = "{ orders(first: 3) { edges { node { number lines { sku } customer { email } } } } }"
    one = "query($id: ID!) { node(id: $id) { ... on Order { lines { sku } } } }"

    def touching(statements: list[str], table: str) -> int:
        return sum(f"from {table} " in s.lower() for s in statements)

    with counting(store.kit) as without:
        await store.query(plain)
    with counting(store.kit) as with_children:
        data = await store.query(full)
    for table in ("ord_order_lines", "ord_customers"):
        assert touching(without.statements, table) == 0, table
        assert touching(with_children.statements, table) == 1, table
    nodes = [edge["node"] for edge in data["orders"]["edges"]]
    assert [node["lines"] for node in nodes] == [[{"sku": "SOAP"}]] * 3
    assert sorted(node["customer"]["email"] for node in nodes) == [
        "buyer0@example.com", "buyer1@example.com", "buyer2@example.com",
    ]  # fmt: skip
    # An order reached another way still loads its lines (the awaited path).
    first = await store.query("{ orders(first: 1) { edges { node { id } } } }")
    order_id = first["orders"]["edges"][0]["node"]["id"]
    single = await store.query(one, {"id": order_id})
    assert single["node"]["lines"] == [{"sku": "SOAP"}]
