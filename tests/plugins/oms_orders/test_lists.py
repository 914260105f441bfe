"""The orders list: filters, sorting, keyset pages, totalCount; customers and their history."""

from __future__ import annotations

import datetime as dt
from typing import Any

from orders_store import Store

from core.clock import MovableClock

LIST = (
    "query($first: Int, $after: String, $filter: OrderFilter, $sort: OrderSort) {"
    " orders(first: $first, after: $after, filter: $filter, sort: $sort) {"
    " totalCount pageInfo { hasNextPage endCursor } edges { node { number } } } }"
)


async def numbers(store: Store, **variables: Any) -> tuple[list[str], int]:
    data = (await store.query(LIST, variables))["orders"]
    return [e["node"]["number"] for e in data["edges"]], data["totalCount"]


async def seed(store: Store, clock: MovableClock) -> dict[str, dict[str, Any]]:
    """Six orders an hour apart over several channels, statuses and customers."""
    placed: dict[str, dict[str, Any]] = {}
    specs = [
        ("o1", [("SOAP", 1)], {"email": "ada@example.com", "customerName": "Ada Lovelace"}),
        ("o2", [("TOTE", 1)], {"email": "grace@example.com", "channel": "PHONE", "confirm": True}),
        ("o3", [("SOAP", 2)], {"email": "ada@example.com", "channel": "MARKETPLACE",
                               "channelReference": "AMZ-1"}),
        ("o4", [("BEANS", 1)], {"email": "alan@example.com", "customerName": "Alan Turing",
                                "confirm": True}),
        ("o5", [("SOAP", 1), ("TOTE", 1)], {"email": "grace@example.com", "channel": "IN_STORE",
                                            "confirm": True}),
        ("o6", [("SOAP", 3)], {"email": "ada@example.com"}),
    ]  # fmt: skip
    for key, items, fields in specs:
        placed[key] = await store.place(key, *items, **fields)
        clock.advance(dt.timedelta(hours=1))
    await store.ok(
        "recordOrderPayment",
        {"order": placed["o4"]["id"], "amount": "12.90", "method": "card"},
    )
    await store.ok("cancelOrder", {"order": placed["o2"]["id"]})
    return placed


async def test_filters_combine_and_count(store: Store, clock: MovableClock) -> None:
    start = clock.now()
    await seed(store, clock)
    assert await numbers(store) == (["1006", "1005", "1004", "1003", "1002", "1001"], 6)
    assert await numbers(store, filter={"status": ["UNCONFIRMED"]}) == (
        ["1006", "1003", "1001"], 3,
    )  # fmt: skip
    assert await numbers(store, filter={"status": ["CONFIRMED", "CANCELED"]}) == (
        ["1005", "1004", "1002"], 3,
    )  # fmt: skip
    assert await numbers(store, filter={"paymentStatus": ["PAID"]}) == (["1004"], 1)
    assert await numbers(store, filter={"channel": ["PHONE", "IN_STORE"]}) == (
        ["1005", "1002"], 2,
    )  # fmt: skip
    window = {
        "placedFrom": (start + dt.timedelta(hours=1)).isoformat(),
        "placedTo": (start + dt.timedelta(hours=3)).isoformat(),
    }
    assert await numbers(store, filter=window) == (["1003", "1002"], 2)
    assert await numbers(store, filter={"search": "TURING"}) == (["1004"], 1)
    assert await numbers(store, filter={"search": "grace@"}) == (["1005", "1002"], 2)
    assert await numbers(store, filter={"search": "1003"}) == (["1003"], 1)
    assert await numbers(store, filter={"search": "%"}) == ([], 0)  # a literal, not a wildcard
    assert await numbers(store, filter={"status": ["UNCONFIRMED"], "search": "ada"}) == (
        ["1006", "1003", "1001"], 3,
    )  # fmt: skip


async def test_a_time_window_without_a_utc_offset_is_a_client_error(store: Store) -> None:
    """A bound with no offset names no instant: a typed error, not an internal one."""
    await store.place("w-1", ("SOAP", 1))
    for bound in ("placedFrom", "placedTo"):
        result = await store.request(LIST, {"filter": {bound: "2026-03-02T09:00:00"}})
        assert result.status == 200 and result.data is None, result.body
        (error,) = result.errors
        assert (error["path"], error["extensions"]) == (["orders"], {"code": "INVALID_INPUT"})
        assert error["message"] == f"{bound} needs a UTC offset, such as 2026-03-02T09:00:00Z"
    assert await numbers(store, filter={"placedFrom": "2026-03-02T09:00:00Z"}) == (["1001"], 1)


async def test_sorting_and_keyset_pages(store: Store, clock: MovableClock) -> None:
    await seed(store, clock)
    by_total = await numbers(store, sort={"field": "TOTAL", "direction": "ASC"})
    # 6.50, 12.90, 13.00, 19.50, 24.00 (o2), 30.50 (o5): equal totals fall back to the id.
    assert by_total == (["1001", "1004", "1003", "1006", "1002", "1005"], 6)
    oldest_first = await numbers(store, sort={"field": "PLACED_AT", "direction": "ASC"})
    assert oldest_first[0][:2] == ["1001", "1002"]

    seen: list[str] = []
    after = None
    while True:
        data = (await store.query(LIST, {"first": 4, "after": after}))["orders"]
        assert data["totalCount"] == (6 if after is None else 7)  # counts what is there now
        seen += [e["node"]["number"] for e in data["edges"]]
        # An order placed while paging neither shifts nor repeats the pages (keyset).
        if after is None:
            clock.advance(dt.timedelta(hours=1))
            await store.place("late", ("SOAP", 1))
        if not data["pageInfo"]["hasNextPage"]:
            break
        after = data["pageInfo"]["endCursor"]
    assert seen == ["1006", "1005", "1004", "1003", "1002", "1001"]


async def test_a_customer_and_their_order_history(store: Store, clock: MovableClock) -> None:
    placed = await seed(store, clock)
    ada = placed["o1"]["customer"]
    # Guest checkouts with the same e-mail land on one customer, names filled in once.
    assert placed["o6"]["customer"]["id"] == ada["id"]
    data = await store.query(
        "query($id: ID!) { node(id: $id) { ... on Customer { email name"
        " orders(first: 10) { totalCount edges { node { number } } } } } }",
        {"id": ada["id"]},
    )
    customer = data["node"]
    assert (customer["email"], customer["name"]) == ("ada@example.com", "Ada Lovelace")
    assert [e["node"]["number"] for e in customer["orders"]["edges"]] == ["1006", "1003", "1001"]
    assert await numbers(store, filter={"customer": ada["id"]}) == (["1006", "1003", "1001"], 3)

    customers = await store.query(
        '{ customers(filter: {search: "example"}) { totalCount edges { node { email } } } }'
    )
    assert customers["customers"]["totalCount"] == 3
    updated = await store.ok("updateCustomer", {"customer": ada["id"], "phone": "+44 20 7946 0000"})
    assert updated["customer"]["phone"] == "+44 20 7946 0000"
    await store.fails("createCustomer", {"email": "ADA@example.com"}, "CONFLICT")
    created = await store.ok(
        "createCustomer",
        {"email": "edsger@example.com", "name": "Edsger",
         "addresses": [{"line1": "1 Road", "city": "Austin", "country": "us"}]},
    )  # fmt: skip
    assert created["customer"]["addresses"] == [{"city": "Austin"}]


async def test_order_by_number(store: Store) -> None:
    order = await store.place("n-1", ("SOAP", 1))
    data = await store.query(
        "query($n: String!) { orderByNumber(number: $n) { id } }", {"n": order["number"]}
    )
    assert data["orderByNumber"]["id"] == order["id"]
    data = await store.query('{ orderByNumber(number: "9999") { id } }')
    assert data["orderByNumber"] is None
