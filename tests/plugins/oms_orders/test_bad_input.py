"""Bad input gets a typed error and changes nothing: no half-written order, no stock taken."""

from __future__ import annotations

from typing import Any

import pytest
from orders_store import Store


def place_input(*lines: dict[str, Any], **fields: Any) -> dict[str, Any]:
    return {"idempotencyKey": "bad-1", "email": "ada@example.com", "lines": list(lines), **fields}


@pytest.mark.parametrize(
    ("input", "code", "field"),
    [
        (place_input(), "EMPTY_ORDER", ["lines"]),
        (place_input({"sku": "NOPE", "quantity": 1}), "UNKNOWN_SKU", ["lines", "0", "sku"]),
        (place_input({"sku": "SOAP", "quantity": 0}), "INVALID_INPUT", ["lines", "0", "quantity"]),
        (
            place_input({"sku": "SOAP", "quantity": 1}, {"sku": "TOTE", "quantity": -2}),
            "INVALID_INPUT",
            ["lines", "1", "quantity"],
        ),
        (
            place_input({"sku": "SOAP", "quantity": 1}, {"sku": "SOAP", "quantity": 1}),
            "DUPLICATE_SKU",
            ["lines", "1", "sku"],
        ),
        (
            place_input({"sku": "SOAP", "quantity": 1, "unitPrice": "5.00"}),
            "PRICE_CHANGED",
            ["lines", "0", "unitPrice"],
        ),
        (
            place_input({"sku": "SOAP", "quantity": 1, "unitPrice": "6.505"}),
            "INVALID_INPUT",
            ["lines", "0", "unitPrice"],
        ),
        (place_input({"sku": "SOAP", "quantity": 1}, email="nobody"), "INVALID_INPUT", ["email"]),
        (
            place_input({"sku": "SOAP", "quantity": 1}, discount="7.00"),
            "INVALID_INPUT",
            ["discount"],
        ),
        (
            place_input({"sku": "SOAP", "quantity": 1}, shipping="-1"),
            "INVALID_INPUT",
            ["shipping"],
        ),
        (
            place_input({"sku": "SOAP", "quantity": 1}, idempotencyKey=" "),
            "INVALID_INPUT",
            ["idempotencyKey"],
        ),
        (
            place_input(
                {"sku": "SOAP", "quantity": 1},
                shippingAddress={"line1": "1 Road", "city": "Leeds", "country": "England"},
            ),
            "INVALID_INPUT",
            ["shippingAddress", "country"],
        ),
    ],
)
async def test_placing_a_bad_order_changes_nothing(
    store: Store, input: dict[str, Any], code: str, field: list[str]
) -> None:
    before = await store.snapshot()
    error = await store.fails("placeOrder", input, code)
    assert error["field"] == field, error
    assert await store.snapshot() == before


async def test_not_enough_stock_takes_nothing_from_any_line(store: Store) -> None:
    before = await store.snapshot()
    error = await store.fails(
        "placeOrder",
        place_input({"sku": "SOAP", "quantity": 2}, {"sku": "BEANS", "quantity": 3}),
        "INSUFFICIENT_STOCK",
    )
    assert (error["sku"], error["availableQuantity"]) == ("BEANS", 2)
    assert error["field"] == ["lines", "1", "quantity"]
    assert await store.snapshot() == before
    # The order number was not used up either: the next order is still 1001.
    order = await store.place("ok-1", ("BEANS", 2))
    assert order["number"] == "1001"


async def test_fulfilling_more_than_ordered_or_before_confirmation(store: Store) -> None:
    order = await store.place("f-1", ("SOAP", 2))
    before = await store.snapshot()
    await store.fails("fulfillOrder", {"order": order["id"]}, "INVALID_TRANSITION")
    assert await store.snapshot() == before

    await store.ok("confirmOrder", {"order": order["id"]})
    before = await store.snapshot()
    error = await store.fails(
        "fulfillOrder",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 3}]},
        "OVER_FULFILMENT",
    )
    assert error["sku"] == "SOAP"
    await store.fails(
        "fulfillOrder",
        {"order": order["id"], "lines": [{"sku": "TOTE", "quantity": 1}]},
        "NOT_FOUND",
    )
    await store.fails(
        "fulfillOrder",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 0}]},
        "INVALID_INPUT",
    )
    # Stock sits at MAIN only: shipping it from elsewhere is refused by the ledger.
    await store.fails("fulfillOrder", {"order": order["id"], "location": "NOWHERE"}, "NOT_FOUND")
    assert await store.snapshot() == before


@pytest.mark.parametrize(
    ("mutation", "status"),
    [("confirmOrder", "CANCELED"), ("cancelOrder", "CANCELED"), ("confirmOrder", "CONFIRMED")],
)
async def test_invalid_transitions_are_typed_errors(
    store: Store, mutation: str, status: str
) -> None:
    order = await store.place("t-1", ("SOAP", 1), confirm=True)
    if status == "CANCELED":
        await store.ok("cancelOrder", {"order": order["id"]})
    before = await store.snapshot()
    error = await store.fails(mutation, {"order": order["id"]}, "INVALID_TRANSITION")
    assert error["field"] == ["order"]
    assert await store.snapshot() == before


async def test_returns_beyond_what_shipped_are_refused(store: Store) -> None:
    order = await store.place("rt-1", ("SOAP", 2), ("TOTE", 1), confirm=True)
    before = await store.snapshot()
    await store.fails(  # nothing shipped yet
        "requestReturn",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}]},
        "INVALID_TRANSITION",
    )
    assert await store.snapshot() == before
    await store.ok("fulfillOrder", {"order": order["id"]})
    await store.ok(
        "requestReturn", {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}]}
    )
    before = await store.snapshot()
    # One SOAP is already on an open return: only one more may be asked back.
    error = await store.fails(
        "requestReturn",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 2}]},
        "OVER_RETURN",
    )
    assert error["field"] == ["lines", "0", "quantity"]
    assert await store.snapshot() == before


async def test_ids_of_another_type_or_garbage_are_not_found(store: Store) -> None:
    order = await store.place("id-1", ("SOAP", 1), customerName="Ada")
    customer_id = order["customer"]["id"]
    before = await store.snapshot()
    for bad in (customer_id, "garbage", "T3JkZXI6OTk5OTk5"):  # the last: Order:999999
        await store.fails("confirmOrder", {"order": bad}, "NOT_FOUND")
    assert await store.snapshot() == before


async def test_a_payment_in_the_wrong_shape_is_refused(store: Store) -> None:
    order = await store.place("pay-1", ("SOAP", 1))
    before = await store.snapshot()
    for amount in ("0", "-1.00", "1.234"):
        await store.fails(
            "recordOrderPayment",
            {"order": order["id"], "amount": amount, "method": "cash"},
            "INVALID_INPUT",
        )
    await store.fails(
        "recordOrderPayment", {"order": order["id"], "amount": "7.00", "method": "cash"},
        "OVERPAYMENT",
    )  # fmt: skip
    await store.fails(
        "refundOrder", {"order": order["id"], "amount": "1.00"}, "REFUND_EXCEEDS_PAID"
    )
    assert await store.snapshot() == before
