"""Sales by day and channel in a New York shop: an order placed at 22:30 local time is
that day's, though it is the next day in UTC; canceled orders are left out."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core.testing import ConciergeTestKit

REPORT = (
    'query($from: Date!, $to: Date!) { reports { report(name: "oms_orders.sales_by_day",'
    " from: $from, to: $to) { rows } } }"
)


async def test_sales_by_day_in_the_shops_time_zone(
    concierge: ConciergeTestKit, make_store: Any
) -> None:
    store = await make_store("acme-nyc")
    moved = await concierge.graphql(
        'mutation { updateProperty(input: {property: "acme-nyc", timeZone: "America/New_York"})'
        " { errors { code } } }",
        token=concierge.token(store.tenant),
    )
    assert moved.ok()["updateProperty"]["errors"] == []
    clock = concierge.clock

    async def place_at(when: dt.datetime, key: str, *items: Any, **fields: Any) -> dict:
        clock.set(when)
        return await store.place(key, *items, **fields)

    # 2 March 04:00 and 22:30 in New York (EST, UTC-5); the second is 3 March in UTC.
    await place_at(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC), "w1", ("SOAP", 2))  # 13.00
    await place_at(dt.datetime(2026, 3, 3, 3, 30, tzinfo=dt.UTC), "w2", ("TOTE", 1))  # 24.00
    await place_at(
        dt.datetime(2026, 3, 3, 4, 0, tzinfo=dt.UTC), "p1", ("SOAP", 1), channel="PHONE"
    )  # 6.50, 2 March 23:00 local
    gone = await place_at(dt.datetime(2026, 3, 3, 15, 0, tzinfo=dt.UTC), "w3", ("SOAP", 1))
    await store.ok("cancelOrder", {"order": gone["id"], "reason": "changed mind"})
    await place_at(dt.datetime(2026, 3, 3, 16, 0, tzinfo=dt.UTC), "w4", ("BEANS", 1))  # 12.90

    data = (await store.request(REPORT, {"from": "2026-03-01", "to": "2026-03-04"})).ok()
    assert data["reports"]["report"]["rows"] == [
        ["2026-03-02", "phone", "1", "6.50"],
        ["2026-03-02", "web", "2", "37.00"],
        ["2026-03-03", "web", "1", "12.90"],
    ]


async def _report(store: Any, name: str, start: str, end: str) -> list[list[str | None]]:
    query = (
        "query($n: String!, $from: Date!, $to: Date!) { reports { report(name: $n, from: $from,"
        " to: $to) { rows } } }"
    )
    data = (await store.request(query, {"n": name, "from": start, "to": end})).ok()
    return data["reports"]["report"]["rows"]


async def test_time_to_ship_top_skus_and_returns(
    concierge: ConciergeTestKit, make_store: Any
) -> None:
    store = await make_store()
    clock = concierge.clock
    clock.set(dt.datetime(2026, 3, 2, 9, tzinfo=dt.UTC))
    first = await store.place("a", ("SOAP", 3), confirm=True)  # 19.50
    clock.advance(dt.timedelta(hours=2))
    await store.ok("fulfillOrder", {"order": first["id"], "carrier": "DHL"})  # 2 h
    second = await store.place("b", ("TOTE", 1), ("SOAP", 1), confirm=True)  # 30.50
    clock.advance(dt.timedelta(hours=4))
    await store.ok("fulfillOrder", {"order": second["id"], "carrier": "DHL"})  # 4 h
    await store.place("c", ("BEANS", 2))  # 25.80, never shipped
    requested = await store.ok(
        "requestReturn", {"order": first["id"], "lines": [{"sku": "SOAP", "quantity": 1}]}
    )
    (rma,) = requested["order"]["returns"]
    await store.ok("receiveReturn", {"orderReturn": rma["id"], "location": "MAIN"})

    day = "2026-03-02"
    assert await _report(store, "oms_orders.fulfilment_times", day, day) == [[day, "2", "3.00"]]
    assert await _report(store, "oms_orders.top_skus", day, day) == [
        ["SOAP", "Soap", "4", "26.00"],
        ["BEANS", "Beans", "2", "25.80"],
        ["TOTE", "Tote", "1", "24.00"],
    ]
    # 7 units sold on the web, 1 back: 14.29 %.
    assert await _report(store, "oms_orders.returns", day, day) == [["web", "7", "1", "14.29"]]
    # Nothing is out or below a minimum yet; BEANS (2 at MAIN) is once 2 are allocated.
    assert await _report(store, "oms_inventory.low_stock", day, day) == [
        ["BEANS", "MAIN", "2", "0", None]
    ]
