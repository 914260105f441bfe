"""The hotel's daily report against figures worked out by hand: three stays around the
end of March in a Lisbon hotel, charged by the night audit, with an extra."""

from __future__ import annotations

import datetime as dt

from hotel_kit import set_up_hotel

from core.testing import ConciergeTestKit

REPORT = (
    'query($from: Date!, $to: Date!) { reports { report(name: "pms_rooms.daily", from: $from,'
    " to: $to) { columns { name kind } rows csv } } }"
)


async def test_daily_figures_across_a_month_boundary(concierge: ConciergeTestKit) -> None:
    concierge.clock.set(dt.datetime(2026, 3, 30, 9, tzinfo=dt.UTC))
    hotel = await set_up_hotel(concierge, time_zone="Europe/Lisbon")
    assert hotel.today == dt.date(2026, 3, 30)
    ada = await hotel.book("a", nights=3, room="101", last_name="Lovelace")  # 30, 31, 1
    grace = await hotel.book("b", nights=2, room_type="STE", last_name="Hopper")  # 30, 31
    marie = await hotel.book("c", arrive=1, nights=1, room="102", last_name="Curie")  # 31
    for stay in (ada, grace):
        await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.ok(
        "postFolioEntry",
        {"reservation": ada["id"], "kind": "charge", "amount": "15.00", "description": "Minibar"},
    )
    await hotel.audit()  # closes 30 March
    await hotel.ok("checkInReservation", {"reservation": marie["id"]})
    await hotel.audit()  # closes 31 March
    for stay in (grace, marie):
        await hotel.check_out_settled(stay["id"])
    await hotel.audit()  # closes 1 April
    await hotel.check_out_settled(ada["id"])

    data = await hotel.query(REPORT, {"from": "2026-03-30", "to": "2026-04-02"})
    table = data["reports"]["report"]
    names = [c["name"] for c in table["columns"]]
    rows = [dict(zip(names, row, strict=True)) for row in table["rows"]]
    # Five rooms. 30 March: Ada (120.00) and Grace's suite (300.00) sold, Ada's minibar.
    # 31 March: the same two and Marie (120.00). 1 April: Ada only; Grace and Marie leave.
    # 2 April: Ada leaves, nothing sold.
    expected = [
        ("2026-03-30", "2", "0", "2", "5", "40.00", "420.00", "15.00", "210.00", "84.00"),
        ("2026-03-31", "1", "0", "3", "5", "60.00", "540.00", "0.00", "180.00", "108.00"),
        ("2026-04-01", "0", "2", "1", "5", "20.00", "120.00", "0.00", "120.00", "24.00"),
        ("2026-04-02", "0", "1", "0", "5", "0.00", "0.00", "0.00", None, "0.00"),
    ]
    keys = ("date", "arrivals", "departures", "inHouse", "roomsAvailable", "occupancy",
            "roomRevenue", "extrasRevenue", "adr", "revpar")  # fmt: skip
    assert [tuple(row[k] for k in keys) for row in rows] == expected
    assert table["csv"].splitlines()[0] == ",".join(names)
    assert table["csv"].splitlines()[4].startswith("2026-04-02,0,1,0,5,0.00,0.00,0.00,,0.00")


async def test_reports_need_reports_read_and_a_sane_range(concierge: ConciergeTestKit) -> None:
    hotel = await set_up_hotel(concierge)
    available = await hotel.query("{ reports { available { name } } }")
    assert {r["name"] for r in available["reports"]["available"]} == {"pms_rooms.daily"}
    backwards = await hotel.request(REPORT, {"from": "2026-03-05", "to": "2026-03-01"})
    assert backwards.errors[0]["extensions"]["code"] == "INVALID_INPUT"
    too_long = await hotel.request(REPORT, {"from": "2026-01-01", "to": "2027-03-01"})
    assert too_long.errors[0]["extensions"]["code"] == "INVALID_INPUT"
    user = await concierge.user(hotel.tenant, "maid@sea.example", role="housekeeping",
                                property=hotel.prop)  # fmt: skip
    refused = await hotel.request(
        "{ reports { available { name } } }", token=await concierge.token_for(user)
    )
    assert refused.errors[0]["extensions"]["code"] == "FORBIDDEN"
