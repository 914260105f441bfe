"""The housekeeping board: every room with its condition, occupancy, today's arrival and
departure, block and open tasks; filters by floor, condition, occupancy and assignee;
the same number of SQL statements for 5 rooms as for 25."""

from __future__ import annotations

from housekeeping_kit import BOARD, Housekeeping
from statement_count import counting


async def test_the_board_shows_each_room_and_filters(hk: Housekeeping) -> None:
    hotel = hk.hotel
    staying = await hotel.book("in-house", nights=2, room="102", last_name="Curie")
    await hotel.ok("checkInReservation", {"reservation": staying["id"]})
    await hotel.book("arriving", nights=1, room="103", last_name="Noether")
    await hk.ok("setRoomCondition", {"room": "104", "condition": "DIRTY", "note": "spill"},
                by=hk.sofia)  # fmt: skip
    cleaning = await hk.ok(
        "createHousekeepingTask", {"room": "104", "kind": "DEPARTURE", "assignee": hk.ivo.id},
        by=hk.sofia,
    )  # fmt: skip
    await hk.ok(
        "createRoomBlock",
        {"room": "301", "kind": "OUT_OF_SERVICE", "reason": "Minibar broken",
         "start": hotel.day(0), "end": hotel.day(2)}, by=hk.sofia,
    )  # fmt: skip

    board = await hk.board(by=hk.fred)
    assert board["businessDate"] == hotel.day(0)
    rows = {r["number"]: r for r in board["rooms"]}
    assert list(rows) == ["101", "102", "103", "104", "301"]
    assert (rows["102"]["occupancy"], rows["102"]["departureToday"]) == ("OCCUPIED", False)
    assert (rows["103"]["arrivalToday"], rows["103"]["occupancy"]) == (True, "VACANT")
    assert rows["104"]["condition"] == "DIRTY"
    assert rows["104"]["assignee"] == {"name": "ivo"}
    assert [t["id"] for t in rows["104"]["openTasks"]] == [cleaning["task"]["id"]]
    assert rows["301"]["block"] == {"kind": "OUT_OF_SERVICE", "reason": "Minibar broken"}
    assert board["counts"] == {
        "dirty": 1, "clean": 4, "inspected": 0, "vacant": 4, "occupied": 1, "outOfOrder": 0,
        "outOfService": 1, "arrivals": 1, "departures": 0,
    }  # fmt: skip

    def numbers(board: dict) -> list[str]:
        return [r["number"] for r in board["rooms"]]

    assert numbers(await hk.board(floor="3")) == ["301"]
    assert numbers(await hk.board(condition="DIRTY")) == ["104"]
    assert numbers(await hk.board(occupancy="OCCUPIED")) == ["102"]
    assert numbers(await hk.board(assignee=hk.ivo.id)) == ["104"]
    assert numbers(await hk.board(assignee=hk.hanna.id)) == []
    assert numbers(await hk.board(floor="1", condition="CLEAN")) == ["101", "102", "103"]
    # The stays themselves, for whoever may read reservations.
    stays = await hotel.query(
        "{ housekeepingBoard { rooms { number arrival { number } inHouse { guest { lastName } } }"
        " } }"
    )
    by_number = {r["number"]: r for r in stays["housekeepingBoard"]["rooms"]}
    assert by_number["102"]["inHouse"] == {"guest": {"lastName": "Curie"}}
    assert by_number["103"]["arrival"]["number"].endswith("-1")


async def test_the_board_costs_the_same_statements_for_more_rooms(hk: Housekeeping) -> None:
    hotel = hk.hotel

    async def statements() -> int:
        with counting(hk.kit) as log:
            data = await hotel.query(BOARD, {"filter": None})
        assert all(r["openTasks"] for r in data["housekeepingBoard"]["rooms"])
        return len(log.statements)

    async def dirty_with_task(number: str) -> None:
        await hk.ok("setRoomCondition", {"room": number, "condition": "DIRTY"}, by=hk.sofia)
        await hk.ok("createHousekeepingTask",
                    {"room": number, "kind": "DEPARTURE", "assignee": hk.hanna.id},
                    by=hk.sofia)  # fmt: skip

    for number in ("101", "102", "103", "104", "301"):
        await dirty_with_task(number)
    await hotel.query(BOARD, {"filter": None})  # the schema is built; not counted
    few = await statements()
    for n in range(20):
        number = f"2{n:02d}"
        await hotel.ok("createRoom", {"number": number, "roomType": "DBL", "floor": "2"})
        await dirty_with_task(number)
    assert await statements() == few


async def test_a_failing_sibling_field_leaves_the_board_a_clean_answer(hk: Housekeeping) -> None:
    """A field that fails (a bad cursor, after reading its room) cancels the board beside
    it while the board's assignees are being read; the response is that failure, not a
    500 from closing the request's session under the read (found by fuzzing the schema,
    tests/e2e/test_schema_fuzzing.py)."""
    await hk.ok("createHousekeepingTask", {"room": "104", "kind": "DEPARTURE",
                                           "assignee": hk.ivo.id}, by=hk.sofia)  # fmt: skip
    both = (
        "{ board: housekeepingBoard { businessDate }"
        ' changes: roomConditionChanges(room: "104", after: "not a cursor") { totalCount } }'
    )
    for _ in range(3):
        result = await hk.hotel.request(both)
        assert result.status == 200 and result.data is None, result.body
        assert [e["extensions"]["code"] for e in result.errors] == ["BAD_CURSOR"]
    assert (await hk.board())["businessDate"] == hk.hotel.day(0)
