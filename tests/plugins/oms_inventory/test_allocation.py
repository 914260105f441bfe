"""Allocating an order's lines across locations: all or nothing, by strategy; release, ship."""

from __future__ import annotations

from typing import Any

import pytest


def taken(payload: dict[str, Any]) -> list[tuple[str, str, int]]:
    assert payload["errors"] == [], payload
    return [(t["sku"], t["location"], t["quantity"]) for t in payload["taken"]]


def refused(payload: dict[str, Any], code: str) -> dict[str, Any]:
    assert payload["taken"] == [], payload
    assert [e["code"] for e in payload["errors"]] == [code], payload
    return payload["errors"][0]


@pytest.fixture
async def store(shop: Any) -> Any:
    """SOAP-1 and TOTE-1; locations FRONT (priority 5), MAIN (10) and BACK (20)."""
    await shop.product("Soap", ("SOAP-1", "6.50"))
    await shop.product("Tote", ("TOTE-1", "24.00"))
    await shop.location("BACK", priority=20)
    await shop.location("FRONT", priority=5)
    return shop


async def test_allocation_takes_units_and_records_them(store: Any) -> None:
    await store.receive("SOAP-1", 5)
    await store.receive("TOTE-1", 2)

    result = await store.allocate("ORDER-1", ("SOAP-1", 3), ("TOTE-1", 2))

    assert taken(result) == [("SOAP-1", "MAIN", 3), ("TOTE-1", "MAIN", 2)]
    assert await store.level("SOAP-1") == {"onHand": 5, "allocated": 3, "held": 0, "available": 2}
    assert await store.level("TOTE-1") == {"onHand": 2, "allocated": 2, "held": 0, "available": 0}
    movements = await store.movements(reference="ORDER-1")
    assert sorted((m["kind"], m["variant"]["sku"], m["allocatedDelta"]) for m in movements) == [
        ("ALLOCATION", "SOAP-1", 3),
        ("ALLOCATION", "TOTE-1", 2),
    ]
    assert all(m["onHandDelta"] == 0 for m in movements)
    await store.check_ledger()


async def test_allocation_is_all_or_nothing_across_lines(store: Any) -> None:
    await store.receive("SOAP-1", 5)
    await store.receive("TOTE-1", 1)
    snapshot = await store.snapshot()

    error = refused(
        await store.allocate("ORDER-1", ("SOAP-1", 3), ("TOTE-1", 2)), "INSUFFICIENT_STOCK"
    )

    assert error["field"] == ["lines", "1", "quantity"]
    assert (error["sku"], error["requestedQuantity"], error["availableQuantity"]) == (
        "TOTE-1",
        2,
        1,
    )
    # The first line's three soaps were given back with the rest of the transaction.
    assert await store.snapshot() == snapshot
    assert await store.level("SOAP-1") == {"onHand": 5, "allocated": 0, "held": 0, "available": 5}
    assert await store.movements(reference="ORDER-1") == []
    # The reference was not used up: the order can try again once there is stock.
    await store.receive("TOTE-1", 1)
    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 3), ("TOTE-1", 2))) == [
        ("SOAP-1", "MAIN", 3),
        ("TOTE-1", "MAIN", 2),
    ]
    await store.check_ledger()


async def test_the_same_sku_on_two_lines_counts_both(store: Any) -> None:
    await store.receive("SOAP-1", 3)
    snapshot = await store.snapshot()

    error = refused(
        await store.allocate("ORDER-1", ("SOAP-1", 2), ("SOAP-1", 2)), "INSUFFICIENT_STOCK"
    )

    assert error["field"] == ["lines", "1", "quantity"]
    assert error["availableQuantity"] == 1
    assert await store.snapshot() == snapshot
    await store.check_ledger()


async def test_priority_strategy_takes_the_lowest_priority_number_first(store: Any) -> None:
    for location, quantity in (("BACK", 10), ("MAIN", 4), ("FRONT", 2)):
        await store.receive("SOAP-1", quantity, location)

    # FRONT (5) is emptied first, then MAIN (10); BACK (20) is not touched.
    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 5))) == [
        ("SOAP-1", "FRONT", 2),
        ("SOAP-1", "MAIN", 3),
    ]
    assert taken(await store.allocate("ORDER-2", ("SOAP-1", 1))) == [("SOAP-1", "MAIN", 1)]
    assert taken(await store.allocate("ORDER-3", ("SOAP-1", 3))) == [("SOAP-1", "BACK", 3)]
    # Asking for more than all locations have together reports the total.
    error = refused(await store.allocate("ORDER-4", ("SOAP-1", 8)), "INSUFFICIENT_STOCK")
    assert error["availableQuantity"] == 7
    assert await store.check_ledger() == {
        ("SOAP-1", "FRONT"): (2, 2, 0),
        ("SOAP-1", "MAIN"): (4, 4, 0),
        ("SOAP-1", "BACK"): (10, 3, 0),
    }


async def test_most_stock_strategy_takes_from_the_fullest_location_first(store: Any) -> None:
    settings = await store.settings(strategy="MOST_STOCK")
    assert settings == {"strategy": "MOST_STOCK", "allowSplit": True, "holdMinutes": 15}
    data = await store.query("{ inventorySettings { strategy allowSplit holdMinutes } }")
    assert data["inventorySettings"] == settings
    for location, quantity in (("FRONT", 3), ("MAIN", 4), ("BACK", 9)):
        await store.receive("SOAP-1", quantity, location)

    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 3))) == [("SOAP-1", "BACK", 3)]
    # BACK 6, MAIN 4, FRONT 3: seven come from BACK, then MAIN.
    assert taken(await store.allocate("ORDER-2", ("SOAP-1", 7))) == [
        ("SOAP-1", "BACK", 6),
        ("SOAP-1", "MAIN", 1),
    ]
    # MAIN 3 and FRONT 3 tie: the lower priority number breaks it.
    assert taken(await store.allocate("ORDER-3", ("SOAP-1", 1))) == [("SOAP-1", "FRONT", 1)]
    await store.check_ledger()


async def test_without_splitting_one_location_must_hold_the_whole_line(store: Any) -> None:
    await store.settings(allowSplit=False)
    await store.receive("SOAP-1", 4, "MAIN")
    await store.receive("SOAP-1", 3, "BACK")
    snapshot = await store.snapshot()

    # Seven in total, but no single location has five.
    error = refused(await store.allocate("ORDER-1", ("SOAP-1", 5)), "INSUFFICIENT_STOCK")

    assert (error["requestedQuantity"], error["availableQuantity"]) == (5, 4)
    assert await store.snapshot() == snapshot
    # MAIN (priority 10) can take four whole.
    assert taken(await store.allocate("ORDER-2", ("SOAP-1", 4))) == [("SOAP-1", "MAIN", 4)]
    # MAIN is empty now; BACK takes the next line whole rather than in part from MAIN.
    await store.receive("SOAP-1", 2, "MAIN")
    assert taken(await store.allocate("ORDER-3", ("SOAP-1", 3))) == [("SOAP-1", "BACK", 3)]
    assert await store.check_ledger() == {
        ("SOAP-1", "MAIN"): (6, 4, 0),
        ("SOAP-1", "BACK"): (3, 3, 0),
    }


async def test_settings_refuse_unknown_values(store: Any) -> None:
    result = await store.request(
        "mutation { updateInventorySettings(input: {strategy: CHEAPEST}) { errors { code } } }"
    )
    assert result.errors and result.data is None
    payload = await store.send("updateInventorySettings", {"holdMinutes": 0})
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [
        ("INVALID_INPUT", ["holdMinutes"])
    ]
    data = await store.query("{ inventorySettings { strategy allowSplit holdMinutes } }")
    assert data["inventorySettings"] == {
        "strategy": "PRIORITY", "allowSplit": True, "holdMinutes": 15,
    }  # fmt: skip
    await store.check_ledger()


async def test_release_gives_the_units_back(store: Any) -> None:
    await store.receive("SOAP-1", 2, "FRONT")
    await store.receive("SOAP-1", 5, "MAIN")
    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 4))) == [
        ("SOAP-1", "FRONT", 2),
        ("SOAP-1", "MAIN", 2),
    ]

    payload = await store.ok("releaseAllocation", {"reference": "ORDER-1"})

    assert payload["released"] == 4
    assert await store.available("SOAP-1") == 7
    assert await store.level("SOAP-1", "FRONT") == {
        "onHand": 2, "allocated": 0, "held": 0, "available": 2,
    }  # fmt: skip
    movements = await store.movements(reference="ORDER-1")
    assert sorted((m["kind"], m["location"]["code"], m["allocatedDelta"]) for m in movements) == [
        ("ALLOCATION", "FRONT", 2),
        ("ALLOCATION", "MAIN", 2),
        ("RELEASE", "FRONT", -2),
        ("RELEASE", "MAIN", -2),
    ]
    # Releasing again gives back nothing more.
    assert (await store.ok("releaseAllocation", {"reference": "ORDER-1"}))["released"] == 0
    # Someone else can have them now.
    assert taken(await store.allocate("ORDER-2", ("SOAP-1", 7))) != []
    await store.check_ledger()


async def test_ship_reduces_on_hand_and_allocated_in_parts(store: Any) -> None:
    await store.receive("SOAP-1", 10)
    await store.receive("TOTE-1", 4)
    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 6), ("TOTE-1", 3))) != []

    first = await store.ok("shipStock", {"reference": "ORDER-1", "lines": [
        {"sku": "SOAP-1", "quantity": 2},
    ]})  # fmt: skip

    assert taken(first) == [("SOAP-1", "MAIN", 2)]
    assert await store.level("SOAP-1") == {"onHand": 8, "allocated": 4, "held": 0, "available": 4}
    assert await store.level("TOTE-1") == {"onHand": 4, "allocated": 3, "held": 0, "available": 1}

    # More than is still allocated is refused, and nothing ships.
    snapshot = await store.snapshot()
    payload = await store.send("shipStock", {"reference": "ORDER-1", "lines": [
        {"sku": "TOTE-1", "quantity": 1}, {"sku": "SOAP-1", "quantity": 5},
    ]})  # fmt: skip
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("INVALID_INPUT", ["lines"])]
    assert await store.snapshot() == snapshot

    # Without lines: everything still allocated.
    rest = await store.ok("shipStock", {"reference": "ORDER-1"})
    assert sorted(taken(rest)) == [("SOAP-1", "MAIN", 4), ("TOTE-1", "MAIN", 3)]
    assert await store.level("SOAP-1") == {"onHand": 4, "allocated": 0, "held": 0, "available": 4}
    assert await store.level("TOTE-1") == {"onHand": 1, "allocated": 0, "held": 0, "available": 1}
    shipments = [m for m in await store.movements(reference="ORDER-1") if m["kind"] == "SHIPMENT"]
    deltas = [(m["variant"]["sku"], m["onHandDelta"], m["allocatedDelta"]) for m in shipments]
    assert sorted(deltas) == [
        ("SOAP-1", -4, -4), ("SOAP-1", -2, -2), ("TOTE-1", -3, -3),
    ]  # fmt: skip
    # Nothing is left to ship or to release.
    assert taken(await store.ok("shipStock", {"reference": "ORDER-1"})) == []
    assert (await store.ok("releaseAllocation", {"reference": "ORDER-1"}))["released"] == 0
    await store.check_ledger()


async def test_ship_from_one_location_of_a_split_order(store: Any) -> None:
    await store.receive("SOAP-1", 2, "FRONT")
    await store.receive("SOAP-1", 5, "MAIN")
    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 4))) == [
        ("SOAP-1", "FRONT", 2),
        ("SOAP-1", "MAIN", 2),
    ]

    shipped = await store.ok("shipStock", {"reference": "ORDER-1", "location": "MAIN"})

    assert taken(shipped) == [("SOAP-1", "MAIN", 2)]
    assert await store.level("SOAP-1", "FRONT") == {
        "onHand": 2, "allocated": 2, "held": 0, "available": 0,
    }  # fmt: skip
    # Releasing the order now gives back only what did not ship.
    assert (await store.ok("releaseAllocation", {"reference": "ORDER-1"}))["released"] == 2
    assert await store.check_ledger() == {
        ("SOAP-1", "FRONT"): (2, 0, 0),
        ("SOAP-1", "MAIN"): (3, 0, 0),
    }


async def test_a_reference_is_allocated_once(store: Any) -> None:
    await store.receive("SOAP-1", 10)
    assert taken(await store.allocate("ORDER-1", ("SOAP-1", 2))) != []
    snapshot = await store.snapshot()

    error = refused(await store.allocate("ORDER-1", ("SOAP-1", 1)), "CONFLICT")

    assert error["field"] == ["reference"]
    assert await store.snapshot() == snapshot
    await store.check_ledger()


async def test_an_allocation_needs_a_reference_and_lines(store: Any) -> None:
    await store.receive("SOAP-1", 10)
    snapshot = await store.snapshot()

    assert refused(await store.allocate(" ", ("SOAP-1", 1)), "INVALID_INPUT")["field"] == [
        "reference"
    ]
    assert refused(await store.allocate("ORDER-1"), "INVALID_INPUT")["field"] == ["lines"]
    assert await store.snapshot() == snapshot
    await store.check_ledger()


async def test_a_sku_never_received_here_is_insufficient_not_missing(store: Any) -> None:
    error = refused(await store.allocate("ORDER-1", ("SOAP-1", 1)), "INSUFFICIENT_STOCK")
    assert error["availableQuantity"] == 0
    await store.check_ledger()
