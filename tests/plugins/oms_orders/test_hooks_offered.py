"""The hooks oms_orders offers: called in the order's transaction, with a snapshot, in order;
a DomainError raised by a listener refuses the change and nothing is written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from orders_store import Store

from core import hookimpl
from core.errors import DomainError
from core.testing import ConciergeTestKit
from plugins.oms_orders.service.errors import OrderErrorCode


class Listener:
    """What a loyalty or notification plugin would implement."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.refuse_email: str | None = None

    @hookimpl
    def oms_orders_order_placed(self, session, order, clock) -> None:
        if order.email == self.refuse_email:
            raise DomainError(OrderErrorCode.INVALID_INPUT, "blocked by the fraud check")
        self.calls.append(("placed", order.number, order.status, order.total_minor))

    @hookimpl
    def oms_orders_status_changed(self, order, from_status, to_status, actor) -> None:
        self.calls.append(("status", order.number, from_status, to_status))

    @hookimpl
    async def oms_orders_order_fulfilled(self, order, fulfillment) -> None:
        self.calls.append(("fulfilled", order.number, fulfillment.carrier, fulfillment.lines))

    @hookimpl
    def oms_orders_order_canceled(self, order, reason) -> None:
        self.calls.append(("canceled", order.number, reason))

    @hookimpl
    def oms_orders_order_returned(self, order, order_return) -> None:
        self.calls.append(("returned", order.number, order_return.lines))


@pytest.fixture
def listener(concierge: ConciergeTestKit) -> Iterator[Listener]:
    """A listener registered with the plugin manager for one test (an installed plugin
    that every property runs)."""
    listener = Listener()
    manager = concierge.runtime.host.manager
    manager.register(listener, name="order-listener")
    try:
        yield listener
    finally:
        manager.unregister(listener)


async def test_each_hook_is_called_with_the_order_as_it_is_then(
    store: Store, listener: Listener
) -> None:
    order = await store.place("h-1", ("SOAP", 2), ("TOTE", 1))
    await store.ok("confirmOrder", {"order": order["id"]})
    await store.ok(
        "fulfillOrder",
        {"order": order["id"], "carrier": "DHL", "lines": [{"sku": "SOAP", "quantity": 2}]},
    )
    await store.ok("fulfillOrder", {"order": order["id"]})
    requested = await store.ok(
        "requestReturn", {"order": order["id"], "lines": [{"sku": "TOTE", "quantity": 1}]}
    )
    await store.ok(
        "receiveReturn",
        {"orderReturn": requested["order"]["returns"][0]["id"], "location": "MAIN",
         "lines": [{"sku": "TOTE", "restock": False}]},
    )  # fmt: skip
    canceled = await store.place("h-2", ("BEANS", 1))
    await store.ok("cancelOrder", {"order": canceled["id"], "reason": "duplicate"})

    assert listener.calls == [
        ("placed", "1001", "unconfirmed", 3700),
        ("status", "1001", "unconfirmed", "confirmed"),
        ("status", "1001", "confirmed", "partially_fulfilled"),
        ("fulfilled", "1001", "DHL", (("SOAP", 2),)),
        ("status", "1001", "partially_fulfilled", "fulfilled"),
        ("fulfilled", "1001", "", (("TOTE", 1),)),
        ("status", "1001", "fulfilled", "partially_returned"),
        ("returned", "1001", (("TOTE", 1, False),)),
        ("placed", "1002", "unconfirmed", 1290),
        ("status", "1002", "unconfirmed", "canceled"),
        ("canceled", "1002", "duplicate"),
    ]


async def test_a_listener_refusing_an_order_leaves_nothing_behind(
    store: Store, listener: Listener
) -> None:
    listener.refuse_email = "fraud@example.com"
    before = await store.snapshot()
    error = await store.fails(
        "placeOrder",
        {"idempotencyKey": "f-1", "email": "fraud@example.com",
         "lines": [{"sku": "SOAP", "quantity": 1}]},
        "INVALID_INPUT",
    )  # fmt: skip
    assert error["message"] == "blocked by the fraud check"
    assert await store.snapshot() == before  # no order, no customer, no stock taken
    assert listener.calls == []


async def test_orders_on_a_property_without_inventory_are_announced_too(
    make_store: Any, listener: Listener
) -> None:
    store = await make_store("solo-shop", inventory=False)
    await store.place("x-1", ("MUG", 1, "3.00"), confirm=True)
    assert listener.calls == [
        ("placed", "1001", "unconfirmed", 300),
        ("status", "1001", "unconfirmed", "confirmed"),
    ]
