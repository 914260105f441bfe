"""Reorder rules raise draft purchase orders; receiving them adds stock; stock events."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from core.clock import MovableClock
from plugins.oms_inventory.models import Location

PURCHASE_ORDERS = """
query($filter: PurchaseOrderFilter) {
  purchaseOrders(filter: $filter) {
    totalCount
    edges { node { number status location { code } lines { quantity received variant { sku } } } }
  }
}
"""


async def purchase_orders(shop: Any, status: str | None = None) -> list[dict[str, Any]]:
    filter = {"status": status} if status else None
    data = await shop.query(PURCHASE_ORDERS, {"filter": filter})
    return [edge["node"] for edge in data["purchaseOrders"]["edges"]]


def rule(sku: str, minimum: int, maximum: int, multiple: int = 1, location: str = "MAIN") -> Any:
    return {
        "sku": sku, "location": location, "minimum": minimum, "maximum": maximum,
        "multiple": multiple,
    }  # fmt: skip


async def location_id(shop: Any, code: str) -> int:
    """Events name the location by id."""
    async with shop.kit.transaction(shop.prop) as session:
        return await session.scalar(select(Location.id).where(Location.code == code))


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
async def tote(shop: Any) -> Any:
    await shop.product("Tote", ("TOTE-1", "24"))
    return shop


async def test_set_reorder_rule_checks_its_numbers(tote: Any) -> None:
    snapshot = await tote.snapshot()
    for bad, field in (
        (rule("TOTE-1", 10, 9), ["maximum"]),
        (rule("TOTE-1", -1, 5), ["minimum"]),
        (rule("TOTE-1", 1, 5, multiple=0), ["multiple"]),
    ):
        error = await tote.fails("setReorderRule", bad, "INVALID_INPUT")
        assert error["field"] == field
    assert await tote.snapshot() == snapshot

    await tote.receive("TOTE-1", 50)
    payload = await tote.ok("setReorderRule", rule("TOTE-1", 5, 20, 6))
    assert payload["reorderRule"] | {"id": None} == {
        "id": None, "minimum": 5, "maximum": 20, "multiple": 6,
        "variant": {"sku": "TOTE-1"}, "location": {"code": "MAIN"},
    }  # fmt: skip
    # Setting it again changes the one rule.
    payload = await tote.ok("setReorderRule", rule("TOTE-1", 4, 24, 12))
    data = await tote.query("{ reorderRules { minimum maximum multiple variant { sku } } }")
    assert data["reorderRules"] == [
        {"minimum": 4, "maximum": 24, "multiple": 12, "variant": {"sku": "TOTE-1"}}
    ]
    # Well stocked: no suggestion.
    assert await purchase_orders(tote) == []
    await tote.check_ledger()


async def test_falling_below_the_minimum_raises_one_draft_purchase_order(
    tote: Any, clock: MovableClock
) -> None:
    await tote.receive("TOTE-1", 12)
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=20, multiple=6))
    assert await purchase_orders(tote) == []

    # 12 -> 4 available: below 5. The forecast is 4, so 20 - 4 = 16, rounded up to 18.
    assert (await tote.allocate("ORDER-1", ("TOTE-1", 8)))["errors"] == []

    (order,) = await purchase_orders(tote)
    assert order == {
        "number": "PO-000001", "status": "DRAFT", "location": {"code": "MAIN"},
        "lines": [{"quantity": 18, "received": 0, "variant": {"sku": "TOTE-1"}}],
    }  # fmt: skip
    assert await tote.events("oms_inventory.reorder_suggested") == [
        {"purchase_order": "PO-000001", "sku": "TOTE-1", "quantity": 18, "forecast": 4}
    ]
    main_id = await location_id(tote, "MAIN")
    assert await tote.events("oms_inventory.stock_low") == [
        {"sku": "TOTE-1", "location_id": main_id, "available": 4, "minimum": 5}
    ]
    assert await tote.events("oms_inventory.stock_out") == []

    # Down to 0: out of stock, but the open draft is in the forecast (0 + 18), so no
    # second suggestion, and the stock was already low.
    assert (await tote.allocate("ORDER-2", ("TOTE-1", 4)))["errors"] == []
    assert await tote.events("oms_inventory.stock_out") == [
        {"sku": "TOTE-1", "location_id": main_id, "available": 0}
    ]
    assert len(await tote.events("oms_inventory.stock_low")) == 1
    assert len(await tote.events("oms_inventory.reorder_suggested")) == 1
    assert [o["lines"] for o in await purchase_orders(tote)] == [
        [{"quantity": 18, "received": 0, "variant": {"sku": "TOTE-1"}}]
    ]
    await tote.check_ledger()


async def test_receiving_a_purchase_order_in_parts(tote: Any, clock: MovableClock) -> None:
    await tote.receive("TOTE-1", 12)
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=20, multiple=6))
    assert (await tote.allocate("ORDER-1", ("TOTE-1", 8)))["errors"] == []
    (draft,) = await purchase_orders(tote)
    number = draft["number"]

    # A draft has not been sent to anyone: there is nothing to receive yet.
    snapshot = await tote.snapshot()
    error = await tote.fails(
        "receivePurchaseOrder",
        {"number": number, "lines": [{"sku": "TOTE-1", "quantity": 1}]},
        "INVALID_TRANSITION",
    )
    assert error["field"] == ["number"]
    assert await tote.snapshot() == snapshot

    clock.advance(hours=1)
    placed = (await tote.ok("placePurchaseOrder", {"number": number}))["purchaseOrder"]
    assert placed["status"] == "ORDERED"
    assert parse(placed["orderedAt"]) == clock.now()
    await tote.fails("placePurchaseOrder", {"number": number}, "INVALID_TRANSITION")

    received = (
        await tote.ok(
            "receivePurchaseOrder",
            {"number": number, "lines": [{"sku": "TOTE-1", "quantity": 10}]},
        )
    )["purchaseOrder"]
    assert received["status"] == "PARTIALLY_RECEIVED"
    assert received["receivedAt"] is None
    assert received["lines"] == [{"quantity": 18, "received": 10, "variant": {"sku": "TOTE-1"}}]
    assert await tote.level("TOTE-1") == {"onHand": 22, "allocated": 8, "held": 0, "available": 14}

    # Eight are still due: nine is too many, and nothing is booked.
    snapshot = await tote.snapshot()
    error = await tote.fails(
        "receivePurchaseOrder",
        {"number": number, "lines": [{"sku": "TOTE-1", "quantity": 9}]},
        "INVALID_INPUT",
    )
    assert error["field"] == ["lines", "0", "quantity"]
    for bad_quantity in (0, -1):
        await tote.fails(
            "receivePurchaseOrder",
            {"number": number, "lines": [{"sku": "TOTE-1", "quantity": bad_quantity}]},
            "INVALID_INPUT",
        )
    await tote.fails("receivePurchaseOrder", {"number": number, "lines": []}, "INVALID_INPUT")
    assert await tote.snapshot() == snapshot

    clock.advance(days=2)
    received = (
        await tote.ok(
            "receivePurchaseOrder",
            {"number": number, "lines": [{"sku": "TOTE-1", "quantity": 8}]},
        )
    )["purchaseOrder"]
    assert received["status"] == "RECEIVED"
    assert parse(received["receivedAt"]) == clock.now()
    assert await tote.level("TOTE-1") == {"onHand": 30, "allocated": 8, "held": 0, "available": 22}
    receipts = [m for m in await tote.movements(reference=number)]
    assert [(m["kind"], m["onHandDelta"]) for m in receipts] == [("RECEIPT", 8), ("RECEIPT", 10)]

    # Received in full: closed.
    await tote.fails(
        "receivePurchaseOrder",
        {"number": number, "lines": [{"sku": "TOTE-1", "quantity": 1}]},
        "INVALID_TRANSITION",
    )
    assert await purchase_orders(tote, status="RECEIVED") == [
        {"number": number, "status": "RECEIVED", "location": {"code": "MAIN"},
         "lines": [{"quantity": 18, "received": 18, "variant": {"sku": "TOTE-1"}}]},
    ]  # fmt: skip
    assert await purchase_orders(tote, status="DRAFT") == []

    # Once it is closed, falling below the minimum again raises a new suggestion:
    # 22 - 19 = 3 available, 20 - 3 = 17, rounded up to 18.
    await tote.ok(
        "adjustStock",
        {"sku": "TOTE-1", "location": "MAIN", "quantity": -19, "reason": "water damage"},
    )
    (draft,) = await purchase_orders(tote, status="DRAFT")
    assert draft["number"] == "PO-000002"
    assert draft["lines"] == [{"quantity": 18, "received": 0, "variant": {"sku": "TOTE-1"}}]
    await tote.check_ledger()


async def test_receiving_what_is_not_on_the_order_is_refused(tote: Any) -> None:
    await tote.product("Soap", ("SOAP-1", "6.50"))
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=1, maximum=4))
    (draft,) = await purchase_orders(tote)
    await tote.ok("placePurchaseOrder", {"number": draft["number"]})
    snapshot = await tote.snapshot()

    error = await tote.fails(
        "receivePurchaseOrder",
        {"number": draft["number"], "lines": [{"sku": "SOAP-1", "quantity": 1}]},
        "NOT_FOUND",
    )
    assert error["field"] == ["lines", "0", "sku"]
    # All lines or none: a good first line is not booked when the second is bad.
    await tote.fails(
        "receivePurchaseOrder",
        {"number": draft["number"], "lines": [
            {"sku": "TOTE-1", "quantity": 1}, {"sku": "TOTE-1", "quantity": 4},
        ]},
        "INVALID_INPUT",
    )  # fmt: skip
    error = await tote.fails(
        "receivePurchaseOrder",
        {"number": "PO-999999", "lines": [{"sku": "TOTE-1", "quantity": 1}]},
        "NOT_FOUND",
    )
    assert error["field"] == ["number"]
    await tote.fails("placePurchaseOrder", {"number": "PO-999999"}, "NOT_FOUND")
    assert await tote.snapshot() == snapshot
    await tote.check_ledger()


async def test_a_rule_set_below_the_minimum_suggests_at_once(tote: Any) -> None:
    await tote.receive("TOTE-1", 2)

    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=12, multiple=4))

    # Forecast 2: 12 - 2 = 10, rounded up to the multiple of 4: 12.
    (draft,) = await purchase_orders(tote)
    assert draft["lines"] == [{"quantity": 12, "received": 0, "variant": {"sku": "TOTE-1"}}]
    # Setting the rule again sees the draft in the forecast (2 + 12).
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=12, multiple=4))
    assert [o["lines"][0]["quantity"] for o in await purchase_orders(tote)] == [12]
    await tote.check_ledger()


async def test_skus_below_their_minimums_share_the_locations_draft(tote: Any) -> None:
    await tote.product("Soap", ("SOAP-1", "6.50"))
    await tote.location("BACK", priority=20)
    await tote.receive("TOTE-1", 10)
    await tote.receive("SOAP-1", 10)
    await tote.receive("SOAP-1", 10, "BACK")
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=10))
    await tote.ok("setReorderRule", rule("SOAP-1", minimum=5, maximum=10))
    await tote.ok("setReorderRule", rule("SOAP-1", minimum=5, maximum=10, location="BACK"))

    await tote.ok(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "BACK", "quantity": 7},
    )  # MAIN 3: below; BACK 17
    assert (await tote.allocate("ORDER-1", ("TOTE-1", 6)))["errors"] == []  # MAIN 4: below

    (draft,) = await purchase_orders(tote)
    assert draft["location"] == {"code": "MAIN"}
    assert sorted((line["variant"]["sku"], line["quantity"]) for line in draft["lines"]) == [
        ("SOAP-1", 7), ("TOTE-1", 6),
    ]  # fmt: skip
    # BACK is a location of its own: its drafts are its own.
    await tote.ok(
        "adjustStock",
        {"sku": "SOAP-1", "location": "BACK", "quantity": -16, "reason": "recount"},
    )  # BACK 1
    back = [o for o in await purchase_orders(tote) if o["location"]["code"] == "BACK"]
    assert [(o["number"], o["lines"][0]["quantity"]) for o in back] == [("PO-000002", 9)]
    await tote.check_ledger()


async def test_a_canceled_draft_leaves_the_forecast(tote: Any) -> None:
    await tote.receive("TOTE-1", 6)
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=10))
    assert (await tote.allocate("ORDER-1", ("TOTE-1", 2)))["errors"] == []  # 4: 10 - 4 = 6
    (draft,) = await purchase_orders(tote)

    canceled = await tote.ok("cancelPurchaseOrder", {"number": draft["number"]})
    assert canceled["purchaseOrder"]["status"] == "CANCELED"
    await tote.fails("placePurchaseOrder", {"number": draft["number"]}, "INVALID_TRANSITION")

    # The next drop sees no incoming stock: 3 available, 10 - 3 = 7.
    assert (await tote.allocate("ORDER-2", ("TOTE-1", 1)))["errors"] == []
    (new_draft,) = await purchase_orders(tote, status="DRAFT")
    assert new_draft["number"] == "PO-000002"
    assert new_draft["lines"][0]["quantity"] == 7
    await tote.check_ledger()


async def test_stock_out_events_without_a_rule(tote: Any) -> None:
    await tote.receive("TOTE-1", 3)
    await tote.location("BACK", priority=20)

    await tote.ok(
        "transferStock",
        {"sku": "TOTE-1", "fromLocation": "MAIN", "toLocation": "BACK", "quantity": 3},
    )

    main_id, back_id = await location_id(tote, "MAIN"), await location_id(tote, "BACK")
    assert await tote.events("oms_inventory.stock_out") == [
        {"sku": "TOTE-1", "location_id": main_id, "available": 0}
    ]
    await tote.ok("placeHold", {"key": "cart-1", "sku": "TOTE-1", "quantity": 3})
    assert [e["location_id"] for e in await tote.events("oms_inventory.stock_out")] == [
        main_id, back_id,
    ]  # fmt: skip
    # No rule, no low-stock events and no suggestions.
    assert await tote.events("oms_inventory.stock_low") == []
    assert await purchase_orders(tote) == []
    await tote.check_ledger()


async def test_a_partly_received_order_can_be_closed_short(tote: Any) -> None:
    await tote.receive("TOTE-1", 12)
    await tote.ok("setReorderRule", rule("TOTE-1", minimum=5, maximum=20, multiple=6))
    assert (await tote.allocate("ORDER-1", ("TOTE-1", 8)))["errors"] == []  # 4 left: order 18
    (draft,) = await purchase_orders(tote)
    number = draft["number"]
    await tote.ok("placePurchaseOrder", {"number": number})
    await tote.ok(
        "receivePurchaseOrder", {"number": number, "lines": [{"sku": "TOTE-1", "quantity": 10}]}
    )
    closed = await tote.ok("cancelPurchaseOrder", {"number": number})
    assert closed["purchaseOrder"]["status"] == "CANCELED"
    # What arrived stays on hand; the 8 never delivered no longer count as incoming.
    assert await tote.level("TOTE-1") == {"onHand": 22, "allocated": 8, "held": 0, "available": 14}
    assert (await tote.allocate("ORDER-2", ("TOTE-1", 10)))["errors"] == []  # 4 left
    (new_draft,) = await purchase_orders(tote, status="DRAFT")
    assert new_draft["lines"][0]["quantity"] == 18  # 20 - 4, rounded up to 6
    await tote.check_ledger()
