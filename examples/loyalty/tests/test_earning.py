"""Members earn from what other plugins report: orders paid at a shop, stays checked out at
a hotel; refunds take back what their order earned; a second delivery of an event earns
nothing more; and someone who never enrolled earns nothing."""

from __future__ import annotations

import datetime as dt

from core.events import OutboxEvent
from core.testing import ConciergeTestKit
from loyalty_kit import hotel, shop
from sqlalchemy import select

AUDIT = "mutation { runNightAudit { businessDate errors { code message } } }"


async def test_a_paid_order_earns_and_its_refunds_take_the_points_back(
    concierge: ConciergeTestKit,
) -> None:
    desk = await shop(concierge)
    await desk.enroll("Ada@Example.com", "Ada Lovelace")
    order = await desk.paid_order("o-1", "ada@example.com", "42.50")
    assert await desk.balance("ada@example.com") == 42  # 1 point per whole euro
    await desk.paid_order("o-2", "hopper@example.com", "80.00")  # not a member
    assert await desk.member("hopper@example.com") is None

    await desk.refund(order, "10.00")
    assert await desk.balance("ada@example.com") == 32
    await desk.refund(order, "32.50")  # the rest: 32 points, never more than it earned
    member = await desk.member("ada@example.com")
    assert member is not None
    assert (member["balance"], member["lifetimePoints"]) == (0, 42)
    origin = f"order:{order['number']}"
    assert await desk.entries("ada@example.com") == [
        ("earn", 42, origin), ("reverse", -10, origin), ("reverse", -32, origin),
    ]  # fmt: skip
    await desk.assert_balances_match_entries()


async def test_the_property_sets_the_points_per_unit(concierge: ConciergeTestKit) -> None:
    desk = await shop(concierge)
    await desk.enroll("ada@example.com")
    settings = await desk.ok("updateLoyaltySettings", {"pointsPerOrderUnit": 3})
    assert settings["settings"] == {
        "pointsPerOrderUnit": 3, "pointsPerStayUnit": 5, "expiryDays": 365,
    }  # fmt: skip
    await desk.paid_order("o-1", "ada@example.com", "9.99")
    assert await desk.balance("ada@example.com") == 29  # 9.99 * 3, rounded down
    error = await desk.fails("updateLoyaltySettings", {"expiryDays": -1}, "INVALID_INPUT")
    assert error["field"] == ["expiryDays"]


async def test_an_event_delivered_again_earns_nothing_more(concierge: ConciergeTestKit) -> None:
    desk = await shop(concierge)
    await desk.enroll("ada@example.com")
    await desk.paid_order("o-1", "ada@example.com", "20.00")
    async with concierge.transaction(desk.prop) as session:
        paid = await session.scalar(
            select(OutboxEvent.id).where(OutboxEvent.name == "oms_orders.payment_recorded")
        )
    assert paid is not None
    await concierge.runtime.events.deliver([paid])  # at least once: it may come twice
    await concierge.runtime.events.deliver([paid])
    assert await desk.entries("ada@example.com") == [("earn", 20, "order:1001")]
    await desk.assert_balances_match_entries()


async def test_a_stay_earns_on_its_charges_at_check_out(concierge: ConciergeTestKit) -> None:
    desk = await hotel(concierge)
    await desk.enroll("ada@example.com", "Ada Lovelace")
    today = dt.date.fromisoformat(
        (await desk.query("{ hotelSettings { businessDate } }"))["hotelSettings"]["businessDate"]
    )
    booked = await desk.ok(
        "bookReservation",
        {"idempotencyKey": "b-1",
         "guest": {"lastName": "Lovelace", "firstName": "Ada", "email": "ADA@example.com"},
         "stays": [{"roomType": "DBL", "ratePlan": "BAR", "arrival": today.isoformat(),
                    "departure": (today + dt.timedelta(days=2)).isoformat()}]},
    )  # fmt: skip
    (stay,) = booked["reservations"]
    await desk.ok("checkInReservation", {"reservation": stay["id"]})
    await desk.ok(
        "postFolioEntry",
        {"reservation": stay["id"], "kind": "charge", "amount": "30.00", "description": "Spa"},
    )
    concierge.clock.advance(dt.timedelta(days=1))
    assert (await desk.query(AUDIT))["runNightAudit"]["errors"] == []  # night 1: 120.00
    assert await desk.balance("ada@example.com") == 0  # nothing before the guest leaves
    paid = await desk.ok(
        "postFolioEntry",
        {"reservation": stay["id"], "kind": "payment", "amount": "150.00", "description": "Card"},
    )
    assert paid["reservation"]["folio"]["balance"] == {"amount": "0.00"}
    await desk.ok("checkOutReservation", {"reservation": stay["id"]})  # one night early
    # 150.00 charged (the night and the spa) at 5 points per euro.
    assert await desk.entries("ada@example.com") == [("earn", 750, f"stay:{stay['number']}")]
    await desk.assert_balances_match_entries()
