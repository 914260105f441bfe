"""Orders end to end through GraphQL: placed, paid, shipped, delivered, canceled, returned,
expired; retried with the same key; on a property without inventory."""

from __future__ import annotations

import datetime as dt

from orders_store import Store

from core.clock import MovableClock


def kinds(order: dict) -> list[str]:
    return [entry["kind"] for entry in order["timeline"]]


async def test_web_order_from_placement_to_delivered(store: Store) -> None:
    order = await store.place(
        "web-1", ("SOAP", 2), ("BEANS", 1), shipping="4.95", customerName="Ada Lovelace",
        shippingAddress={"name": "Ada", "line1": "1 Sea Road", "city": "Brighton", "country": "gb"},
    )  # fmt: skip
    assert order["number"] == "1001"
    assert (order["status"], order["paymentStatus"]) == ("UNCONFIRMED", "NOT_PAID")
    # Catalog prices, server-side totals: 2 x 6.50 + 12.90 + 4.95 shipping, no tax set.
    assert [(ln["sku"], ln["unitPrice"]["amount"]) for ln in order["lines"]] == [
        ("SOAP", "6.50"), ("BEANS", "12.90"),
    ]  # fmt: skip
    assert order["subtotal"]["amount"] == "25.90"
    assert order["total"] == {"amount": "30.85", "currency": "EUR"}
    assert order["stockAllocated"] is True
    assert order["customer"]["name"] == "Ada Lovelace"
    assert await store.level("SOAP") == {"onHand": 10, "allocated": 2, "available": 8}

    paid = await store.ok(
        "recordOrderPayment", {"order": order["id"], "amount": "30.85", "method": "card"}
    )
    assert (paid["order"]["status"], paid["order"]["paymentStatus"]) == ("CONFIRMED", "PAID")
    assert paid["order"]["balance"]["amount"] == "0.00"
    assert paid["order"]["expiresAt"] is None

    shipped = await store.ok(
        "fulfillOrder",
        {"order": order["id"], "carrier": "DHL", "trackingNumber": "JD0001", "location": "MAIN"},
    )
    assert shipped["order"]["status"] == "FULFILLED"
    assert shipped["fulfillment"]["lines"] == [
        {"sku": "SOAP", "quantity": 2}, {"sku": "BEANS", "quantity": 1},
    ]  # fmt: skip
    # The ledger records the shipment: out of on hand and out of allocated.
    assert await store.level("SOAP") == {"onHand": 8, "allocated": 0, "available": 8}
    assert ("SHIPMENT", -2, -2) in await store.ledger("order:1001")

    delivered = await store.ok(
        "markFulfillmentDelivered", {"fulfillment": shipped["fulfillment"]["id"]}
    )
    assert delivered["fulfillment"]["status"] == "DELIVERED"
    final = await store.order(order["id"])
    assert final["fulfillments"][0]["deliveredAt"] is not None
    assert kinds(final) == ["placed", "payment", "status_changed", "fulfilled", "status_changed",
                            "delivered"]  # fmt: skip
    assert all(entry["actor"].startswith("user:") for entry in final["timeline"])
    changes = await store.events("oms_orders.order_status_changed")
    assert [(e["from_status"], e["status"]) for e in changes] == [
        ("unconfirmed", "confirmed"), ("confirmed", "fulfilled"),
    ]  # fmt: skip
    assert [e["number"] for e in await store.events("oms_orders.order_placed")] == ["1001"]
    await store.assert_stock_matches_ledger()


async def test_partial_fulfilment_then_the_rest(store: Store) -> None:
    order = await store.place("p-1", ("TOTE", 3), ("SOAP", 1), confirm=True)
    assert order["status"] == "CONFIRMED"
    first = await store.ok(
        "fulfillOrder",
        {"order": order["id"], "lines": [{"sku": "TOTE", "quantity": 2}], "carrier": "UPS"},
    )
    assert first["order"]["status"] == "PARTIALLY_FULFILLED"
    by_sku = {ln["sku"]: ln for ln in first["order"]["lines"]}
    assert (by_sku["TOTE"]["fulfilledQuantity"], by_sku["TOTE"]["quantityToFulfill"]) == (2, 1)
    assert await store.level("TOTE") == {"onHand": 3, "allocated": 1, "available": 2}

    rest = await store.ok("fulfillOrder", {"order": order["id"]})  # everything left
    assert rest["order"]["status"] == "FULFILLED"
    assert rest["fulfillment"]["number"] == 2
    assert rest["fulfillment"]["lines"] == [
        {"sku": "TOTE", "quantity": 1}, {"sku": "SOAP", "quantity": 1},
    ]  # fmt: skip
    assert await store.level("TOTE") == {"onHand": 2, "allocated": 0, "available": 2}
    await store.assert_stock_matches_ledger()


async def test_cancel_releases_the_stock_and_a_shipped_line_cannot_be_canceled(
    store: Store,
) -> None:
    order = await store.place("c-1", ("BEANS", 2), confirm=True)
    assert await store.level("BEANS") == {"onHand": 2, "allocated": 2, "available": 0}
    canceled = await store.ok("cancelOrder", {"order": order["id"], "reason": "changed mind"})
    assert canceled["order"]["status"] == "CANCELED"
    assert canceled["order"]["closedAt"] is not None
    assert await store.level("BEANS") == {"onHand": 2, "allocated": 0, "available": 2}
    assert ("RELEASE", 0, -2) in await store.ledger("order:1001")
    canceled_events = await store.events("oms_orders.order_canceled")
    assert [e["reason"] for e in canceled_events] == ["changed mind"]

    shipped = await store.place("c-2", ("TOTE", 2), confirm=True)
    await store.ok(
        "fulfillOrder", {"order": shipped["id"], "lines": [{"sku": "TOTE", "quantity": 1}]}
    )
    before = await store.snapshot()
    error = await store.fails("cancelOrder", {"order": shipped["id"]}, "INVALID_TRANSITION")
    assert "shipped" in error["message"]
    assert await store.snapshot() == before
    await store.assert_stock_matches_ledger()


async def test_return_with_restock_write_off_and_refund(store: Store) -> None:
    order = await store.place("r-1", ("SOAP", 3), ("TOTE", 1), confirm=True)
    await store.ok(
        "recordOrderPayment", {"order": order["id"], "amount": "43.50", "method": "card"}
    )
    await store.ok("fulfillOrder", {"order": order["id"]})
    assert await store.level("SOAP") == {"onHand": 7, "allocated": 0, "available": 7}

    requested = await store.ok(
        "requestReturn",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 2}], "reason": "too many"},
    )
    assert requested["order"]["status"] == "FULFILLED"  # nothing is back yet
    (rma,) = requested["order"]["returns"]
    assert rma["status"] == "REQUESTED"
    assert rma["suggestedRefund"]["amount"] == "13.00"

    received = await store.ok(
        "receiveReturn",
        {"orderReturn": rma["id"], "location": "MAIN", "refund": "13.00",
         "lines": [{"sku": "SOAP", "restock": True}]},
    )  # fmt: skip
    order_after = received["order"]
    assert order_after["status"] == "PARTIALLY_RETURNED"
    assert order_after["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert order_after["refunded"]["amount"] == "13.00"
    assert order_after["returns"][0]["refund"]["amount"]["amount"] == "13.00"
    assert {ln["sku"]: ln["returnedQuantity"] for ln in order_after["lines"]} == {
        "SOAP": 2, "TOTE": 0,
    }  # fmt: skip
    # Restocked: back on hand at MAIN, through the ledger.
    assert await store.level("SOAP") == {"onHand": 9, "allocated": 0, "available": 9}

    # The rest comes back broken: written off, so the stock does not grow.
    second = await store.ok(
        "requestReturn",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1},
                                          {"sku": "TOTE", "quantity": 1}]},
    )  # fmt: skip
    rma2 = second["order"]["returns"][1]
    done = await store.ok(
        "receiveReturn",
        {"orderReturn": rma2["id"], "location": "MAIN",
         "lines": [{"sku": "SOAP", "restock": False}, {"sku": "TOTE", "restock": False}]},
    )  # fmt: skip
    assert done["order"]["status"] == "RETURNED"
    assert done["order"]["returns"][1]["lines"] == [
        {"sku": "SOAP", "quantity": 1, "restocked": False},
        {"sku": "TOTE", "quantity": 1, "restocked": False},
    ]
    assert await store.level("SOAP") == {"onHand": 9, "allocated": 0, "available": 9}
    assert [len(e["lines"]) for e in await store.events("oms_orders.order_returned")] == [1, 2]
    await store.assert_stock_matches_ledger()


async def test_an_unpaid_order_expires_and_releases_its_stock(
    store: Store, clock: MovableClock
) -> None:
    await store.ok("updateOrderSettings", {"unpaidExpiryMinutes": 30})
    unpaid = await store.place("e-1", ("TOTE", 4))
    paid = await store.place("e-2", ("SOAP", 1))
    confirmed = await store.place("e-3", ("BEANS", 1), confirm=True)
    await store.ok("recordOrderPayment", {"order": paid["id"], "amount": "6.50", "method": "cash"})
    assert unpaid["expiresAt"] is not None
    assert await store.level("TOTE") == {"onHand": 5, "allocated": 4, "available": 1}

    clock.advance(dt.timedelta(minutes=29))
    await store.kit.run_job("oms_orders.expire_unpaid_orders")
    assert (await store.order(unpaid["id"]))["status"] == "UNCONFIRMED"

    clock.advance(dt.timedelta(minutes=2))
    await store.kit.run_job("oms_orders.expire_unpaid_orders")
    expired = await store.order(unpaid["id"])
    assert expired["status"] == "EXPIRED"
    assert expired["timeline"][-1]["actor"] == "job:order_expiry"
    assert await store.level("TOTE") == {"onHand": 5, "allocated": 0, "available": 5}
    # Paid or confirmed orders do not expire.
    assert (await store.order(paid["id"]))["status"] == "CONFIRMED"
    assert (await store.order(confirmed["id"]))["status"] == "CONFIRMED"
    # Twice is harmless.
    before = await store.snapshot()
    await store.kit.run_job("oms_orders.expire_unpaid_orders")
    assert await store.snapshot() == before
    await store.assert_stock_matches_ledger()


async def test_the_same_idempotency_key_twice_makes_one_order(store: Store) -> None:
    input = {"idempotencyKey": "cart-77", "email": "ada@example.com",
             "lines": [{"sku": "SOAP", "quantity": 2}]}  # fmt: skip
    first = await store.ok("placeOrder", input)
    again = await store.ok("placeOrder", input)
    assert (first["created"], again["created"]) == (True, False)
    assert again["order"]["id"] == first["order"]["id"]
    assert await store.level("SOAP") == {"onHand": 10, "allocated": 2, "available": 8}
    assert len(await store.events("oms_orders.order_placed")) == 1

    before = await store.snapshot()
    changed = {**input, "lines": [{"sku": "SOAP", "quantity": 3}]}
    error = await store.fails("placeOrder", changed, "IDEMPOTENCY_KEY_REUSED")
    assert error["field"] == ["idempotencyKey"]
    assert await store.snapshot() == before


async def test_an_order_on_a_property_without_inventory(make_store) -> None:
    store = await make_store("solo-shop", inventory=False)
    await store.ok("updateOrderSettings", {"taxRate": 1900})
    order = await store.place(
        "s-1", ("MUG", 2, "9.99"), ("CARD", 1, "2.50"), discount="2.48", shipping="3.00"
    )
    # (19.98 + 2.50 - 2.48 + 3.00) = 23.00, tax 19 % = 4.37.
    assert order["subtotal"]["amount"] == "22.48"
    assert (order["tax"]["amount"], order["total"]["amount"]) == ("4.37", "27.37")
    assert order["stockAllocated"] is False
    assert [ln["name"] for ln in order["lines"]] == ["MUG", "CARD"]
    await store.ok("confirmOrder", {"order": order["id"]})
    shipped = await store.ok("fulfillOrder", {"order": order["id"], "carrier": "Royal Mail"})
    assert shipped["order"]["status"] == "FULFILLED"
    rma = await store.ok(
        "requestReturn", {"order": order["id"], "lines": [{"sku": "MUG", "quantity": 1}]}
    )
    received = await store.ok("receiveReturn", {"orderReturn": rma["order"]["returns"][0]["id"]})
    assert received["order"]["status"] == "PARTIALLY_RETURNED"
    # Without a catalog a line needs its price.
    error = await store.fails(
        "placeOrder",
        {
            "idempotencyKey": "s-2",
            "email": "a@example.com",
            "lines": [{"sku": "MUG", "quantity": 1}],
        },
        "INVALID_INPUT",
    )
    assert error["field"] == ["lines", "0", "unitPrice"]


async def test_a_free_order_is_paid_and_confirmed_at_once(store: Store) -> None:
    order = await store.place("free-1", ("SOAP", 1), discount="6.50")
    assert order["total"]["amount"] == "0.00"
    assert (order["status"], order["paymentStatus"]) == ("CONFIRMED", "PAID")
    assert order["expiresAt"] is None
    assert order["timeline"][-1]["detail"] == "nothing to pay"


async def test_numbers_take_the_prefix_and_a_prefix_cannot_end_in_a_digit(store: Store) -> None:
    await store.fails("updateOrderSettings", {"numberPrefix": "A1"}, "INVALID_INPUT")
    settings = await store.ok("updateOrderSettings", {"numberPrefix": "WEB-", "taxRate": 2000})
    assert settings["settings"] == {
        "numberPrefix": "WEB-", "nextNumber": 1001, "taxRate": 2000,
        "pricesIncludeTax": False, "unpaidExpiryMinutes": 60,
    }  # fmt: skip
    order = await store.place("pre-1", ("TOTE", 1))
    assert order["number"] == "WEB-1001"
    assert (order["tax"]["amount"], order["total"]["amount"]) == ("4.80", "28.80")
    # Prices that include the tax: the total is the catalog price, the tax is inside it.
    await store.ok("updateOrderSettings", {"pricesIncludeTax": True})
    order = await store.place("pre-2", ("TOTE", 1))
    assert order["number"] == "WEB-1002"
    assert (order["tax"]["amount"], order["total"]["amount"]) == ("4.00", "24.00")
