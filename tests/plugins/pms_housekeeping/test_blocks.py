"""Out-of-order and out-of-service blocks: an out-of-order room leaves availability and
assignment for its nights and comes back when released; a block over a sold night is
refused, naming the reservations; bad dates are refused and change nothing."""

from __future__ import annotations

from housekeeping_kit import Housekeeping

FREE_ROOMS = """
query($arrival: Date!, $departure: Date!) {
  availability(arrival: $arrival, departure: $departure, adults: 1, children: 0) {
    roomTypeCode freeRooms
  }
}
"""


async def free_rooms(hk: Housekeeping, arrive: int, nights: int) -> dict[str, int]:
    day = hk.hotel.day
    data = await hk.hotel.query(
        FREE_ROOMS, {"arrival": day(arrive), "departure": day(arrive + nights)}
    )
    return {o["roomTypeCode"]: o["freeRooms"] for o in data["availability"]}


def block(hk: Housekeeping, room: str, start: int, end: int, kind: str = "OUT_OF_ORDER") -> dict:
    day = hk.hotel.day
    return {"room": room, "kind": kind, "reason": "Leaking shower", "start": day(start),
            "end": day(end)}  # fmt: skip


async def test_an_out_of_order_room_leaves_availability_for_its_nights(hk: Housekeeping) -> None:
    hotel = hk.hotel
    assert await free_rooms(hk, 0, 1) == {"DBL": 4, "STE": 1}
    made = await hk.ok("createRoomBlock", block(hk, "301", 1, 3), by=hk.sofia)
    assert (made["block"]["status"], made["block"]["room"]["number"]) == ("ACTIVE", "301")

    assert await free_rooms(hk, 0, 1) == {"DBL": 4, "STE": 1}  # the night before
    assert await free_rooms(hk, 1, 1) == {"DBL": 4}  # the only suite is out
    assert await free_rooms(hk, 3, 2) == {"DBL": 4, "STE": 1}  # back on its end date
    booking = {
        "idempotencyKey": "suite", "guest": {"lastName": "Hopper"},
        "stays": [{"roomType": "STE", "ratePlan": "BAR-STE", "arrival": hotel.day(0),
                   "departure": hotel.day(2)}],
    }  # fmt: skip
    await hotel.fails("bookReservation", booking, "NOT_AVAILABLE")
    board = await hk.board()
    assert board["counts"]["outOfOrder"] == 0  # not tonight yet

    await hk.ok("releaseRoomBlock", {"block": made["block"]["id"]}, by=hk.sofia)
    assert await free_rooms(hk, 1, 1) == {"DBL": 4, "STE": 1}
    await hotel.ok("bookReservation", booking)


async def test_a_block_tonight_shows_on_the_board_and_released_ends_today(
    hk: Housekeeping,
) -> None:
    made = await hk.ok("createRoomBlock", block(hk, "104", 0, 5), by=hk.sofia)
    room = await hk.room("104")
    assert room["block"] == {"kind": "OUT_OF_ORDER", "reason": "Leaking shower"}
    assert (await hk.board())["counts"]["outOfOrder"] == 1
    await hk.hotel.audit()  # a night passes with the room out of order
    released = await hk.ok("releaseRoomBlock", {"block": made["block"]["id"]}, by=hk.sofia)
    # It did block last night: kept on the record, ending today.
    assert (released["block"]["status"], released["block"]["end"]) == (
        "RELEASED", hk.hotel.day(1),
    )  # fmt: skip
    assert (await hk.room("104"))["block"] is None
    await hk.fails("releaseRoomBlock", {"block": made["block"]["id"]}, "INVALID_TRANSITION",
                   by=hk.sofia)  # fmt: skip


async def test_an_out_of_order_block_over_sold_nights_names_the_reservations(
    hk: Housekeeping,
) -> None:
    hotel = hk.hotel
    first = await hotel.book("a", arrive=1, nights=2, room="102", last_name="Curie")
    second = await hotel.book("b", arrive=4, nights=1, room="102", last_name="Meitner")
    before = await hk.snapshot()
    error = await hk.fails(
        "createRoomBlock", block(hk, "102", 0, 10), "ROOM_HAS_STAYS", by=hk.sofia
    )
    assert error["reservations"] == [first["number"], second["number"]]
    assert first["number"] in error["message"] and second["number"] in error["message"]
    assert error["room"] == "102"
    assert await hk.snapshot() == before
    # Out of service is still sold: allowed over the stays.
    await hk.ok("createRoomBlock", block(hk, "102", 0, 10, "OUT_OF_SERVICE"), by=hk.sofia)
    assert await free_rooms(hk, 0, 1) == {"DBL": 4, "STE": 1}
    # The front desk moves the guests; the room can then go out of order (after the
    # out-of-service block is called off).
    await hotel.ok("moveReservationRoom", {"reservation": first["id"], "room": "103"})
    await hotel.ok("moveReservationRoom", {"reservation": second["id"], "room": "103"})
    (oos,) = [b for b in await _blocks(hk) if b["kind"] == "OUT_OF_SERVICE"]
    await hk.ok("releaseRoomBlock", {"block": oos["id"]}, by=hk.sofia)
    await hk.ok("createRoomBlock", block(hk, "102", 0, 10), by=hk.sofia)


async def _blocks(hk: Housekeeping) -> list[dict]:
    data = await hk.hotel.query(
        "{ roomBlocks(first: 50) { edges { node { id kind status start end } } } }"
    )
    return [e["node"] for e in data["roomBlocks"]["edges"]]


async def test_bad_blocks_are_refused_and_change_nothing(hk: Housekeeping) -> None:
    await hk.ok("createRoomBlock", block(hk, "103", 2, 4), by=hk.sofia)
    before = await hk.snapshot()
    reversed_dates = await hk.fails(
        "createRoomBlock", block(hk, "101", 5, 3), "INVALID_INPUT", by=hk.sofia
    )
    assert reversed_dates["field"] == ["end"]
    same_day = await hk.fails(
        "createRoomBlock", block(hk, "101", 3, 3), "INVALID_INPUT", by=hk.sofia
    )
    assert same_day["field"] == ["end"]
    past = await hk.fails("createRoomBlock", block(hk, "101", -1, 2), "INVALID_INPUT", by=hk.sofia)
    assert past["field"] == ["start"]
    blank = {**block(hk, "101", 0, 1), "reason": "  "}
    assert (await hk.fails("createRoomBlock", blank, "INVALID_INPUT", by=hk.sofia))["field"] == [
        "reason"
    ]
    await hk.fails("createRoomBlock", block(hk, "999", 0, 1), "NOT_FOUND", by=hk.sofia)
    overlap = await hk.fails(
        "createRoomBlock", block(hk, "103", 3, 6, "OUT_OF_SERVICE"), "BLOCK_OVERLAPS",
        by=hk.sofia,
    )  # fmt: skip
    assert overlap["room"] == "103"
    await hk.fails("releaseRoomBlock", {"block": "Um9vbUJsb2NrOjk5OQ=="}, "NOT_FOUND", by=hk.sofia)
    assert await hk.snapshot() == before
