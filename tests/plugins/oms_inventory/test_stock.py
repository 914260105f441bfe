"""Receiving, adjusting and transferring stock; bad input is refused with nothing changed."""

from __future__ import annotations

from typing import Any

import pytest


@pytest.fixture
async def soap(shop: Any) -> Any:
    """The shop with SOAP-1 (no stock yet) and a second location, BACK."""
    await shop.product("Soap", ("SOAP-1", "6.50"))
    await shop.location("BACK", priority=20)
    return shop


async def test_locations_list_the_seeded_main_room_first(soap: Any) -> None:
    data = await soap.query("{ locations { code name priority active } }")
    assert data["locations"] == [
        {"code": "MAIN", "name": "Main stock room", "priority": 10, "active": True},
        {"code": "BACK", "name": "BACK room", "priority": 20, "active": True},
    ]
    snapshot = await soap.snapshot()
    error = await soap.fails("createLocation", {"code": "BACK", "name": "Again"}, "CONFLICT")
    assert error["field"] == ["code"]
    error = await soap.fails("createLocation", {"code": "a b", "name": "x"}, "INVALID_INPUT")
    assert error["field"] == ["code"]
    assert await soap.snapshot() == snapshot
    await soap.check_ledger()


async def test_receive_stock_adds_on_hand_through_the_ledger(soap: Any) -> None:
    clerk = await soap.kit.user(soap.tenant, "clerk@acme.example", role="warehouse")
    payload = await soap.ok(
        "receiveStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": 10, "reference": "DELIVERY-1"},
        token=await soap.kit.token_for(clerk),
    )
    level = payload["stockLevel"]
    del level["id"]
    assert level == {
        "onHand": 10, "allocated": 0, "held": 0, "available": 10,
        "variant": {"sku": "SOAP-1"}, "location": {"code": "MAIN"},
    }  # fmt: skip

    await soap.receive("SOAP-1", 5)
    await soap.receive("SOAP-1", 2, "BACK")

    assert await soap.level("SOAP-1") == {"onHand": 15, "allocated": 0, "held": 0, "available": 15}
    assert await soap.level("SOAP-1", "BACK") == {
        "onHand": 2, "allocated": 0, "held": 0, "available": 2,
    }  # fmt: skip
    assert await soap.available("SOAP-1") == 17
    movements = await soap.movements(sku="SOAP-1", location="MAIN")
    assert [(m["kind"], m["onHandDelta"], m["reference"]) for m in movements] == [
        ("RECEIPT", 5, None),
        ("RECEIPT", 10, "DELIVERY-1"),
    ]
    # Who did it: the clerk, then the owner (the kit's default token).
    assert movements[1]["actor"] == f"user:{clerk.id}"
    assert movements[0]["actor"].startswith("user:")
    assert movements[0]["actor"] != movements[1]["actor"]
    assert [m["reference"] for m in await soap.movements(reference="DELIVERY-1")] == ["DELIVERY-1"]
    assert await soap.check_ledger() == {
        ("SOAP-1", "MAIN"): (15, 0, 0),
        ("SOAP-1", "BACK"): (2, 0, 0),
    }


async def test_adjust_stock_needs_a_reason_and_records_it(soap: Any) -> None:
    await soap.receive("SOAP-1", 10)
    snapshot = await soap.snapshot()

    error = await soap.fails(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": -2, "reason": "  "},
        "INVALID_INPUT",
    )
    assert error["field"] == ["reason"]
    error = await soap.fails(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": 0, "reason": "count"},
        "INVALID_INPUT",
    )
    assert error["field"] == ["quantity"]
    assert await soap.snapshot() == snapshot

    payload = await soap.ok(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": -3, "reason": "two broken, one lost"},
    )
    assert payload["stockLevel"]["onHand"] == 7
    payload = await soap.ok(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": 1, "reason": "found behind a shelf"},
    )
    assert payload["stockLevel"]["onHand"] == 8

    movements = await soap.movements(sku="SOAP-1")
    assert [(m["kind"], m["onHandDelta"], m["reason"]) for m in movements[:2]] == [
        ("ADJUSTMENT", 1, "found behind a shelf"),
        ("ADJUSTMENT", -3, "two broken, one lost"),
    ]
    assert await soap.check_ledger() == {("SOAP-1", "MAIN"): (8, 0, 0)}


async def test_adjust_below_zero_or_below_allocated_is_insufficient_stock(soap: Any) -> None:
    await soap.receive("SOAP-1", 7)
    snapshot = await soap.snapshot()

    error = await soap.fails(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": -8, "reason": "count"},
        "INSUFFICIENT_STOCK",
    )
    assert (error["sku"], error["requestedQuantity"], error["availableQuantity"]) == (
        "SOAP-1",
        8,
        7,
    )
    assert error["field"] == ["quantity"]
    assert await soap.snapshot() == snapshot

    # Five of the seven are promised to an order: only two may be written off.
    assert (await soap.allocate("ORDER-1", ("SOAP-1", 5)))["errors"] == []
    snapshot = await soap.snapshot()
    error = await soap.fails(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": -3, "reason": "count"},
        "INSUFFICIENT_STOCK",
    )
    assert (error["requestedQuantity"], error["availableQuantity"]) == (3, 2)
    assert await soap.snapshot() == snapshot
    assert await soap.level("SOAP-1") == {"onHand": 7, "allocated": 5, "held": 0, "available": 2}

    await soap.ok(
        "adjustStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": -2, "reason": "count"}
    )
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 5, "held": 0, "available": 0}
    # A level nobody ever received into cannot be taken below zero either, and the
    # refusal does not leave an empty level behind.
    snapshot = await soap.snapshot()
    error = await soap.fails(
        "adjustStock",
        {"sku": "SOAP-1", "location": "BACK", "quantity": -1, "reason": "count"},
        "INSUFFICIENT_STOCK",
    )
    assert error["availableQuantity"] == 0
    assert await soap.snapshot() == snapshot
    assert await soap.check_ledger() == {("SOAP-1", "MAIN"): (5, 5, 0)}


async def test_transfer_moves_units_between_locations(soap: Any) -> None:
    await soap.receive("SOAP-1", 10)

    payload = await soap.ok(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "BACK", "quantity": 4},
    )

    assert payload["fromLevel"]["location"] == {"code": "MAIN"}
    assert (payload["fromLevel"]["onHand"], payload["fromLevel"]["available"]) == (6, 6)
    assert payload["toLevel"]["location"] == {"code": "BACK"}
    assert (payload["toLevel"]["onHand"], payload["toLevel"]["available"]) == (4, 4)
    assert await soap.available("SOAP-1") == 10
    movements = await soap.movements(sku="SOAP-1")
    assert [(m["kind"], m["location"]["code"], m["onHandDelta"]) for m in movements[:2]] == [
        ("TRANSFER_IN", "BACK", 4),
        ("TRANSFER_OUT", "MAIN", -4),
    ]
    assert {m["reference"] for m in movements[:2]} == {"transfer:MAIN->BACK"}

    # And back again, all of it.
    await soap.ok(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "BACK", "toLocation": "MAIN", "quantity": 4},
    )
    assert await soap.check_ledger() == {
        ("SOAP-1", "MAIN"): (10, 0, 0),
        ("SOAP-1", "BACK"): (0, 0, 0),
    }


async def test_transfer_refusals_change_nothing(soap: Any) -> None:
    await soap.receive("SOAP-1", 10)
    assert (await soap.allocate("ORDER-1", ("SOAP-1", 6)))["errors"] == []
    snapshot = await soap.snapshot()

    error = await soap.fails(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "MAIN", "quantity": 1},
        "SAME_LOCATION",
    )
    assert error["field"] == ["toLocation"]
    # Allocated units stay where the order expects them: only four may leave.
    error = await soap.fails(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "BACK", "quantity": 5},
        "INSUFFICIENT_STOCK",
    )
    assert (error["sku"], error["requestedQuantity"], error["availableQuantity"]) == (
        "SOAP-1",
        5,
        4,
    )
    error = await soap.fails(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "ATTIC", "quantity": 1},
        "NOT_FOUND",
    )
    assert error["field"] == ["toLocation"]
    error = await soap.fails(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "ATTIC", "toLocation": "MAIN", "quantity": 1},
        "NOT_FOUND",
    )
    assert error["field"] == ["fromLocation"]
    assert await soap.snapshot() == snapshot
    assert await soap.level("SOAP-1") == {"onHand": 10, "allocated": 6, "held": 0, "available": 4}
    await soap.check_ledger()


@pytest.mark.parametrize("quantity", [0, -1])
async def test_zero_or_negative_quantities_are_invalid(soap: Any, quantity: int) -> None:
    await soap.receive("SOAP-1", 10)
    await soap.ok(
        "setReorderRule",
        {"sku": "SOAP-1", "location": "MAIN", "minimum": 1, "maximum": 2, "multiple": 1},
    )
    snapshot = await soap.snapshot()
    line = {"sku": "SOAP-1", "quantity": quantity}
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        ("receiveStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": quantity},
         ["quantity"]),
        ("transferStock", {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "BACK",
                           "quantity": quantity}, ["quantity"]),
        ("allocateStock", {"reference": "ORDER-1", "lines": [line]},
         ["lines", "0", "quantity"]),
        ("placeHold", {"key": "cart-1", **line}, ["quantity"]),
    ]  # fmt: skip
    if quantity == 0:
        cases.append(
            ("adjustStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": 0, "reason": "x"},
             ["quantity"])
        )  # fmt: skip
    for name, input, field in cases:
        error = await soap.fails(name, input, "INVALID_INPUT")
        assert error["field"] == field, (name, error)
    assert await soap.snapshot() == snapshot
    await soap.check_ledger()


async def test_unknown_sku_or_location_is_not_found(soap: Any) -> None:
    await soap.receive("SOAP-1", 10)
    snapshot = await soap.snapshot()
    cases: list[tuple[str, dict[str, Any], list[str]]] = [
        ("receiveStock", {"sku": "NOPE", "location": "MAIN", "quantity": 1}, ["sku"]),
        ("receiveStock", {"sku": "SOAP-1", "location": "ATTIC", "quantity": 1}, ["location"]),
        ("adjustStock", {"sku": "NOPE", "location": "MAIN", "quantity": 1, "reason": "x"},
         ["sku"]),
        ("adjustStock", {"sku": "SOAP-1", "location": "ATTIC", "quantity": 1, "reason": "x"},
         ["location"]),
        ("transferStock", {"sku": "NOPE", "fromLocation": "MAIN", "toLocation": "BACK",
                           "quantity": 1}, ["sku"]),
        ("allocateStock", {"reference": "ORDER-1", "lines": [
            {"sku": "SOAP-1", "quantity": 1}, {"sku": "NOPE", "quantity": 1}]},
         ["lines", "1", "sku"]),
        ("placeHold", {"key": "cart-1", "sku": "NOPE", "quantity": 1}, ["sku"]),
        ("setReorderRule", {"sku": "NOPE", "location": "MAIN", "minimum": 1, "maximum": 2},
         ["sku"]),
        ("setReorderRule", {"sku": "SOAP-1", "location": "ATTIC", "minimum": 1, "maximum": 2},
         ["location"]),
        ("releaseAllocation", {"reference": "NO-SUCH-ORDER"}, ["reference"]),
        ("shipStock", {"reference": "NO-SUCH-ORDER"}, ["reference"]),
    ]  # fmt: skip
    for name, input, field in cases:
        error = await soap.fails(name, input, "NOT_FOUND")
        assert error["field"] == field, (name, error)
    # The other tenant's SKU is just as unknown here.
    globex = await soap.kit.tenant("globex")
    other = await soap.kit.property(globex, "globex-shop", plugins=["oms_inventory"])
    result = await soap.kit.graphql(
        'mutation { createProduct(input: {name: "Theirs", variants: [{sku: "THEIRS-1",'
        ' price: "1"}]}) { errors { code } } }',
        property=other,
    )
    assert result.ok()["createProduct"]["errors"] == []
    error = await soap.fails(
        "receiveStock", {"sku": "THEIRS-1", "location": "MAIN", "quantity": 1}, "NOT_FOUND"
    )
    assert error["field"] == ["sku"]
    assert await soap.snapshot() == snapshot
    await soap.check_ledger()


async def test_stock_is_kept_per_property_while_the_catalog_is_shared(make_shop: Any) -> None:
    shop = await make_shop("acme-shop")
    outlet = await make_shop("acme-outlet", tenant=shop.tenant)
    await shop.product("Soap", ("SOAP-1", "6.50"))

    await shop.receive("SOAP-1", 10)
    await outlet.receive("SOAP-1", 3)

    assert await shop.available("SOAP-1") == 10
    assert await outlet.available("SOAP-1") == 3
    assert (await outlet.allocate("ORDER-1", ("SOAP-1", 4)))["errors"][0]["availableQuantity"] == 3
    assert await shop.check_ledger() == {("SOAP-1", "MAIN"): (10, 0, 0)}
    assert await outlet.check_ledger() == {("SOAP-1", "MAIN"): (3, 0, 0)}


async def test_stock_level_filters(soap: Any) -> None:
    await soap.product("Beans", ("BEANS-1", "12.90"))
    await soap.receive("SOAP-1", 4)
    await soap.receive("SOAP-1", 2, "BACK")
    await soap.receive("BEANS-1", 1)
    assert (await soap.allocate("ORDER-1", ("BEANS-1", 1)))["errors"] == []

    async def found(**filter: Any) -> list[tuple[str, str]]:
        data = await soap.query(
            "query($filter: StockLevelFilter) { stockLevels(filter: $filter) { totalCount"
            " edges { node { variant { sku } location { code } } } } }",
            {"filter": filter},
        )
        return sorted(
            (e["node"]["variant"]["sku"], e["node"]["location"]["code"])
            for e in data["stockLevels"]["edges"]
        )

    assert await found() == [("BEANS-1", "MAIN"), ("SOAP-1", "BACK"), ("SOAP-1", "MAIN")]
    assert await found(sku="SOAP-1") == [("SOAP-1", "BACK"), ("SOAP-1", "MAIN")]
    assert await found(location="MAIN") == [("BEANS-1", "MAIN"), ("SOAP-1", "MAIN")]
    assert await found(onlyAvailable=True) == [("SOAP-1", "BACK"), ("SOAP-1", "MAIN")]
    assert await found(sku="NOPE") == []
    data = await soap.query(
        '{ variants(filter: {sku: "SOAP-1"}) { edges { node { available'
        " stock { onHand location { code } } } } } }"
    )
    node = data["variants"]["edges"][0]["node"]
    assert node["available"] == 6
    assert sorted((s["location"]["code"], s["onHand"]) for s in node["stock"]) == [
        ("BACK", 2), ("MAIN", 4),
    ]  # fmt: skip
    await soap.check_ledger()
