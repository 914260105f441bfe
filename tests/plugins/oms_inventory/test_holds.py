"""Cart holds: they count against availability until released, expired or turned into an order."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from core.clock import MovableClock

EXPIRE_JOB = "oms_inventory.release_expired_holds"


def parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))


@pytest.fixture
async def soap(shop: Any) -> Any:
    await shop.product("Soap", ("SOAP-1", "6.50"))
    await shop.receive("SOAP-1", 5)
    return shop


async def test_a_hold_counts_against_availability(soap: Any, clock: MovableClock) -> None:
    payload = await soap.ok(
        "placeHold", {"key": "cart-1", "sku": "SOAP-1", "quantity": 3, "minutes": 10}
    )

    (hold,) = payload["holds"]
    assert (hold["key"], hold["sku"], hold["location"], hold["quantity"]) == (
        "cart-1", "SOAP-1", "MAIN", 3,
    )  # fmt: skip
    assert parse(hold["expiresAt"]) == clock.now() + dt.timedelta(minutes=10)
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 0, "held": 3, "available": 2}

    # An order that would need the held units is refused, reporting what is free.
    snapshot = await soap.snapshot()
    result = await soap.allocate("ORDER-1", ("SOAP-1", 3))
    assert [(e["code"], e["availableQuantity"]) for e in result["errors"]] == [
        ("INSUFFICIENT_STOCK", 2)
    ]
    # So is a second cart wanting more than is left.
    error = await soap.fails(
        "placeHold", {"key": "cart-2", "sku": "SOAP-1", "quantity": 3}, "INSUFFICIENT_STOCK"
    )
    assert error["availableQuantity"] == 2
    # And the counted stock cannot be written down into the held units.
    await soap.fails(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": -3, "reason": "count"},
        "INSUFFICIENT_STOCK",
    )
    assert await soap.snapshot() == snapshot
    assert (await soap.allocate("ORDER-1", ("SOAP-1", 2)))["errors"] == []
    await soap.check_ledger()


async def test_release_hold_gives_the_units_back(soap: Any) -> None:
    await soap.ok("placeHold", {"key": "cart-1", "sku": "SOAP-1", "quantity": 2})
    await soap.ok("placeHold", {"key": "cart-1", "sku": "SOAP-1", "quantity": 1})
    await soap.ok("placeHold", {"key": "cart-2", "sku": "SOAP-1", "quantity": 1})
    assert (await soap.level("SOAP-1"))["held"] == 4

    payload = await soap.ok("releaseHold", {"key": "cart-1"})

    assert payload["released"] == 3
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 0, "held": 1, "available": 4}
    assert (await soap.ok("releaseHold", {"key": "cart-1"}))["released"] == 0
    assert (await soap.ok("releaseHold", {"key": "no-such-cart"}))["released"] == 0
    movements = await soap.movements(reference="hold:cart-1")
    assert sorted((m["kind"], m["heldDelta"]) for m in movements) == [
        ("HOLD", 1), ("HOLD", 2), ("HOLD_RELEASE", -2), ("HOLD_RELEASE", -1),
    ]  # fmt: skip
    assert await soap.check_ledger() == {("SOAP-1", "MAIN"): (5, 0, 1)}


async def test_expired_holds_are_released_by_the_job(soap: Any, clock: MovableClock) -> None:
    await soap.ok("placeHold", {"key": "cart-1", "sku": "SOAP-1", "quantity": 4, "minutes": 10})
    await soap.ok("placeHold", {"key": "cart-2", "sku": "SOAP-1", "quantity": 1, "minutes": 30})
    assert (await soap.allocate("ORDER-1", ("SOAP-1", 1)))["errors"] != []

    # Not yet: nine minutes in, the job leaves both holds alone.
    clock.advance(minutes=9)
    assert await soap.kit.run_job(EXPIRE_JOB)
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 0, "held": 5, "available": 0}

    clock.advance(minutes=2)
    assert await soap.kit.run_job(EXPIRE_JOB)

    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 0, "held": 1, "available": 4}
    (expiry,) = [m for m in await soap.movements(reference="hold:cart-1") if m["heldDelta"] < 0]
    assert (expiry["kind"], expiry["heldDelta"], expiry["reason"], expiry["actor"]) == (
        "HOLD_RELEASE", -4, "expired", "job:holds",
    )  # fmt: skip
    # The units are free again; the expired cart has nothing left to release.
    assert (await soap.allocate("ORDER-1", ("SOAP-1", 4)))["errors"] == []
    assert (await soap.ok("releaseHold", {"key": "cart-1"}))["released"] == 0

    clock.advance(minutes=30)
    assert await soap.kit.run_job(EXPIRE_JOB)
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 4, "held": 0, "available": 1}
    await soap.check_ledger()


async def test_the_expiry_job_covers_every_property_with_inventory(
    make_shop: Any, clock: MovableClock
) -> None:
    first = await make_shop("acme-shop")
    second = await make_shop("globex-shop")
    for shop, sku in ((first, "A-1"), (second, "B-1")):
        await shop.product("Thing", (sku, "1"))
        await shop.receive(sku, 3)
        await shop.ok("placeHold", {"key": "cart", "sku": sku, "quantity": 3, "minutes": 5})

    clock.advance(minutes=6)
    assert await first.kit.run_job(EXPIRE_JOB)

    assert await first.available("A-1") == 3
    assert await second.available("B-1") == 3
    await first.check_ledger()
    await second.check_ledger()


async def test_hold_lengths_default_to_the_property_setting(soap: Any, clock: MovableClock) -> None:
    payload = await soap.ok("placeHold", {"key": "cart-1", "sku": "SOAP-1", "quantity": 1})
    assert parse(payload["holds"][0]["expiresAt"]) == clock.now() + dt.timedelta(minutes=15)

    await soap.settings(holdMinutes=45)
    payload = await soap.ok("placeHold", {"key": "cart-2", "sku": "SOAP-1", "quantity": 1})
    assert parse(payload["holds"][0]["expiresAt"]) == clock.now() + dt.timedelta(minutes=45)

    snapshot = await soap.snapshot()
    for minutes in (0, -5, 7 * 24 * 60 + 1):
        error = await soap.fails(
            "placeHold",
            {"key": "cart-3", "sku": "SOAP-1", "quantity": 1, "minutes": minutes},
            "INVALID_INPUT",
        )
        assert error["field"] == ["minutes"]
    error = await soap.fails(
        "placeHold", {"key": " ", "sku": "SOAP-1", "quantity": 1}, "INVALID_INPUT"
    )
    assert error["field"] == ["key"]
    assert await soap.snapshot() == snapshot
    await soap.check_ledger()


async def test_allocating_with_the_hold_key_turns_the_hold_into_the_order(
    soap: Any, clock: MovableClock
) -> None:
    await soap.ok("placeHold", {"key": "cart-7", "sku": "SOAP-1", "quantity": 5, "minutes": 10})
    # Without the cart's key the held units are out of reach.
    assert [e["code"] for e in (await soap.allocate("ORDER-7", ("SOAP-1", 5)))["errors"]] == [
        "INSUFFICIENT_STOCK"
    ]

    result = await soap.allocate("ORDER-7", ("SOAP-1", 5), hold_key="cart-7")

    assert result["errors"] == []
    assert [(t["sku"], t["quantity"]) for t in result["taken"]] == [("SOAP-1", 5)]
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 5, "held": 0, "available": 0}
    kinds = [m["kind"] for m in await soap.movements(sku="SOAP-1")]
    assert kinds[:2] == ["ALLOCATION", "HOLD_RELEASE"]
    # The hold is gone for good: its expiry later changes nothing.
    clock.advance(minutes=11)
    assert await soap.kit.run_job(EXPIRE_JOB)
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 5, "held": 0, "available": 0}
    assert (await soap.ok("releaseHold", {"key": "cart-7"}))["released"] == 0
    await soap.check_ledger()


async def test_a_failed_allocation_keeps_the_cart_hold(soap: Any) -> None:
    """All or nothing includes the hold: a refused order leaves the cart's units held."""
    await soap.product("Tote", ("TOTE-1", "24"))
    await soap.ok("placeHold", {"key": "cart-8", "sku": "SOAP-1", "quantity": 2})
    snapshot = await soap.snapshot()

    result = await soap.allocate("ORDER-8", ("SOAP-1", 2), ("TOTE-1", 1), hold_key="cart-8")

    assert [(e["code"], e["sku"]) for e in result["errors"]] == [("INSUFFICIENT_STOCK", "TOTE-1")]
    assert await soap.snapshot() == snapshot
    assert await soap.level("SOAP-1") == {"onHand": 5, "allocated": 0, "held": 2, "available": 3}
    await soap.check_ledger()
