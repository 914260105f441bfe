"""The front desk's day: arrivals, departures and guests in house on the business date,
a check-in undone, guest profiles that recognise a returning guest, finding reservations,
and bookings of several rooms that are made whole or not at all."""

from __future__ import annotations

from typing import Any

import pytest
from hotel_kit import Hotel

LIST_FIELDS = "number status guest { lastName } room { number }"
FRONT_DESK = f"""
query($date: Date) {{
  arrivals(date: $date) {{ {LIST_FIELDS} }}
  departures(date: $date) {{ {LIST_FIELDS} }}
  inHouse {{ {LIST_FIELDS} }}
  hotelSettings {{ businessDate }}
}}
"""
RESERVATIONS = """
query($filter: ReservationFilter, $first: Int) {
  reservations(filter: $filter, first: $first) {
    totalCount edges { node { number status arrival guest { lastName } } }
  }
}
"""
BY_NUMBER = "query($n: String!) { reservationByNumber(number: $n) { number status } }"
GUEST = """
query($id: ID!) {
  node(id: $id) {
    ... on Guest {
      id firstName lastName email phone preferences note
      stays { totalCount edges { node { number arrival status } } }
    }
  }
}
"""


def listed(rows: list[dict[str, Any]]) -> list[tuple[str, str, str]]:
    return [(r["number"], r["status"], r["guest"]["lastName"]) for r in rows]


async def front_desk(hotel: Hotel, date: str | None = None) -> dict[str, Any]:
    data = await hotel.query(FRONT_DESK, {"date": date})
    return {
        "date": data["hotelSettings"]["businessDate"],
        "arrivals": listed(data["arrivals"]),
        "departures": listed(data["departures"]),
        "in_house": listed(data["inHouse"]),
    }


async def pay_up(hotel: Hotel, reservation: dict[str, Any]) -> None:
    balance = (await hotel.reservation(reservation["id"]))["folio"]["balance"]["amount"]
    await hotel.ok(
        "postFolioEntry",
        {"reservation": reservation["id"], "kind": "payment", "amount": balance,
         "description": "Card"},
    )  # fmt: skip


# -- arrivals, departures, in house ------------------------------------------------------


async def test_the_lists_follow_the_business_date_through_the_night_audits(hotel: Hotel) -> None:
    ada = await hotel.book("a", arrive=0, nights=2, last_name="Lovelace")
    grace = await hotel.book("g", arrive=1, nights=1, last_name="Hopper")
    alan = await hotel.book("t", arrive=1, nights=2, last_name="Turing", room_type="STE")
    await hotel.book("later", arrive=5, nights=1, last_name="Later")
    A, G, T = ada["number"], grace["number"], alan["number"]

    assert await front_desk(hotel) == {
        "date": hotel.day(0), "arrivals": [(A, "CONFIRMED", "Lovelace")], "departures": [],
        "in_house": [],
    }  # fmt: skip
    await hotel.ok("checkInReservation", {"reservation": ada["id"]})
    assert await front_desk(hotel) == {
        "date": hotel.day(0), "arrivals": [(A, "IN_HOUSE", "Lovelace")], "departures": [],
        "in_house": [(A, "IN_HOUSE", "Lovelace")],
    }  # fmt: skip

    await hotel.audit()
    assert await front_desk(hotel) == {
        "date": hotel.day(1),
        "arrivals": [(G, "CONFIRMED", "Hopper"), (T, "CONFIRMED", "Turing")],
        "departures": [], "in_house": [(A, "IN_HOUSE", "Lovelace")],
    }  # fmt: skip
    for reservation in (grace, alan):
        await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    assert (await front_desk(hotel))["in_house"] == [
        (A, "IN_HOUSE", "Lovelace"), (G, "IN_HOUSE", "Hopper"), (T, "IN_HOUSE", "Turing"),
    ]  # fmt: skip

    await hotel.audit()
    assert await front_desk(hotel) == {
        "date": hotel.day(2), "arrivals": [],
        "departures": [(A, "IN_HOUSE", "Lovelace"), (G, "IN_HOUSE", "Hopper")],
        "in_house": [
            (A, "IN_HOUSE", "Lovelace"), (G, "IN_HOUSE", "Hopper"), (T, "IN_HOUSE", "Turing"),
        ],
    }  # fmt: skip
    await pay_up(hotel, grace)
    await hotel.ok("checkOutReservation", {"reservation": grace["id"]})
    # Checked out today: still among today's departures, no longer in house.
    assert await front_desk(hotel) == {
        "date": hotel.day(2), "arrivals": [],
        "departures": [(A, "IN_HOUSE", "Lovelace"), (G, "CHECKED_OUT", "Hopper")],
        "in_house": [(A, "IN_HOUSE", "Lovelace"), (T, "IN_HOUSE", "Turing")],
    }  # fmt: skip

    # Another day's lists, asked for by date: arrivals still to come or in house.
    earlier = await front_desk(hotel, hotel.day(1))
    assert earlier["arrivals"] == [(T, "IN_HOUSE", "Turing")]
    assert earlier["departures"] == []
    assert (await front_desk(hotel, hotel.day(5)))["arrivals"] == [("1004-1", "CONFIRMED", "Later")]


async def test_a_guest_who_never_came_leaves_the_arrivals_after_the_audit(hotel: Hotel) -> None:
    absent = await hotel.book("absent", arrive=0, nights=2, last_name="Absent")
    assert (await front_desk(hotel))["arrivals"] == [(absent["number"], "CONFIRMED", "Absent")]
    audit = await hotel.audit()
    assert audit["noShows"] == 1
    assert await front_desk(hotel, hotel.day(0)) == {
        "date": hotel.day(1), "arrivals": [], "departures": [], "in_house": [],
    }  # fmt: skip
    assert (await hotel.reservation(absent["id"]))["status"] == "NO_SHOW"


# -- undoing a check-in -----------------------------------------------------------------


async def test_a_check_in_is_reverted_the_same_day_but_not_once_a_night_is_charged(
    hotel: Hotel,
) -> None:
    reservation = await hotel.book("rv", arrive=0, nights=2)
    before = await hotel.snapshot()
    error = await hotel.fails(
        "revertCheckIn", {"reservation": reservation["id"]}, "INVALID_TRANSITION"
    )
    assert "confirmed" in error["message"]
    assert await hotel.snapshot() == before

    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    reverted = (await hotel.ok("revertCheckIn", {"reservation": reservation["id"]}))["reservation"]
    assert (reverted["status"], reverted["checkedInAt"]) == ("CONFIRMED", None)
    assert [h["kind"] for h in reverted["history"]] == ["booked", "checked_in", "check_in_reverted"]
    assert reverted["room"]["number"] == "101"
    desk = await front_desk(hotel)
    assert (desk["arrivals"], desk["in_house"]) == ([(reverted["number"], "CONFIRMED",
                                                      "Lovelace")], [])  # fmt: skip

    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    audit = await hotel.audit()
    assert audit["roomCharges"] == 1
    before = await hotel.snapshot()
    error = await hotel.fails(
        "revertCheckIn", {"reservation": reservation["id"]}, "INVALID_TRANSITION"
    )
    assert "a night has been charged" in error["message"]
    assert await hotel.snapshot() == before
    assert (await hotel.reservation(reservation["id"]))["status"] == "IN_HOUSE"


async def test_no_one_is_checked_in_to_a_room_its_last_guest_has_not_left(hotel: Hotel) -> None:
    leaving = await hotel.book("out", arrive=0, nights=1, last_name="Leaving")
    await hotel.ok("checkInReservation", {"reservation": leaving["id"]})
    await hotel.audit()  # day 1: Leaving is due out, still in room 101
    arriving = await hotel.book("in", arrive=1, nights=1, last_name="Arriving")
    assert arriving["room"]["number"] == "101"
    before = await hotel.snapshot()
    payload = await hotel.send("checkInReservation", {"reservation": arriving["id"]})
    assert payload["errors"] != [], payload
    assert await hotel.snapshot() == before


# -- guest profiles ---------------------------------------------------------------------


def _booking(hotel: Hotel, key: str, arrive: int, guest: dict[str, Any]) -> dict[str, Any]:
    return {
        "idempotencyKey": key, "guest": guest,
        "stays": [{"roomType": "DBL", "ratePlan": "BAR-DBL", "arrival": hotel.day(arrive),
                   "departure": hotel.day(arrive + 1)}],
    }  # fmt: skip


async def test_a_returning_guest_has_one_profile_with_every_stay(hotel: Hotel) -> None:
    first = await hotel.ok(
        "bookReservation",
        _booking(hotel, "r-1", 1, {"lastName": "Lovelace", "firstName": "Ada",
                                   "email": "ada@ex.com", "preferences": ["quiet"]}),
    )  # fmt: skip
    second = await hotel.ok(
        "bookReservation",
        _booking(hotel, "r-2", 4, {"lastName": "Lovelace", "firstName": "Augusta",
                                   "email": "ADA@ex.com ", "phone": "+44 20 1",
                                   "preferences": ["feather-free", "quiet"]}),
    )  # fmt: skip
    (one,), (two,) = first["reservations"], second["reservations"]
    assert one["guest"]["id"] == two["guest"]["id"]
    profile = (await hotel.query(GUEST, {"id": one["guest"]["id"]}))["node"]
    # Details the profile lacked are filled in; what it had is kept.
    assert {k: profile[k] for k in ("firstName", "email", "phone", "preferences")} == {
        "firstName": "Ada", "email": "ada@ex.com", "phone": "+44 20 1",
        "preferences": ["quiet", "feather-free"],
    }  # fmt: skip
    assert profile["stays"]["totalCount"] == 2
    assert [e["node"]["number"] for e in profile["stays"]["edges"]] == [
        two["number"], one["number"],
    ]  # latest arrival first  # fmt: skip

    # Another e-mail, or another last name with the same e-mail: someone else.
    other_mail = await hotel.ok(
        "bookReservation", _booking(hotel, "r-3", 2, {"lastName": "Lovelace", "email": "x@ex.com"})
    )
    other_name = await hotel.ok(
        "bookReservation", _booking(hotel, "r-4", 2, {"lastName": "Byron", "email": "ada@ex.com"})
    )
    no_mail = await hotel.ok("bookReservation", _booking(hotel, "r-5", 3, {"lastName": "Lovelace"}))
    ids = {p["reservations"][0]["guest"]["id"] for p in (first, other_mail, other_name, no_mail)}
    assert len(ids) == 4
    found = await hotel.query(
        '{ guests(filter: {search: "lovelace"}) { totalCount edges { node { email } } } }'
    )
    assert sorted(e["node"]["email"] for e in found["guests"]["edges"]) == [
        "", "ada@ex.com", "x@ex.com",
    ]  # fmt: skip


async def test_a_returning_guest_is_recognised_whatever_the_case_of_the_name(
    hotel: Hotel,
) -> None:
    first = await hotel.ok(
        "bookReservation", _booking(hotel, "c-1", 1, {"lastName": "Lovelace", "email": "a@ex.com"})
    )
    second = await hotel.ok(
        "bookReservation", _booking(hotel, "c-2", 2, {"lastName": "lovelace", "email": "a@ex.com"})
    )
    assert first["reservations"][0]["guest"]["id"] == second["reservations"][0]["guest"]["id"]


async def test_update_guest_changes_the_profile_every_stay_shows(hotel: Hotel) -> None:
    stay = await hotel.book("u-1", arrive=1, last_name="Lovelace")
    guest_id = stay["guest"]["id"]
    updated = await hotel.ok(
        "updateGuest",
        {"guest": guest_id,
         "profile": {"lastName": "King", "firstName": "Ada", "email": "Countess@Ex.com",
                     "preferences": ["high floor", " "]}},
    )  # fmt: skip
    assert updated["guest"] == {
        "id": guest_id, "lastName": "King", "email": "countess@ex.com",
        "preferences": ["high floor"],
    }  # fmt: skip
    assert (await hotel.reservation(stay["id"]))["guest"]["lastName"] == "King"

    # The next booking under the new name and e-mail finds the same profile.
    again = await hotel.ok(
        "bookReservation",
        _booking(hotel, "u-2", 3, {"lastName": "King", "email": "countess@ex.com"}),
    )
    assert again["reservations"][0]["guest"]["id"] == guest_id
    profile = (await hotel.query(GUEST, {"id": guest_id}))["node"]
    assert profile["stays"]["totalCount"] == 2

    before = await hotel.snapshot()
    for profile_input in (
        {"lastName": "King", "email": "not-an-address"},
        {"lastName": "  "},
    ):
        await hotel.fails(
            "updateGuest", {"guest": guest_id, "profile": profile_input}, "INVALID_INPUT"
        )
    await hotel.fails(
        "updateGuest", {"guest": stay["id"], "profile": {"lastName": "X"}}, "NOT_FOUND"
    )  # a reservation's id is not a guest's
    assert await hotel.snapshot() == before


# -- finding reservations ---------------------------------------------------------------


@pytest.fixture
async def booked(hotel: Hotel) -> dict[str, dict[str, Any]]:
    """Lovelace in house (1001-1), Hopper arriving tomorrow (1002-1), a booking of two rooms
    for Turing (1003-1, 1003-2), a canceled Lovelace stay (1004-1)."""
    ada = await hotel.book("f-1", arrive=0, nights=2, last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": ada["id"]})
    grace = await hotel.book("f-2", arrive=1, nights=2, last_name="Hopper")
    pair = await hotel.ok(
        "bookReservation",
        {"idempotencyKey": "f-3", "guest": {"lastName": "Turing", "email": "alan@ex.com"},
         "stays": [{"roomType": "DBL", "ratePlan": "BAR-DBL", "arrival": hotel.day(3),
                    "departure": hotel.day(5)},
                   {"roomType": "STE", "ratePlan": "BAR-STE", "arrival": hotel.day(3),
                    "departure": hotel.day(5), "adults": 3}]},
    )  # fmt: skip
    gone = await hotel.book("f-4", arrive=6, nights=1, last_name="Lovelace")
    await hotel.ok("cancelReservation", {"reservation": gone["id"]})
    return {
        "ada": ada, "grace": grace, "alan": pair["reservations"][0],
        "alan2": pair["reservations"][1], "gone": gone,
    }  # fmt: skip


async def found(hotel: Hotel, **filter: Any) -> list[str]:
    data = await hotel.query(RESERVATIONS, {"filter": filter})
    numbers = [e["node"]["number"] for e in data["reservations"]["edges"]]
    assert data["reservations"]["totalCount"] == len(numbers)
    return numbers


async def test_reservations_are_found_by_status_arrival_and_search(
    hotel: Hotel, booked: dict[str, dict[str, Any]]
) -> None:
    everyone = ["1001-1", "1002-1", "1003-1", "1003-2", "1004-1"]
    assert await found(hotel) == everyone  # by arrival
    assert await found(hotel, status=["CONFIRMED"]) == ["1002-1", "1003-1", "1003-2"]
    assert await found(hotel, status=["IN_HOUSE", "CANCELED"]) == ["1001-1", "1004-1"]
    assert await found(hotel, arrivalFrom=hotel.day(1), arrivalTo=hotel.day(3)) == [
        "1002-1", "1003-1", "1003-2",
    ]  # fmt: skip
    assert await found(hotel, arrivalFrom=hotel.day(4)) == ["1004-1"]
    assert await found(hotel, arrivalTo=hotel.day(0)) == ["1001-1"]
    # Search: a booking number finds every room of it, a reservation number just one.
    assert await found(hotel, search="1003") == ["1003-1", "1003-2"]
    assert await found(hotel, search=" 1003-2 ") == ["1003-2"]
    assert await found(hotel, search="100") == []
    # A last name, or part of one, in any case.
    assert await found(hotel, search="LOVELACE") == ["1001-1", "1004-1"]
    assert await found(hotel, search="hop") == ["1002-1"]
    assert await found(hotel, search="nobody") == []
    # One guest's reservations.
    guest = booked["ada"]["guest"]["id"]
    assert await found(hotel, guest=guest) == ["1001-1", "1004-1"]
    # Conditions combine.
    assert await found(hotel, search="lovelace", status=["CANCELED"]) == ["1004-1"]
    assert await found(hotel, search="turing", arrivalTo=hotel.day(2)) == []
    # Pages.
    data = await hotel.query(RESERVATIONS, {"filter": None, "first": 2})
    assert data["reservations"]["totalCount"] == 5
    assert [e["node"]["number"] for e in data["reservations"]["edges"]] == everyone[:2]


async def test_searching_for_wildcards_finds_only_what_matches_them(
    hotel: Hotel, booked: dict[str, dict[str, Any]]
) -> None:
    assert await found(hotel, search="%") == []
    assert await found(hotel, search="1_03") == []


async def test_a_reservation_is_found_by_its_number(
    hotel: Hotel, booked: dict[str, dict[str, Any]]
) -> None:
    for number in ("1003-2", " 1003-2"):
        data = await hotel.query(BY_NUMBER, {"n": number})
        assert data["reservationByNumber"] == {"number": "1003-2", "status": "CONFIRMED"}
    for number in ("1003", "9999-1", ""):
        assert (await hotel.query(BY_NUMBER, {"n": number}))["reservationByNumber"] is None


# -- several rooms in one booking --------------------------------------------------------


def _stay(hotel: Hotel, room_type: str, arrive: int, nights: int, **more: Any) -> dict[str, Any]:
    return {
        "roomType": room_type, "ratePlan": f"BAR-{room_type}", "arrival": hotel.day(arrive),
        "departure": hotel.day(arrive + nights), **more,
    }  # fmt: skip


async def test_a_booking_of_several_rooms_shares_a_number_guest_and_folios_of_their_own(
    hotel: Hotel,
) -> None:
    payload = await hotel.ok(
        "bookReservation",
        {"idempotencyKey": "family", "guest": {"lastName": "Curie", "email": "marie@ex.com"},
         "stays": [_stay(hotel, "DBL", 1, 2, adults=2), _stay(hotel, "STE", 1, 2, adults=2,
                                                              children=2),
                   _stay(hotel, "DBL", 2, 1, room="104")]},
    )  # fmt: skip
    assert (payload["bookingNumber"], payload["created"]) == ("1001", True)
    rows = payload["reservations"]
    assert [(r["number"], r["bookingNumber"], r["room"]["number"], r["total"]["amount"])
            for r in rows] == [
        ("1001-1", "1001", "101", "240.00"), ("1001-2", "1001", "301", "600.00"),
        ("1001-3", "1001", "104", "120.00"),
    ]  # fmt: skip
    assert len({r["guest"]["id"] for r in rows}) == 1
    assert len({r["folio"]["id"] for r in rows}) == 3
    assert [r["folio"]["number"] for r in rows] == ["1001-1", "1001-2", "1001-3"]
    # Each room is checked in on its own.
    await hotel.audit()
    done = await hotel.ok("checkInReservation", {"reservation": rows[1]["id"]})
    assert done["reservation"]["status"] == "IN_HOUSE"
    assert (await hotel.reservation(rows[0]["id"]))["status"] == "CONFIRMED"


@pytest.mark.parametrize("why", ["sold out", "same room twice", "restricted"])
async def test_a_booking_of_several_rooms_is_all_or_nothing(hotel: Hotel, why: str) -> None:
    await hotel.book("ste", arrive=1, nights=2, room_type="STE", last_name="First")
    stays = {
        "sold out": [_stay(hotel, "DBL", 1, 2), _stay(hotel, "STE", 1, 2)],
        "same room twice": [_stay(hotel, "DBL", 2, 1, room="102"),
                            _stay(hotel, "DBL", 2, 1, room="102")],
        "restricted": [_stay(hotel, "DBL", 3, 1), _stay(hotel, "STE", 3, 1)],
    }[why]  # fmt: skip
    code, field = {
        "sold out": ("NOT_AVAILABLE", ["stays", "1", "roomType"]),
        "same room twice": ("NOT_AVAILABLE", ["stays", "1", "room"]),
        "restricted": ("RESTRICTION", ["stays", "1", "arrival"]),
    }[why]
    before = await hotel.snapshot()
    rooms_before = await hotel.room_nights()
    error = await hotel.fails(
        "bookReservation",
        {"idempotencyKey": "group", "guest": {"lastName": "Group"}, "stays": stays},
        code,
    )
    assert error["field"] == field
    # Nothing was booked: no reservation, no room night, no guest, no booking number used.
    assert await hotel.snapshot() == before
    assert await hotel.room_nights() == rooms_before
    data = await hotel.query(RESERVATIONS, {"filter": {"search": "group"}})
    assert data["reservations"]["totalCount"] == 0
    # The same key then books what is possible, under the next number.
    retry = await hotel.ok(
        "bookReservation",
        {"idempotencyKey": "group", "guest": {"lastName": "Group"}, "stays": stays[:1]},
    )
    assert retry["bookingNumber"] == "1002"
