"""Who may do what in the hotel, per built-in role, over real HTTP: one table, one column per
role. A refused root field is a top-level FORBIDDEN error and changes nothing; a node the
role may not read answers null; Reservation.guest, .folio and .ratePlan are null with a
FORBIDDEN error for a role that may read reservations but not guests, folios or rates."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from hotel_kit import MUTATIONS, Hotel, mutation_document

from core.testing import GraphQLResult, UserRef

ROLES = ("front_desk", "housekeeping", "viewer", "cashier", "manager")
# x: allowed, .: refused; one column per role, in the order of ROLES.
MATRIX = """
hotelSettings          x . x . x
roomTypes              x x x . x
rooms                  x x x . x
ratePlans              x . x . x
reservations           x . x . x
reservationByNumber    x . x . x
arrivals               x . x . x
departures             x . x . x
inHouse                x . x . x
guests                 x . x . x
Reservation.guest      x . x . x
Reservation.folio      x . x . x
Reservation.ratePlan   x . x . x
node:Reservation       x . x . x
node:Guest             x . x . x
node:Folio             x . x . x
node:Room              x x x . x
createRoomType         . . . . x
createRoom             . . . . x
createRatePlan         . . . . x
setRateOverride        . . . . x
updateHotelSettings    . . . . x
bookReservation        x . . . x
changeReservation      x . . . x
cancelReservation      x . . . x
markNoShow             x . . . x
checkInReservation     x . . . x
revertCheckIn          x . . . x
checkOutReservation    x . . . x
moveReservationRoom    x . . . x
postFolioEntry         x . . . x
setReservationBilling  x . . . x
updateGuest            x . . . x
runNightAudit          . . . . x
"""
ALLOWED: dict[str, frozenset[str]] = {
    op: frozenset(role for role, mark in zip(ROLES, marks, strict=True) if mark == "x")
    for op, *marks in (line.split() for line in MATRIX.strip().splitlines())
}
WRITES = [op for op in ALLOWED if op in MUTATIONS or op == "runNightAudit"]
RESERVATION_CHILD = "{ reservations { edges { node { number %s } } } }"
READS: dict[str, str] = {
    "hotelSettings": "{ hotelSettings { businessDate } }",
    "roomTypes": "{ roomTypes { code } }",
    "rooms": "{ rooms { totalCount } }",
    "ratePlans": "{ ratePlans { code } }",
    "reservations": "{ reservations { totalCount } }",
    "reservationByNumber": '{ reservationByNumber(number: "1001-1") { number } }',
    "arrivals": "{ arrivals { number } }",
    "departures": "{ departures { number } }",
    "inHouse": "{ inHouse { number } }",
    "guests": "{ guests { totalCount } }",
    "Reservation.guest": RESERVATION_CHILD % "guest { lastName }",
    "Reservation.folio": RESERVATION_CHILD % "folio { balance { amount } }",
    "Reservation.ratePlan": RESERVATION_CHILD % "ratePlan { code }",
    "node:Reservation": "query($id: ID!) { node(id: $id) { ... on Reservation { number } } }",
    "node:Guest": "query($id: ID!) { node(id: $id) { ... on Guest { lastName } } }",
    "node:Folio": "query($id: ID!) { node(id: $id) { ... on Folio { number } } }",
    "node:Room": "query($id: ID!) { node(id: $id) { ... on Room { number } } }",
}
CHILD_VALUE = {
    "Reservation.guest": ("guest", {"lastName": "Lovelace"}),
    "Reservation.folio": ("folio", {"balance": {"amount": "12.00"}}),
    "Reservation.ratePlan": ("ratePlan", {"code": "BAR-DBL"}),
}
SAVE_ROLE = (
    "mutation($name: String!, $permissions: [String!]!) { saveRole(input: {name: $name,"
    " permissions: $permissions}) { errors { code message } } }"
)


def codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


def assert_forbidden(result: GraphQLResult, field: str) -> None:
    assert result.status == 200, result.body
    assert codes(result) == ["FORBIDDEN"], (field, result.body)
    assert result.errors[0]["path"] == [field], result.body
    assert result.data is None or result.data.get(field) is None, result.body


async def role_user(hotel: Hotel, role: str) -> UserRef:
    return await hotel.kit.user(hotel.tenant, f"{role}@sea.example", role=role, property=hotel.prop)


async def role_token(hotel: Hotel, role: str) -> str:
    return await hotel.kit.token_for(await role_user(hotel, role))


def test_the_table_covers_every_rooms_mutation() -> None:
    assert set(WRITES) == {*MUTATIONS, "runNightAudit"}


async def ids_of(hotel: Hotel, reservation: dict[str, Any]) -> dict[str, str]:
    rooms = await hotel.query("{ rooms(first: 1) { edges { node { id } } } }")
    return {
        "node:Reservation": reservation["id"],
        "node:Guest": reservation["guest"]["id"],
        "node:Folio": reservation["folio"]["id"],
        "node:Room": rooms["rooms"]["edges"][0]["node"]["id"],
    }


@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_read(hotel: Hotel, role: str) -> None:
    reservation = await hotel.book("k1", arrive=0, nights=2)  # by the owner
    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    await hotel.ok(
        "postFolioEntry",
        {"reservation": reservation["id"], "kind": "charge", "amount": "12.00",
         "description": "Minibar"},
    )  # fmt: skip
    ids = await ids_of(hotel, reservation)
    token = await role_token(hotel, role)

    for op, document in READS.items():
        variables: dict[str, Any] | None = None
        if op in ids:
            variables = {"id": ids[op]}
        result = await hotel.request(document, variables, token=token)
        allowed = role in ALLOWED[op]
        if op.startswith("node:"):  # a node the role may not read answers like a missing one
            node = result.ok()["node"]
            assert (node is not None) is allowed, (op, role, node)
        elif op in CHILD_VALUE:
            child, value = CHILD_VALUE[op]
            if allowed:
                (edge,) = result.ok()["reservations"]["edges"]
                assert edge["node"] == {"number": "1001-1", child: value}, (op, role)
            else:
                assert_forbidden(result, "reservations")
        elif allowed:
            assert result.ok()[op] is not None, (op, role)
        else:
            assert_forbidden(result, op)


# Availability is public (a booking engine's publishable key will do); its calendar tells
# who stays when. x: allowed, one column per role as above.
AVAILABILITY_MATRIX = {"availability": "x x x x x", "availabilityCalendar": "x . x . x"}
AVAILABILITY_READS = {
    "availability": "query($day: Date!, $next: Date!) {"
    " availability(arrival: $day, departure: $next) { roomTypeCode freeRooms } }",
    "availabilityCalendar": "query($day: Date!, $next: Date!) {"
    " availabilityCalendar(from: $day, to: $next) { roomTypeCode free } }",
}


@pytest.mark.parametrize("role", ROLES)
async def test_who_may_ask_what_is_free(hotel: Hotel, role: str) -> None:
    await hotel.book("k1", arrive=0, nights=1)
    token = await role_token(hotel, role)
    variables = {"day": hotel.day(0), "next": hotel.day(1)}
    for op, document in AVAILABILITY_READS.items():
        result = await hotel.request(document, variables, token=token)
        allowed = AVAILABILITY_MATRIX[op].split()[ROLES.index(role)] == "x"
        if allowed:
            assert len(result.ok()[op]) == 2, (op, role)  # DBL and STE
        else:
            assert_forbidden(result, op)


def _stay(hotel: Hotel, arrive: int, nights: int = 1) -> dict[str, Any]:
    return {
        "roomType": "DBL", "ratePlan": "BAR-DBL", "arrival": hotel.day(arrive),
        "departure": hotel.day(arrive + nights),
    }  # fmt: skip


async def prepare(hotel: Hotel, op: str) -> dict[str, Any] | None:
    """The input of ``op``, on something made for it by the owner (who may do anything);
    each reservation has nights of its own so that none is sold out."""
    simple: dict[str, dict[str, Any]] = {
        "createRoomType": {"code": "FAM", "name": "Family", "capacity": 5},
        "createRoom": {"number": "201", "roomType": "DBL"},
        "createRatePlan": {"code": "PROMO", "name": "Promo", "roomType": "DBL", "price": "99.00"},
        "setRateOverride": {"ratePlan": "BAR-DBL", "from": hotel.day(30), "to": hotel.day(31),
                            "price": "99.00"},
        "updateHotelSettings": {"checkInTime": "14:00"},
        "bookReservation": {"idempotencyKey": "role-booking", "guest": {"lastName": "Hopper"},
                            "stays": [_stay(hotel, 10)]},
    }  # fmt: skip
    if op in simple:
        return simple[op]
    if op == "runNightAudit":
        hotel.kit.clock.advance(dt.timedelta(days=1))  # the day is over
        return None
    arrive = {
        "changeReservation": 5, "cancelReservation": 6, "markNoShow": 0,
        "checkInReservation": 0, "revertCheckIn": 0, "checkOutReservation": 0,
        "moveReservationRoom": 7, "postFolioEntry": 8, "setReservationBilling": 9,
        "updateGuest": 11,
    }[op]  # fmt: skip
    reservation = await hotel.book(f"for-{op}", arrive=arrive, nights=1)
    if op in ("revertCheckIn", "checkOutReservation"):
        await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    target = {"reservation": reservation["id"]}
    more: dict[str, dict[str, Any]] = {
        "changeReservation": {"departure": hotel.day(arrive + 2)},
        "cancelReservation": {"reason": "plans changed"},
        "moveReservationRoom": {"room": "104"},
        "postFolioEntry": {"kind": "charge", "amount": "5.00", "description": "Laundry"},
        "setReservationBilling": {"noPost": True},
    }
    if op == "updateGuest":
        return {"guest": reservation["guest"]["id"], "profile": {"lastName": "Byron"}}
    return {**target, **more.get(op, {})}


@pytest.mark.parametrize("role", ROLES)
async def test_what_each_role_may_change(hotel: Hotel, role: str) -> None:
    user = await role_user(hotel, role)
    for op in WRITES:  # runNightAudit comes last: it moves the clock on
        input = await prepare(hotel, op)
        token = await hotel.kit.token_for(user)  # a day later, yesterday's token has expired
        if op == "runNightAudit":
            document = "mutation { runNightAudit { closedBusinessDate errors { code } } }"
            variables = None
        else:
            document = (
                f"mutation($input: {MUTATIONS[op][0]}!) {{ {op}(input: $input) {{"
                " errors { code message } } }"
            )
            variables = {"input": input}
        before = await hotel.snapshot()
        result = await hotel.request(document, variables, token=token)
        if role in ALLOWED[op]:
            assert result.ok()[op]["errors"] == [], (op, role)
            assert await hotel.snapshot() != before, (op, role)
        else:
            assert_forbidden(result, op)
            assert await hotel.snapshot() == before, (op, role)


async def test_the_night_audit_is_closed_by_a_manager_only(hotel: Hotel) -> None:
    hotel.kit.clock.advance(dt.timedelta(days=1))
    document = "mutation { runNightAudit { closedBusinessDate businessDate errors { code } } }"
    for role in ("front_desk", "viewer"):
        result = await hotel.request(document, token=await role_token(hotel, role))
        assert_forbidden(result, "runNightAudit")
    result = await hotel.request(document, token=await role_token(hotel, "manager"))
    assert result.ok()["runNightAudit"] == {
        "closedBusinessDate": hotel.day(0), "businessDate": hotel.day(1), "errors": [],
    }  # fmt: skip


# -- a role that reads reservations but not guests, folios or rates ---------------------


async def custom_role_token(hotel: Hotel, name: str, patterns: list[str]) -> str:
    saved = await hotel.kit.graphql(
        SAVE_ROLE, {"name": name, "permissions": patterns}, tenant=hotel.tenant
    )
    assert saved.ok()["saveRole"]["errors"] == [], saved.body
    return await role_token(hotel, name)


async def test_reservation_guest_folio_and_rate_are_null_for_a_role_without_them(
    hotel: Hotel,
) -> None:
    token = await custom_role_token(
        hotel, "reservations_clerk", ["property:read", "reservations:*", "rooms:read"]
    )
    reservation = await hotel.book("k1", arrive=0, nights=2)
    result = await hotel.request(
        "query($id: ID!) { node(id: $id) { ... on Reservation {"
        " number status room { number } guest { lastName } folio { number } ratePlan { code }"
        " } } }",
        {"id": reservation["id"]},
        token=token,
    )
    assert result.data == {
        "node": {"number": "1001-1", "status": "CONFIRMED", "room": {"number": "101"},
                 "guest": None, "folio": None, "ratePlan": None},
    }, result.body  # fmt: skip
    refused = zip([tuple(e["path"]) for e in result.errors], codes(result), strict=True)
    assert sorted(refused) == [
        (("node", "folio"), "FORBIDDEN"), (("node", "guest"), "FORBIDDEN"),
        (("node", "ratePlan"), "FORBIDDEN"),
    ]  # fmt: skip

    # The clerk books; the payload shows the reservation but not the guest or folio.
    booked = await hotel.request(
        mutation_document("bookReservation"),
        {"input": {"idempotencyKey": "clerk", "guest": {"lastName": "Hopper"},
                   "stays": [_stay(hotel, 1)]}},
        token=token,
    )  # fmt: skip
    payload = booked.data["bookReservation"]  # type: ignore[index]
    assert payload["errors"] == []
    (row,) = payload["reservations"]
    assert (row["number"], row["guest"], row["folio"], row["ratePlan"]) == (
        "1002-1", None, None, None,
    )  # fmt: skip
    assert set(codes(booked)) == {"FORBIDDEN"}
    assert {e["path"][-1] for e in booked.errors} == {"guest", "folio", "ratePlan"}
    # The owner sees the guest the clerk booked.
    assert (await hotel.reservation(row["id"]))["guest"]["lastName"] == "Hopper"

    # Folios, guests and rates stay shut to the clerk at the root as well.
    for field in ("guests", "ratePlans"):
        result = await hotel.request(f"{{ {field} {{ __typename }} }}", token=token)
        assert_forbidden(result, field)
    before = await hotel.snapshot()
    refused = await hotel.request(
        "mutation($input: PostFolioEntryInput!) { postFolioEntry(input: $input) {"
        " errors { code } } }",
        {"input": {"reservation": reservation["id"], "kind": "charge", "amount": "1.00",
                   "description": "x"}},
        token=token,
    )  # fmt: skip
    assert_forbidden(refused, "postFolioEntry")
    assert await hotel.snapshot() == before


async def test_a_role_with_guests_only_reads_and_changes_profiles(hotel: Hotel) -> None:
    token = await custom_role_token(hotel, "guest_relations", ["property:read", "guests:*"])
    reservation = await hotel.book("k1", arrive=0, nights=2)
    guest_id = reservation["guest"]["id"]
    result = await hotel.request(
        "query($id: ID!) { node(id: $id) { ... on Guest { lastName email } } }",
        {"id": guest_id},
        token=token,
    )
    assert result.ok() == {"node": {"lastName": "Lovelace", "email": "lovelace@ex.com"}}
    updated = await hotel.send(
        "updateGuest",
        {"guest": guest_id, "profile": {"lastName": "Lovelace", "note": "prefers tea"}},
        token=token,
    )
    assert updated["errors"] == []
    assert_forbidden(await hotel.request("{ reservations { totalCount } }", token=token),
                     "reservations")  # fmt: skip


async def test_a_guest_s_stays_are_null_without_reservations_read(hotel: Hotel) -> None:
    token = await custom_role_token(hotel, "guest_relations", ["property:read", "guests:*"])
    reservation = await hotel.book("k1", arrive=0, nights=2)
    result = await hotel.request(
        "query($id: ID!) { node(id: $id) { ... on Guest { lastName stays { totalCount } } } }",
        {"id": reservation["guest"]["id"]},
        token=token,
    )
    assert codes(result) == ["FORBIDDEN"] and result.errors[0]["path"] == ["node", "stays"]
    assert result.data == {"node": {"lastName": "Lovelace", "stays": None}}, result.body
