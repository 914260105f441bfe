"""A hotel running pms_rooms without pms_housekeeping: no readiness gate, no blocks, no
housekeeping schema; and the same tenant's other hotel, with it, is gated."""

from __future__ import annotations

from hotel_kit import Hotel, set_up_hotel

from core.testing import ConciergeTestKit


async def test_rooms_alone_checks_guests_in_and_out_with_no_gate(
    concierge: ConciergeTestKit,
) -> None:
    plain = await set_up_hotel(concierge, "sea-inn")
    tenant = plain.tenant
    gated = await set_up_hotel(
        concierge, "sea-resort", plugins=("pms_rooms", "pms_housekeeping"), tenant=tenant
    )

    async def turnover(hotel: Hotel) -> tuple[str, str]:
        first = await hotel.book("first", nights=1, room="101")
        await hotel.ok("checkInReservation", {"reservation": first["id"]})
        await hotel.audit()
        second = await hotel.book("second", arrive=1, nights=1, room="101")
        await hotel.check_out_settled(first["id"])
        payload = await hotel.send("checkInReservation", {"reservation": second["id"]})
        return second["id"], payload["errors"][0]["code"] if payload["errors"] else "OK"

    # Without housekeeping the room is let again at once, as the front desk decides.
    second, outcome = await turnover(plain)
    assert outcome == "OK"
    assert (await plain.reservation(second))["status"] == "IN_HOUSE"
    await plain.check_out_settled(second)
    # With it, the same sequence waits for the cleaning.
    _, outcome = await turnover(gated)
    assert outcome == "ROOM_NOT_READY"

    # The plain hotel's schema has no housekeeping at all.
    missing = await plain.request("{ housekeepingBoard { businessDate } }")
    assert missing.status == 400 or missing.errors
    assert "housekeepingBoard" in missing.errors[0]["message"]
