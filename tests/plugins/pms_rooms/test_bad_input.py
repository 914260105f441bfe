"""Bad input gets a typed error and changes nothing: no half-booked stay, no room night
held, no folio line."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
from hotel_kit import Hotel


def booking(hotel: Hotel, key: str = "bad-1", **stay: Any) -> dict[str, Any]:
    base = {"roomType": "DBL", "ratePlan": "BAR-DBL", "arrival": hotel.day(1),
            "departure": hotel.day(3)}  # fmt: skip
    return {"idempotencyKey": key, "guest": {"lastName": "Lovelace"}, "stays": [{**base, **stay}]}


@pytest.mark.parametrize(
    ("stay", "code", "field"),
    [
        ({"departure": "ARRIVAL"}, "INVALID_INPUT", ["stays", "0", "departure"]),
        ({"arrival": -1}, "ARRIVAL_IN_PAST", ["stays", "0", "arrival"]),
        ({"adults": 3}, "CAPACITY_EXCEEDED", ["stays", "0", "adults"]),
        ({"adults": 1, "children": 2}, "CAPACITY_EXCEEDED", ["stays", "0", "adults"]),
        ({"adults": 0}, "INVALID_INPUT", ["stays", "0", "adults"]),
        ({"roomType": "VILLA"}, "NOT_FOUND", ["stays", "0", "roomType"]),
        ({"ratePlan": "NOPE"}, "NOT_FOUND", ["stays", "0", "ratePlan"]),
        ({"ratePlan": "BAR-STE"}, "INVALID_INPUT", ["stays", "0", "ratePlan"]),
        (
            {"roomType": "STE", "ratePlan": "BAR-STE", "departure": 2},
            "RESTRICTION",  # BAR-STE: at least 2 nights
            ["stays", "0", "arrival"],
        ),
        ({"room": "999"}, "NOT_FOUND", ["stays", "0", "room"]),
        ({"room": "301"}, "INVALID_INPUT", ["stays", "0", "room"]),  # a suite, not a double
    ],
)
async def test_booking_bad_stays_changes_nothing(
    hotel: Hotel, stay: dict[str, Any], code: str, field: list[str]
) -> None:
    resolved = {
        k: (hotel.day(1) if v == "ARRIVAL" else hotel.day(v) if isinstance(v, int) and k in
            ("arrival", "departure") else v)
        for k, v in stay.items()
    }  # fmt: skip
    before = await hotel.snapshot()
    error = await hotel.fails("bookReservation", booking(hotel, **resolved), code)
    assert error["field"] == field, error
    assert await hotel.snapshot() == before


async def test_a_closed_date_is_a_restriction(hotel: Hotel) -> None:
    await hotel.ok(
        "setRateOverride",
        {"ratePlan": "BAR-DBL", "from": hotel.day(2), "to": hotel.day(2), "closed": True},
    )
    before = await hotel.snapshot()
    error = await hotel.fails("bookReservation", booking(hotel), "RESTRICTION")
    assert "closed on" in error["message"]
    assert await hotel.snapshot() == before


async def test_a_reused_idempotency_key_with_another_stay_is_refused(hotel: Hotel) -> None:
    first = await hotel.ok("bookReservation", booking(hotel, key="k"))
    again = await hotel.ok("bookReservation", booking(hotel, key="k"))
    assert (first["created"], again["created"]) == (True, False)
    assert again["reservations"][0]["id"] == first["reservations"][0]["id"]
    before = await hotel.snapshot()
    error = await hotel.fails(
        "bookReservation", booking(hotel, key="k", departure=hotel.day(4)),
        "IDEMPOTENCY_KEY_REUSED",
    )  # fmt: skip
    assert error["field"] == ["idempotencyKey"]
    assert await hotel.snapshot() == before


async def test_check_in_before_the_arrival_date_and_twice_are_refused(hotel: Hotel) -> None:
    later = await hotel.book("ci-1", arrive=1, nights=1)
    before = await hotel.snapshot()
    await hotel.fails("checkInReservation", {"reservation": later["id"]}, "ARRIVAL_NOT_REACHED")
    assert await hotel.snapshot() == before

    today = await hotel.book("ci-2", arrive=0, nights=1, last_name="Hopper")
    await hotel.ok("checkInReservation", {"reservation": today["id"]})
    before = await hotel.snapshot()
    error = await hotel.fails(
        "checkInReservation", {"reservation": today["id"]}, "INVALID_TRANSITION"
    )
    assert error["field"] == ["reservation"]
    assert await hotel.snapshot() == before


async def test_a_full_hotel_refuses_the_booking_whole(hotel: Hotel) -> None:
    for n in range(4):
        await hotel.book(f"full-{n}", arrive=1, nights=2, last_name=f"Guest{n}")
    before = await hotel.snapshot()
    input = booking(hotel, key="two-rooms")
    # Two stays, the second (a double) cannot be had: the suite is not booked either.
    input["stays"].insert(0, {"roomType": "STE", "ratePlan": "BAR-STE",
                              "arrival": hotel.day(1), "departure": hotel.day(3)})  # fmt: skip
    error = await hotel.fails("bookReservation", input, "NOT_AVAILABLE")
    assert error["field"] == ["stays", "1", "roomType"]
    assert await hotel.snapshot() == before


async def test_folio_entries_in_the_wrong_shape_change_nothing(hotel: Hotel) -> None:
    stay = await hotel.book("f-1", arrive=0, nights=1)
    before = await hotel.snapshot()
    for kind, amount, code in (
        ("charge", "0", "INVALID_INPUT"), ("payment", "-5.00", "INVALID_INPUT"),
        ("gift", "5.00", "INVALID_INPUT"), ("refund", "5.00", "INVALID_INPUT"),
        ("correction", "5.00", "NOT_FOUND"), ("charge", "1.001", "INVALID_INPUT"),
    ):  # fmt: skip
        await hotel.fails(
            "postFolioEntry",
            {"reservation": stay["id"], "kind": kind, "amount": amount, "description": "x"},
            code,
        )
    for bad in ("garbage", stay["guest"]["id"]):
        await hotel.fails("checkInReservation", {"reservation": bad}, "NOT_FOUND")
    assert await hotel.snapshot() == before


async def test_the_same_room_created_at_once_is_one_room_and_conflicts(hotel: Hotel) -> None:
    # Past the service's own check, the database's unique constraint decides: the losers
    # get CONFLICT, never an internal error (core.graphql.mutations.in_transaction).
    results = await asyncio.gather(
        *(hotel.send("createRoom", {"number": "501", "roomType": "DBL"}) for _ in range(10))
    )
    codes = sorted(e["code"] for r in results for e in r["errors"])
    assert codes == ["CONFLICT"] * 9
    rooms = await hotel.query('{ rooms(filter: {roomType: "DBL"}) { totalCount } }')
    assert rooms["rooms"]["totalCount"] == 5
