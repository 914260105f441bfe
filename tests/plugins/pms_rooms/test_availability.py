"""What a booking engine sees: free rooms per type, nightly prices and totals, broken
restrictions (and a refused booking when one is broken), parties too large for a type,
impossible dates; the availability calendar; rooms another plugin reports out of order
or not ready (a listener registered for one test stands in for pms_housekeeping)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hotel_kit import Hotel
from sqlalchemy import select

from core import hookimpl
from core.testing import GraphQLResult
from plugins.pms_rooms import models

CREATE_PUBLISHABLE_KEY = (
    "mutation($property: String!) { createApiKey(input: {property: $property,"
    ' name: "booking engine", kind: PUBLISHABLE, permissions: []}) { secret errors { code } } }'
)
AVAILABILITY = """
query($arrival: Date!, $departure: Date!, $adults: Int!, $children: Int!) {
  availability(arrival: $arrival, departure: $departure, adults: $adults, children: $children) {
    roomTypeCode capacity freeRooms
    rates {
      ratePlanCode bookable restrictions freeCancellationDays cancellationFeeKind
      nights { date price { amount currency } }
      total { amount currency }
    }
  }
}
"""
CALENDAR = """
query($from: Date!, $to: Date) {
  availabilityCalendar(from: $from, to: $to) { date roomTypeCode rooms sold outOfOrder free }
}
"""

# plugins/pms_rooms/graphql/queries.py:128 and :166 enter core.graphql.as_client_error(), a
# plain @contextmanager (core/graphql/errors.py:68-69), with `async with`: every availability
# and availabilityCalendar request raises TypeError ("'_GeneratorContextManager' object does
# not support the asynchronous context manager protocol"), masked as INTERNAL. Entering it
# with a plain `with` makes every test marked so pass: then delete this marker.


def codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


async def publishable_key(hotel: Hotel) -> str:
    created = await hotel.kit.graphql(
        CREATE_PUBLISHABLE_KEY, {"property": hotel.prop.slug}, tenant=hotel.tenant
    )
    payload = created.ok()["createApiKey"]
    assert payload["errors"] == [] and payload["secret"].startswith("cnk_pk_"), payload
    return payload["secret"]


@pytest.fixture
async def key(hotel: Hotel) -> str:
    return await publishable_key(hotel)


async def ask(
    hotel: Hotel, key: str, arrive: int, nights: int, adults: int = 1, children: int = 0
) -> GraphQLResult:
    variables = {
        "arrival": hotel.day(arrive), "departure": hotel.day(arrive + nights),
        "adults": adults, "children": children,
    }  # fmt: skip
    return await hotel.request(AVAILABILITY, variables, token=key)


async def offers(
    hotel: Hotel, key: str, arrive: int, nights: int, adults: int = 1, children: int = 0
) -> dict[str, dict[str, Any]]:
    """The offered room types by code."""
    result = await ask(hotel, key, arrive, nights, adults, children)
    return {o["roomTypeCode"]: o for o in result.ok()["availability"]}


async def free_rooms(hotel: Hotel, key: str, arrive: int, nights: int) -> dict[str, int]:
    return {code: o["freeRooms"] for code, o in (await offers(hotel, key, arrive, nights)).items()}


async def calendar(hotel: Hotel, start: int, end: int) -> list[tuple[str, str, int, int, int, int]]:
    data = await hotel.query(CALENDAR, {"from": hotel.day(start), "to": hotel.day(end)})
    return [
        (d["date"], d["roomTypeCode"], d["rooms"], d["sold"], d["outOfOrder"], d["free"])
        for d in data["availabilityCalendar"]
    ]


# -- free rooms -------------------------------------------------------------------------


async def test_free_rooms_drop_as_rooms_are_booked_and_a_full_type_vanishes(
    hotel: Hotel, key: str
) -> None:
    assert await free_rooms(hotel, key, 0, 2) == {"DBL": 4, "STE": 1}
    booked = []
    for n, left in zip(range(1, 4), (3, 2, 1), strict=True):
        booked.append(await hotel.book(f"d-{n}", arrive=0, nights=2))
        assert await free_rooms(hotel, key, 0, 2) == {"DBL": left, "STE": 1}
    booked.append(await hotel.book("d-4", arrive=0, nights=2))
    assert await free_rooms(hotel, key, 0, 2) == {"STE": 1}
    # A stay overlapping one of those nights finds no double either; after them, all four.
    assert await free_rooms(hotel, key, 1, 3) == {"STE": 1}
    assert await free_rooms(hotel, key, 2, 2) == {"DBL": 4, "STE": 1}

    await hotel.book("s-1", arrive=1, nights=2, room_type="STE")
    assert await free_rooms(hotel, key, 0, 2) == {}
    assert await free_rooms(hotel, key, 0, 1) == {"STE": 1}  # the suite is free the first night
    # A full type cannot be booked either; a cancellation gives the room back.
    await hotel.fails(
        "bookReservation",
        {"idempotencyKey": "d-5", "guest": {"lastName": "Late"},
         "stays": [{"roomType": "DBL", "ratePlan": "BAR-DBL", "arrival": hotel.day(0),
                    "departure": hotel.day(2)}]},
        "NOT_AVAILABLE",
    )  # fmt: skip
    await hotel.ok("cancelReservation", {"reservation": booked[1]["id"], "reason": "plans"})
    assert await free_rooms(hotel, key, 0, 2) == {"DBL": 1}


async def test_nightly_prices_follow_rate_overrides_and_add_up_to_the_total(
    hotel: Hotel, key: str
) -> None:
    await hotel.ok(
        "setRateOverride",
        {"ratePlan": "BAR-DBL", "from": hotel.day(1), "to": hotel.day(2), "price": "150.00"},
    )
    # The departure date's price is not a night of the stay.
    await hotel.ok(
        "setRateOverride",
        {"ratePlan": "BAR-DBL", "from": hotel.day(3), "to": hotel.day(3), "price": "999.00"},
    )
    found = await offers(hotel, key, 0, 3, adults=2)
    (dbl,) = found["DBL"]["rates"]
    assert dbl == {
        "ratePlanCode": "BAR-DBL", "bookable": True, "restrictions": [],
        "freeCancellationDays": 2, "cancellationFeeKind": "first_night",
        "nights": [
            {"date": hotel.day(0), "price": {"amount": "120.00", "currency": "EUR"}},
            {"date": hotel.day(1), "price": {"amount": "150.00", "currency": "EUR"}},
            {"date": hotel.day(2), "price": {"amount": "150.00", "currency": "EUR"}},
        ],
        "total": {"amount": "420.00", "currency": "EUR"},
    }  # fmt: skip
    (ste,) = found["STE"]["rates"]
    assert [n["price"]["amount"] for n in ste["nights"]] == ["300.00"] * 3
    assert ste["total"] == {"amount": "900.00", "currency": "EUR"}
    assert (ste["freeCancellationDays"], ste["cancellationFeeKind"]) == (7, "percent")

    # What was quoted is what the booking costs.
    reservation = await hotel.book("p-1", arrive=0, nights=3, adults=2)
    assert reservation["total"] == {"amount": "420.00", "currency": "EUR"}
    assert [(n["date"], n["price"]["amount"]) for n in reservation["nights"]] == [
        (hotel.day(0), "120.00"), (hotel.day(1), "150.00"), (hotel.day(2), "150.00"),
    ]  # fmt: skip


# Each case: the override set on BAR-DBL (or none), the stay asked for, the restrictions
# reported. A stay next to the restricted one that is still bookable shows each rule
# reaches no further than it says.
RESTRICTIONS: dict[str, tuple[dict[str, Any] | None, tuple[str, int, int], list[str]]] = {
    "closed": ({"from": 2, "closed": True}, ("DBL", 1, 2), ["closed on {2}"]),
    "closed to arrival": (
        {"from": 1, "closedToArrival": True}, ("DBL", 1, 2), ["closed to arrival on {1}"]
    ),
    "closed to departure": (
        {"from": 3, "closedToDeparture": True}, ("DBL", 1, 2), ["closed to departure on {3}"]
    ),
    "minimum stay": ({"from": 1, "minStay": 3}, ("DBL", 1, 2), ["minimum stay 3 nights"]),
    "maximum stay": ({"from": 1, "maxStay": 1}, ("DBL", 1, 2), ["maximum stay 1 nights"]),
    "suite minimum": (None, ("STE", 1, 1), ["minimum stay 2 nights"]),
}  # fmt: skip
STILL_BOOKABLE: dict[str, tuple[str, int, int]] = {
    "closed": ("DBL", 0, 2),  # closed on night 2 only: nights 0 and 1 are open
    "closed to arrival": ("DBL", 0, 3),  # passing through day 1 is fine
    "closed to departure": ("DBL", 0, 4),  # staying over day 3 is fine
    "minimum stay": ("DBL", 0, 2),  # the minimum applies to arrivals on day 1
    "maximum stay": ("DBL", 0, 3),
    "suite minimum": ("STE", 1, 2),
}


def _booking(hotel: Hotel, key: str, stay: tuple[str, int, int]) -> dict[str, Any]:
    room_type, arrive, nights = stay
    return {
        "idempotencyKey": key, "guest": {"lastName": "Restricted"},
        "stays": [{"roomType": room_type, "ratePlan": f"BAR-{room_type}",
                   "arrival": hotel.day(arrive), "departure": hotel.day(arrive + nights)}],
    }  # fmt: skip


@pytest.mark.parametrize("case", list(RESTRICTIONS))
async def test_a_broken_restriction_is_reported_and_refuses_the_booking(
    hotel: Hotel, key: str, case: str
) -> None:
    override, stay, expected = RESTRICTIONS[case]
    if override is not None:
        day = hotel.day(override["from"])
        await hotel.ok(
            "setRateOverride", {**override, "ratePlan": "BAR-DBL", "from": day, "to": day}
        )
    room_type, arrive, nights = stay
    offer = (await offers(hotel, key, arrive, nights))[room_type]
    (rate,) = offer["rates"]
    restrictions = [r.format(*[hotel.day(i) for i in range(5)]) for r in expected]
    assert (rate["bookable"], rate["restrictions"]) == (False, restrictions)
    assert offer["freeRooms"] == {"DBL": 4, "STE": 1}[room_type]  # rooms are there

    before = await hotel.snapshot()
    error = await hotel.fails("bookReservation", _booking(hotel, "r-1", stay), "RESTRICTION")
    assert error["message"] == f"BAR-{room_type}: " + "; ".join(restrictions)
    assert error["field"] == ["stays", "0", "arrival"]
    assert await hotel.snapshot() == before

    neighbour = STILL_BOOKABLE[case]
    room_type, arrive, nights = neighbour
    (rate,) = (await offers(hotel, key, arrive, nights))[room_type]["rates"]
    assert (rate["bookable"], rate["restrictions"]) == (True, []), neighbour
    await hotel.ok("bookReservation", _booking(hotel, "r-2", neighbour))


async def test_several_restrictions_are_all_reported(hotel: Hotel, key: str) -> None:
    await hotel.ok(
        "setRateOverride",
        {"ratePlan": "BAR-STE", "from": hotel.day(2), "to": hotel.day(2), "closed": True,
         "closedToArrival": True},
    )  # fmt: skip
    (rate,) = (await offers(hotel, key, 2, 1))["STE"]["rates"]
    assert rate["bookable"] is False
    assert rate["restrictions"] == [
        f"closed on {hotel.day(2)}", f"closed to arrival on {hotel.day(2)}",
        "minimum stay 2 nights",
    ]  # fmt: skip
    # The double on the same dates knows nothing of the suite's overrides.
    (dbl,) = (await offers(hotel, key, 2, 1))["DBL"]["rates"]
    assert (dbl["bookable"], dbl["restrictions"]) == (True, [])


# -- the party ---------------------------------------------------------------------------


async def test_a_party_larger_than_a_room_type_leaves_the_type_out(hotel: Hotel, key: str) -> None:
    assert set(await offers(hotel, key, 0, 2, adults=2)) == {"DBL", "STE"}
    assert set(await offers(hotel, key, 0, 2, adults=3)) == {"STE"}
    assert set(await offers(hotel, key, 0, 2, adults=1, children=2)) == {"STE"}
    assert set(await offers(hotel, key, 0, 2, adults=4)) == {"STE"}
    assert await offers(hotel, key, 0, 2, adults=3, children=2) == {}
    before = await hotel.snapshot()
    booking = _booking(hotel, "big", ("DBL", 0, 2))
    booking["stays"][0].update(adults=2, children=1)
    error = await hotel.fails("bookReservation", booking, "CAPACITY_EXCEEDED")
    assert error["field"] == ["stays", "0", "adults"]
    assert await hotel.snapshot() == before


# -- impossible questions -------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrive", "nights", "children", "code", "words"),
    [(2, -1, 0, "INVALID_INPUT", "departure must be after arrival"),
     (2, 0, 0, "INVALID_INPUT", "departure must be after arrival"),
     (-1, 2, 0, "ARRIVAL_IN_PAST", "arrival is before"),
     (0, 91, 0, "INVALID_INPUT", "stays of 1 to 90 nights"),
     (0, 1, -1, "INVALID_INPUT", "at least one adult")],
    ids=["departure-before-arrival", "no-nights", "arrival-in-the-past", "too-long",
         "negative-children"],
)  # fmt: skip
async def test_impossible_questions_are_told_to_the_booking_engine(
    hotel: Hotel, key: str, arrive: int, nights: int, children: int, code: str, words: str
) -> None:
    result = await ask(hotel, key, arrive, nights, children=children)
    assert result.status == 200 and result.data is None, result.body
    assert codes(result) == [code], result.body
    assert result.errors[0]["path"] == ["availability"]
    assert words in result.errors[0]["message"], result.body
    # Booking those dates is refused with a typed error and changes nothing.
    booking = _booking(hotel, "impossible", ("DBL", arrive, nights))
    booking["stays"][0]["children"] = children
    before = await hotel.snapshot()
    payload = await hotel.send("bookReservation", booking)
    assert [e["code"] for e in payload["errors"]] == [code], payload
    assert await hotel.snapshot() == before


async def test_a_calendar_ending_before_it_starts_is_told_to_the_client(hotel: Hotel) -> None:
    result = await hotel.request(CALENDAR, {"from": hotel.day(3), "to": hotel.day(1)})
    assert result.data is None and codes(result) == ["INVALID_INPUT"], result.body
    assert "calendar covers 1 to 400 days" in result.errors[0]["message"], result.body


async def test_the_availability_of_today_moves_with_the_business_date(
    hotel: Hotel, key: str
) -> None:
    assert set(await offers(hotel, key, 0, 1)) == {"DBL", "STE"}
    await hotel.audit()  # the business date is now day 1: day 0 is in the past
    result = await ask(hotel, key, 0, 1)
    assert result.data is None and result.errors, result.body
    assert set(await offers(hotel, key, 1, 1)) == {"DBL", "STE"}


async def test_availability_needs_a_credential(hotel: Hotel) -> None:
    variables = {"arrival": hotel.day(0), "departure": hotel.day(1), "adults": 1, "children": 0}
    result = await hotel.kit.graphql(AVAILABILITY, variables, property=hotel.prop.slug)
    assert result.data is None or result.data.get("availability") is None, result.body
    assert result.errors, result.body


# -- the calendar -------------------------------------------------------------------------


async def test_the_calendar_counts_rooms_sold_and_free_per_night_and_type(
    hotel: Hotel, key: str
) -> None:
    await hotel.book("c-1", arrive=0, nights=2)
    await hotel.book("c-2", arrive=1, nights=1)
    await hotel.book("c-3", arrive=1, nights=2, room_type="STE")
    canceled = await hotel.book("c-4", arrive=0, nights=3)
    await hotel.ok("cancelReservation", {"reservation": canceled["id"]})
    d = hotel.day
    assert await calendar(hotel, 0, 3) == [
        (d(0), "DBL", 4, 1, 0, 3), (d(0), "STE", 1, 0, 0, 1),
        (d(1), "DBL", 4, 2, 0, 2), (d(1), "STE", 1, 1, 0, 0),
        (d(2), "DBL", 4, 0, 0, 4), (d(2), "STE", 1, 1, 0, 0),
    ]  # fmt: skip
    # Without `to`, thirty days.
    data = await hotel.query(CALENDAR, {"from": d(0)})
    assert len(data["availabilityCalendar"]) == 30 * 2
    # The calendar tells who is staying when: a booking engine's key may not read it.
    result = await hotel.request(CALENDAR, {"from": d(0), "to": d(3)}, token=key)
    assert codes(result) == ["FORBIDDEN"], result.body
    assert result.data is None or result.data["availabilityCalendar"] is None


# -- rooms another plugin blocks --------------------------------------------------------


class Housekeeping:
    """What pms_housekeeping answers: rooms out of order on some nights, rooms not ready."""

    def __init__(self) -> None:
        self.room_ids: dict[str, int] = {}
        self.out_of_order: dict[str, set[str]] = {}  # room number -> ISO nights
        self.ready: dict[str, bool | None] = {}  # room number -> answer (absent: None)
        self.asked_ready: list[str] = []

    @hookimpl
    def pms_rooms_rooms_out_of_order(self, start, end) -> list[int] | None:
        blocked = [
            self.room_ids[number]
            for number, nights in sorted(self.out_of_order.items())
            if any(start.isoformat() <= night < end.isoformat() for night in nights)
        ]
        return blocked or None

    @hookimpl
    def pms_rooms_room_ready(self, room_id, room_number) -> bool | None:
        assert self.room_ids[room_number] == room_id
        self.asked_ready.append(room_number)
        return self.ready.get(room_number)


@pytest.fixture
async def housekeeping(hotel: Hotel) -> AsyncIterator[Housekeeping]:
    listener = Housekeeping()
    async with hotel.kit.transaction(hotel.prop) as session:
        rows = await session.execute(select(models.Room.number, models.Room.id))
        listener.room_ids = {number: room_id for number, room_id in rows}
    manager = hotel.kit.runtime.host.manager
    manager.register(listener, name="housekeeping-listener")
    try:
        yield listener
    finally:
        manager.unregister(listener)


async def test_a_room_out_of_order_is_left_out_of_availability_and_assignment(
    hotel: Hotel, key: str, housekeeping: Housekeeping
) -> None:
    housekeeping.out_of_order["101"] = {hotel.day(1)}
    assert await free_rooms(hotel, key, 0, 1) == {"DBL": 4, "STE": 1}
    assert await free_rooms(hotel, key, 1, 1) == {"DBL": 3, "STE": 1}
    assert await free_rooms(hotel, key, 0, 3) == {"DBL": 3, "STE": 1}
    d = hotel.day
    assert await calendar(hotel, 1, 2) == [(d(1), "DBL", 4, 0, 1, 3), (d(1), "STE", 1, 0, 0, 1)]

    # A stay over night 1 never gets room 101; one before it does.
    over = await hotel.book("o-1", arrive=0, nights=3)
    assert over["room"]["number"] == "102"
    before = await hotel.book("o-2", arrive=0, nights=1)
    assert before["room"]["number"] == "101"
    # Three doubles are sold on night 1 and the fourth is out of order: none left.
    await hotel.book("o-3", arrive=1, nights=1)
    await hotel.book("o-4", arrive=1, nights=1)
    assert await free_rooms(hotel, key, 1, 1) == {"STE": 1}
    await hotel.fails("bookReservation", _booking(hotel, "o-5", ("DBL", 1, 1)), "NOT_AVAILABLE")
    # Asking for the room by hand is refused too.
    booking = _booking(hotel, "o-6", ("DBL", 1, 1))
    booking["stays"][0]["room"] = "101"
    error = await hotel.fails("bookReservation", booking, "ROOM_OUT_OF_ORDER")
    assert error["field"] == ["stays", "0", "room"]

    housekeeping.out_of_order.clear()  # repaired
    assert await free_rooms(hotel, key, 1, 1) == {"DBL": 1, "STE": 1}


async def test_the_calendar_agrees_with_availability_when_a_sold_room_goes_out_of_order(
    hotel: Hotel, key: str, housekeeping: Housekeeping
) -> None:
    booked = await hotel.book("sold", arrive=1, nights=1)
    assert booked["room"]["number"] == "101"
    housekeeping.out_of_order["101"] = {hotel.day(1)}  # blocked after it was sold
    assert await free_rooms(hotel, key, 1, 1) == {"DBL": 3, "STE": 1}
    ((_, _, rooms, sold, blocked, free), _) = await calendar(hotel, 1, 2)
    assert (rooms, sold, blocked) == (4, 1, 1)
    assert free == 3


async def test_check_in_to_a_room_out_of_order_is_refused(
    hotel: Hotel, housekeeping: Housekeeping
) -> None:
    reservation = await hotel.book("oo-1", arrive=0, nights=2)
    assert reservation["room"]["number"] == "101"
    housekeeping.out_of_order["101"] = {hotel.day(0)}
    before = await hotel.snapshot()
    error = await hotel.fails(
        "checkInReservation", {"reservation": reservation["id"]}, "ROOM_OUT_OF_ORDER"
    )
    assert "101" in error["message"]
    assert await hotel.snapshot() == before
    # The front desk moves the guest to a room in order and checks in there.
    await hotel.ok("moveReservationRoom", {"reservation": reservation["id"], "room": "103"})
    checked_in = await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    assert checked_in["reservation"]["room"]["number"] == "103"


async def test_check_in_waits_for_the_room_to_be_ready(
    hotel: Hotel, housekeeping: Housekeeping
) -> None:
    first = await hotel.book("ready-1", arrive=0, nights=1)
    second = await hotel.book("ready-2", arrive=0, nights=1)
    assert (first["room"]["number"], second["room"]["number"]) == ("101", "102")

    housekeeping.ready["101"] = False
    before = await hotel.snapshot()
    error = await hotel.fails("checkInReservation", {"reservation": first["id"]}, "ROOM_NOT_READY")
    assert (error["room"], error["field"]) == ("101", ["reservation"])
    assert await hotel.snapshot() == before
    assert (await hotel.reservation(first["id"]))["status"] == "CONFIRMED"

    housekeeping.ready["101"] = True  # cleaned and inspected
    done = await hotel.ok("checkInReservation", {"reservation": first["id"]})
    assert done["reservation"]["status"] == "IN_HOUSE"
    # No opinion on 102: ready.
    done = await hotel.ok("checkInReservation", {"reservation": second["id"]})
    assert done["reservation"]["status"] == "IN_HOUSE"
    assert housekeeping.asked_ready == ["101", "101", "102"]
