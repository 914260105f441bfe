"""The stock hooks other plugins call (hookspecs.py), called the way an order plugin would:
through the property's hook relay with call_first_optional, in the caller's transaction."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from core.events import record_event
from core.plugins import HookRelay, PluginHost, call_first_optional
from core.tenancy import enabled_plugins
from plugins.oms_inventory.service.errors import InsufficientStock, InventoryErrorCode

ACTOR = "plugin:oms_orders"


class OrderPlugin:
    """What an order plugin does: one transaction scoped to the property, its relay."""

    def __init__(self, shop: Any) -> None:
        self.shop = shop
        self.kit = shop.kit

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[tuple[AsyncSession, HookRelay]]:
        async with self.kit.transaction(self.shop.prop) as session:
            enabled = await enabled_plugins(session, self.shop.prop.id)
            yield session, self.kit.runtime.host.relay(enabled)

    async def call(self, session: AsyncSession, relay: HookRelay, hook: str, **kwargs: Any) -> Any:
        if hook != "oms_inventory_prices":
            kwargs.setdefault("actor", ACTOR)
            kwargs.setdefault("clock", self.kit.clock)
        return await call_first_optional(relay, hook, session=session, **kwargs)

    async def once(self, hook: str, **kwargs: Any) -> Any:
        """Call ``hook`` in a transaction of its own, committed."""
        async with self.transaction() as (session, relay):
            return await self.call(session, relay, hook, **kwargs)


@pytest.fixture
async def stocked(shop: Any) -> Any:
    await shop.product("Soap", ("SOAP-1", "6.50"), ("SOAP-2", "7.25"))
    await shop.location("BACK", priority=20)
    await shop.receive("SOAP-1", 3)
    await shop.receive("SOAP-1", 4, "BACK")
    await shop.receive("SOAP-2", 2)
    return shop


async def test_allocate_ship_and_release_through_the_hooks(stocked: Any) -> None:
    orders = OrderPlugin(stocked)

    taken = await orders.once(
        "oms_inventory_allocate",
        reference="ORDER-1", lines=[("SOAP-1", 5), ("SOAP-2", 1)], hold_key=None,
    )  # fmt: skip

    assert taken == [
        {"sku": "SOAP-1", "location": "MAIN", "quantity": 3},
        {"sku": "SOAP-1", "location": "BACK", "quantity": 2},
        {"sku": "SOAP-2", "location": "MAIN", "quantity": 1},
    ]
    assert await stocked.available("SOAP-1") == 2
    movements = await stocked.movements(reference="ORDER-1")
    assert {m["actor"] for m in movements} == {ACTOR}

    shipped = await orders.once(
        "oms_inventory_ship",
        reference="ORDER-1", lines=[("SOAP-1", 1)], location="BACK",
    )  # fmt: skip
    assert shipped == [{"sku": "SOAP-1", "location": "BACK", "quantity": 1}]
    assert await stocked.level("SOAP-1", "BACK") == {
        "onHand": 3, "allocated": 1, "held": 0, "available": 2,
    }  # fmt: skip

    released = await orders.once("oms_inventory_release", reference="ORDER-1")
    # Six were allocated (five soaps 1, one soap 2) and one shipped.
    assert released == 5
    assert await stocked.available("SOAP-1") == 6
    assert await stocked.available("SOAP-2") == 2
    assert await stocked.check_ledger() == {
        ("SOAP-1", "MAIN"): (3, 0, 0),
        ("SOAP-1", "BACK"): (3, 0, 0),
        ("SOAP-2", "MAIN"): (2, 0, 0),
    }


async def test_ship_everything_and_take_a_return(stocked: Any) -> None:
    orders = OrderPlugin(stocked)
    await orders.once(
        "oms_inventory_allocate", reference="ORDER-1", lines=[("SOAP-2", 2)], hold_key=None
    )

    shipped = await orders.once(
        "oms_inventory_ship", reference="ORDER-1", lines=None, location=None
    )

    assert shipped == [{"sku": "SOAP-2", "location": "MAIN", "quantity": 2}]
    assert await stocked.level("SOAP-2") == {"onHand": 0, "allocated": 0, "held": 0, "available": 0}
    # One comes back sellable, one broken.
    for restock in (True, False):
        assert await orders.once(
            "oms_inventory_return",
            sku="SOAP-2", location="MAIN", quantity=1, restock=restock, reference="RETURN-1",
        ) is True  # fmt: skip
    assert await stocked.level("SOAP-2") == {"onHand": 1, "allocated": 0, "held": 0, "available": 1}
    returns = await stocked.movements(reference="RETURN-1")
    assert sorted((m["kind"], m["onHandDelta"], m["reason"]) for m in returns) == [
        ("RETURN", 0, "written off: 1 returned unsellable"),
        ("RETURN", 1, None),
    ]
    await stocked.check_ledger()


async def test_prices_through_the_hook(stocked: Any) -> None:
    await stocked.ok("updateVariant", {"sku": "SOAP-2", "active": False})
    orders = OrderPlugin(stocked)

    prices = await orders.once("oms_inventory_prices", skus=["SOAP-1", "SOAP-2", "NOPE"])

    assert prices == {
        "SOAP-1": {"name": "Soap", "price_minor": 650, "currency": "EUR", "active": True},
        "SOAP-2": {"name": "Soap", "price_minor": 725, "currency": "EUR", "active": False},
    }
    assert await orders.once("oms_inventory_prices", skus=[]) == {}
    await stocked.check_ledger()


async def test_a_hold_becomes_the_order_through_the_hook(stocked: Any) -> None:
    await stocked.ok("placeHold", {"key": "cart-1", "sku": "SOAP-2", "quantity": 2})
    orders = OrderPlugin(stocked)

    taken = await orders.once(
        "oms_inventory_allocate", reference="ORDER-1", lines=[("SOAP-2", 2)], hold_key="cart-1"
    )

    assert taken == [{"sku": "SOAP-2", "location": "MAIN", "quantity": 2}]
    assert await stocked.level("SOAP-2") == {"onHand": 2, "allocated": 2, "held": 0, "available": 0}
    await stocked.check_ledger()


async def test_without_inventory_the_hooks_answer_none(make_shop: Any) -> None:
    hotel = await make_shop("acme-hotel", plugins=())
    orders = OrderPlugin(hotel)
    snapshot = await hotel.snapshot()

    async with orders.transaction() as (session, relay):
        calls: dict[str, dict[str, Any]] = {
            "oms_inventory_allocate": {"reference": "O-1", "lines": [("X", 1)], "hold_key": None},
            "oms_inventory_release": {"reference": "O-1"},
            "oms_inventory_ship": {"reference": "O-1", "lines": None, "location": None},
            "oms_inventory_return": {
                "sku": "X", "location": "MAIN", "quantity": 1, "restock": True, "reference": None,
            },
            "oms_inventory_prices": {"skus": ["X"]},
        }  # fmt: skip
        for hook, kwargs in calls.items():
            assert await orders.call(session, relay, hook, **kwargs) is None, hook

    assert await hotel.snapshot() == snapshot
    # An installation without the plugin at all: the hook is not even declared.
    bare = PluginHost([]).relay()
    assert not bare.declares("oms_inventory_allocate")
    assert await call_first_optional(bare, "oms_inventory_allocate", reference="O-1") is None


async def test_insufficient_stock_from_the_hook_rolls_back_the_callers_transaction(
    stocked: Any,
) -> None:
    orders = OrderPlugin(stocked)
    snapshot = await stocked.snapshot()

    with pytest.raises(InsufficientStock) as raised:
        async with orders.transaction() as (session, relay):
            # The order plugin writes its own rows and allocates a first order...
            record_event(session, "oms_orders.order_placed", {"number": "ORDER-1"},
                         clock=orders.kit.clock)  # fmt: skip
            first = await orders.call(
                session, relay, "oms_inventory_allocate",
                reference="ORDER-1", lines=[("SOAP-2", 2)], hold_key=None,
            )  # fmt: skip
            assert first == [{"sku": "SOAP-2", "location": "MAIN", "quantity": 2}]
            # ...then a second order's second line is short.
            await orders.call(
                session, relay, "oms_inventory_allocate",
                reference="ORDER-2", lines=[("SOAP-1", 1), ("SOAP-1", 7)], hold_key=None,
            )  # fmt: skip

    error = raised.value
    assert error.code is InventoryErrorCode.INSUFFICIENT_STOCK
    assert error.field == ["lines", "1", "quantity"]
    assert error.details == {"sku": "SOAP-1", "requested_quantity": 7, "available_quantity": 6}
    # Nothing of that transaction stays: not the caller's event, not ORDER-1's allocation.
    assert await stocked.snapshot() == snapshot
    assert await stocked.events("oms_orders.order_placed") == []
    assert await stocked.movements(reference="ORDER-1") == []
    assert await stocked.available("SOAP-2") == 2
    await stocked.check_ledger()


async def test_the_allocation_rolls_back_when_the_caller_fails(stocked: Any) -> None:
    """An order and its allocation commit together, or neither does."""
    orders = OrderPlugin(stocked)
    snapshot = await stocked.snapshot()

    with pytest.raises(RuntimeError, match="payment declined"):
        async with orders.transaction() as (session, relay):
            taken = await orders.call(
                session, relay, "oms_inventory_allocate",
                reference="ORDER-1", lines=[("SOAP-1", 7)], hold_key=None,
            )  # fmt: skip
            assert sum(t["quantity"] for t in taken) == 7
            raise RuntimeError("payment declined")

    assert await stocked.snapshot() == snapshot
    assert await stocked.available("SOAP-1") == 7
    await stocked.check_ledger()
