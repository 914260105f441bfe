"""Stays end to end through GraphQL: booked, checked in, charged by the night audit,
checked out; canceled with a fee; no-shows; room moves; early departures."""

from __future__ import annotations

import datetime as dt

from hotel_kit import AUDIT, Hotel


async def test_a_stay_from_booking_to_check_out_with_night_audit_postings(hotel: Hotel) -> None:
    reservation = await hotel.book("b-1", nights=3, adults=2)
    assert reservation["status"] == "CONFIRMED"
    assert reservation["room"]["number"] == "101"
    assert reservation["total"] == {"amount": "360.00", "currency": "EUR"}
    assert [n["roomNumber"] for n in reservation["nights"]] == ["101", "101", "101"]
    assert reservation["folio"]["balance"]["amount"] == "0.00"

    checked_in = await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    assert checked_in["reservation"]["status"] == "IN_HOUSE"
    for night in range(3):
        audit = await hotel.audit()
        assert audit["closedBusinessDate"] == hotel.day(night)
        assert audit["roomCharges"] == 1
    # The audit run again the same day closes nothing and posts nothing.
    again = (
        await hotel.request("mutation { runNightAudit { closedBusinessDate roomCharges } }")
    ).ok()
    assert again["runNightAudit"] == {"closedBusinessDate": None, "roomCharges": 0}

    stay = await hotel.reservation(reservation["id"])
    charges = [line for line in stay["folio"]["lines"] if line["source"] == "room"]
    assert [(c["businessDate"], c["amount"]["amount"]) for c in charges] == [
        (hotel.day(0), "120.00"), (hotel.day(1), "120.00"), (hotel.day(2), "120.00"),
    ]  # fmt: skip
    assert stay["folio"]["balance"]["amount"] == "360.00"
    await hotel.fails("checkOutReservation", {"reservation": reservation["id"]}, "OPEN_BALANCE")
    await hotel.ok(
        "postFolioEntry",
        {"reservation": reservation["id"], "kind": "payment", "amount": "360.00",
         "description": "Card"},
    )  # fmt: skip
    done = await hotel.ok("checkOutReservation", {"reservation": reservation["id"]})
    out = done["reservation"]
    assert out["status"] == "CHECKED_OUT"
    assert (out["folio"]["status"], out["folio"]["balance"]["amount"]) == ("closed", "0.00")
    await hotel.assert_folios_balance()


async def test_a_late_cancellation_charges_the_policys_fee_and_frees_the_room(
    hotel: Hotel,
) -> None:
    early = await hotel.book("c-1", arrive=10, nights=2)
    late = await hotel.book("c-2", arrive=1, nights=3, last_name="Hopper")
    suite = await hotel.book("c-3", arrive=3, nights=2, room_type="STE", last_name="Turing")
    # Each stay takes the lowest room number free on all its nights: no overlap, both 101.
    assert (early["room"]["number"], late["room"]["number"]) == ("101", "101")

    free = await hotel.ok("cancelReservation", {"reservation": early["id"], "reason": "plans"})
    assert free["reservation"]["status"] == "CANCELED"
    assert free["reservation"]["folio"]["lines"] == []  # 10 days ahead: free

    fee = await hotel.ok("cancelReservation", {"reservation": late["id"]})
    lines = fee["reservation"]["folio"]["lines"]
    assert [(ln["source"], ln["amount"]["amount"]) for ln in lines] == [("cancellation", "120.00")]
    assert fee["reservation"]["folio"]["balance"]["amount"] == "120.00"

    half = await hotel.ok("cancelReservation", {"reservation": suite["id"]})
    assert half["reservation"]["folio"]["balance"]["amount"] == "300.00"  # 50 % of 600.00

    # The nights are free again: the same dates book the same room.
    assert await hotel.room_nights() == []
    again = await hotel.book("c-4", arrive=1, nights=3, last_name="Liskov")
    assert again["room"]["number"] == "101"
    await hotel.fails("cancelReservation", {"reservation": late["id"]}, "INVALID_TRANSITION")
    await hotel.assert_folios_balance()


async def test_no_shows_by_the_night_audit_and_by_hand(hotel: Hotel) -> None:
    missed = await hotel.book("n-1", arrive=0, nights=2)
    by_hand = await hotel.book("n-2", arrive=1, nights=1, last_name="Hopper")
    await hotel.fails("markNoShow", {"reservation": by_hand["id"]}, "ARRIVAL_NOT_REACHED")

    audit = await hotel.audit()  # closes day 0: the guest due then never came
    assert audit["noShows"] == 1
    gone = await hotel.reservation(missed["id"])
    assert gone["status"] == "NO_SHOW"
    assert [(ln["source"], ln["amount"]["amount"]) for ln in gone["folio"]["lines"]] == [
        ("no_show", "120.00"),
    ]  # fmt: skip
    assert all(n["roomNumber"] is None for n in gone["nights"])  # released

    marked = await hotel.ok("markNoShow", {"reservation": by_hand["id"]})
    assert marked["reservation"]["status"] == "NO_SHOW"
    assert await hotel.room_nights() == []
    await hotel.assert_folios_balance()


async def test_a_room_move_mid_stay_keeps_the_past_and_moves_the_future(hotel: Hotel) -> None:
    stay = await hotel.book("m-1", arrive=0, nights=4)
    other = await hotel.book("m-2", arrive=2, nights=1, last_name="Hopper")  # in 102 on day 2
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.audit()
    await hotel.audit()  # two nights slept in 101; the business date is day 2

    refused = await hotel.fails(
        "moveReservationRoom", {"reservation": stay["id"], "room": other["room"]["number"]},
        "NOT_AVAILABLE",
    )  # fmt: skip
    assert refused["field"] == ["room"]
    moved = await hotel.ok("moveReservationRoom", {"reservation": stay["id"], "room": "103"})
    nights = [(n["date"], n["roomNumber"]) for n in moved["reservation"]["nights"]]
    assert nights == [
        (hotel.day(0), "101"), (hotel.day(1), "101"), (hotel.day(2), "103"),
        (hotel.day(3), "103"),
    ]  # fmt: skip
    assert moved["reservation"]["room"]["number"] == "103"
    assert "101 -> 103" in moved["reservation"]["history"][-1]["detail"]
    # 101 is free for tonight again: someone else can have it.
    walk_in = await hotel.book("m-3", arrive=2, nights=1, last_name="Turing", room="101")
    assert walk_in["room"]["number"] == "101"
    await hotel.fails(
        "moveReservationRoom", {"reservation": stay["id"], "room": "301"}, "INVALID_INPUT"
    )  # another room type


async def test_an_early_departure_frees_the_remaining_nights(hotel: Hotel) -> None:
    stay = await hotel.book("e-1", arrive=0, nights=5)
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.audit()
    await hotel.audit()  # two nights charged; business date day 2
    await hotel.ok(
        "postFolioEntry",
        {"reservation": stay["id"], "kind": "payment", "amount": "240.00", "description": "Card"},
    )
    out = (await hotel.ok("checkOutReservation", {"reservation": stay["id"]}))["reservation"]
    assert out["status"] == "CHECKED_OUT"
    assert out["departure"] == hotel.day(2)
    assert [n["roomNumber"] for n in out["nights"]] == ["101", "101", None, None, None]
    assert [kind for kind in (h["kind"] for h in out["history"])][-2:] == [
        "early_departure", "checked_out",
    ]  # fmt: skip
    # The released nights can be sold again.
    assert (await hotel.book("e-2", arrive=2, nights=3, room="101"))["room"]["number"] == "101"
    await hotel.assert_folios_balance()


async def test_check_out_with_an_open_balance_needs_an_override_note(hotel: Hotel) -> None:
    stay = await hotel.book("o-1", arrive=0, nights=1)
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.audit()
    before = await hotel.snapshot()
    error = await hotel.fails("checkOutReservation", {"reservation": stay["id"]}, "OPEN_BALANCE")
    assert "120" in error["message"]
    assert await hotel.snapshot() == before
    out = await hotel.ok(
        "checkOutReservation",
        {"reservation": stay["id"], "overrideNote": "invoiced to the company"},
    )
    folio = out["reservation"]["folio"]
    assert (folio["status"], folio["balance"]["amount"], folio["closeNote"]) == (
        "closed", "120.00", "invoiced to the company",
    )  # fmt: skip


async def test_a_guest_leaving_on_the_day_they_came_frees_the_night(hotel: Hotel) -> None:
    stay = await hotel.book("d-1", arrive=0, nights=2)
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    out = (await hotel.ok(
        "checkOutReservation", {"reservation": stay["id"], "overrideNote": "day use"}
    ))["reservation"]  # fmt: skip
    assert out["status"] == "CHECKED_OUT"
    assert [n["roomNumber"] for n in out["nights"]] == [None, None]
    assert await hotel.room_nights() == []
    assert (await hotel.book("d-2", arrive=0, nights=1, room="101"))["room"]["number"] == "101"


async def test_the_audit_waits_for_its_time_so_late_arrivals_keep_their_room(
    hotel: Hotel,
) -> None:
    late = await hotel.book("l-1", arrive=0, nights=1)
    # 00:30 local on the next day (the hotel is on UTC): the day is not closed yet.
    next_day = hotel.today + dt.timedelta(days=1)
    hotel.kit.clock.set(dt.datetime.combine(next_day, dt.time(0, 30), tzinfo=dt.UTC))
    early = (await hotel.request(AUDIT)).ok()["runNightAudit"]
    assert (early["closedBusinessDate"], early["noShows"]) == (None, 0)
    await hotel.ok("checkInReservation", {"reservation": late["id"]})
    hotel.kit.clock.set(dt.datetime.combine(next_day, dt.time(3, 30), tzinfo=dt.UTC))
    closed = (await hotel.request(AUDIT)).ok()["runNightAudit"]
    assert (closed["closedBusinessDate"], closed["roomCharges"], closed["noShows"]) == (
        hotel.day(0), 1, 0,
    )  # fmt: skip


async def test_a_guest_staying_past_departure_is_extended_when_the_room_is_free(
    hotel: Hotel,
) -> None:
    stay = await hotel.book("x-1", arrive=0, nights=1)
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    await hotel.audit()  # night 0 charged; due out on day 1 but never checks out
    audit = await hotel.audit()
    assert audit["roomCharges"] == 1
    extended = await hotel.reservation(stay["id"])
    assert extended["departure"] == hotel.day(2)
    assert [n["roomNumber"] for n in extended["nights"]] == ["101", "101"]
    assert extended["folio"]["balance"]["amount"] == "240.00"
    assert extended["history"][-1]["kind"] == "overstay"

    # Room sold for the next night: the guest who slept there is charged all the same,
    # and the desk is told the room is sold to someone else.
    await hotel.book("x-2", arrive=2, nights=1, room="101", last_name="Hopper")
    audit = await hotel.audit()
    assert (audit["roomCharges"], audit["overstays"]) == (1, 1)
    stuck = await hotel.reservation(stay["id"])
    assert "sold to another stay" in stuck["history"][-1]["detail"]
    assert stuck["folio"]["balance"]["amount"] == "360.00"
    await hotel.assert_folios_balance()


async def test_leaving_after_midnight_before_the_audit_pays_the_night_slept(
    hotel: Hotel,
) -> None:
    stay = await hotel.book("am-1", arrive=0, nights=1)
    await hotel.ok("checkInReservation", {"reservation": stay["id"]})
    # 02:00 on the departure day, the audit (03:00) has not closed day 0 yet.
    next_day = hotel.today + dt.timedelta(days=1)
    hotel.kit.clock.set(dt.datetime.combine(next_day, dt.time(2, 0), tzinfo=dt.UTC))
    error = await hotel.fails("checkOutReservation", {"reservation": stay["id"]}, "OPEN_BALANCE")
    assert "12000" in error["message"]
    await hotel.ok(
        "postFolioEntry",
        {"reservation": stay["id"], "kind": "payment", "amount": "120.00", "description": "Card"},
    )
    out = (await hotel.ok("checkOutReservation", {"reservation": stay["id"]}))["reservation"]
    assert out["departure"] == hotel.day(1)  # not moved back: the night was slept
    assert [n["roomNumber"] for n in out["nights"]] == ["101"]
    assert [ln["reference"] for ln in out["folio"]["lines"] if ln["source"] == "room"] == [
        f"room:{hotel.day(0)}"
    ]
    # The audit then closes day 0 without charging the night again.
    hotel.kit.clock.set(dt.datetime.combine(next_day, dt.time(3, 30), tzinfo=dt.UTC))
    closed = (await hotel.request(AUDIT)).ok()["runNightAudit"]
    assert (closed["closedBusinessDate"], closed["roomCharges"]) == (hotel.day(0), 0)
    await hotel.assert_folios_balance()
