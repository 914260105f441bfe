"""A room turned over between two guests, end to end over HTTP: the check-out makes it
dirty with a departure task, the housekeeper cleans it, the supervisor inspects it, and
only then does the next guest's check-in go through."""

from __future__ import annotations

import asyncio
from typing import Any

from housekeeping_kit import Housekeeping


async def _guest_leaves_101_and_next_arrives(hk: Housekeeping) -> tuple[dict, dict]:
    hotel = hk.hotel
    first = await hotel.book("first", nights=1, room="101", last_name="Curie")
    await hotel.ok("checkInReservation", {"reservation": first["id"]})
    await hotel.audit()  # the next morning
    second = await hotel.book("second", arrive=1, nights=2, room="101", last_name="Noether")
    return first, second


async def test_check_out_clean_inspect_then_the_next_check_in(hk: Housekeeping) -> None:
    hotel = hk.hotel
    first, second = await _guest_leaves_101_and_next_arrives(hk)
    await hk.ok("updateHousekeepingSettings", {"inspectionRequired": True}, by=hk.sofia)
    before = await hk.room("101")
    assert (before["occupancy"], before["departureToday"], before["arrivalToday"]) == (
        "OCCUPIED", True, True,
    )  # fmt: skip

    await hotel.check_out_settled(first["id"])
    room = await hk.room("101")
    assert (room["condition"], room["occupancy"], room["arrivalToday"]) == (
        "DIRTY", "VACANT", True,
    )  # fmt: skip
    (task,) = room["openTasks"]
    assert (task["kind"], task["status"], task["arrivalToday"]) == ("DEPARTURE", "PENDING", True)

    # The next guest cannot have a dirty room.
    refused = await hotel.fails(
        "checkInReservation", {"reservation": second["id"]}, "ROOM_NOT_READY"
    )
    assert refused["room"] == "101"

    # The head of housekeeping gives the task to Hanna, who sees it on her phone and cleans.
    await hk.ok("assignHousekeepingTasks", {"tasks": [task["id"]], "assignee": hk.hanna.id},
                by=hk.sofia)  # fmt: skip
    assert [t["id"] for t in await hk.my_tasks(hk.hanna)] == [task["id"]]
    await hk.ok("startHousekeepingTask", {"task": task["id"]}, by=hk.hanna)
    done = await hk.ok("finishHousekeepingTask", {"task": task["id"]}, by=hk.hanna)
    assert done["task"]["status"] == "DONE"
    room = await hk.room("101")
    assert room["condition"] == "CLEAN"
    # Clean is not enough here: the property requires an inspection, now on the list.
    assert [t["kind"] for t in room["openTasks"]] == ["INSPECTION"]
    await hotel.fails("checkInReservation", {"reservation": second["id"]}, "ROOM_NOT_READY")

    inspected = await hk.ok("inspectRoom", {"room": "101", "passed": True}, by=hk.sofia)
    assert inspected["condition"] == "INSPECTED"
    assert inspected["change"]["reason"] == "inspected"
    room = await hk.room("101")
    assert (room["condition"], room["openTasks"]) == ("INSPECTED", [])
    (cleaning,) = await hk.tasks(kind=["DEPARTURE"])
    assert cleaning["status"] == "INSPECTED" and cleaning["inspectedAt"]

    checked_in = await hotel.ok("checkInReservation", {"reservation": second["id"]})
    assert checked_in["reservation"]["status"] == "IN_HOUSE"
    assert (await hk.room("101"))["occupancy"] == "OCCUPIED"
    assert await hk.history("101") == [
        ("CLEAN", "DIRTY", "check_out"),
        ("DIRTY", "CLEAN", "cleaned"),
        ("CLEAN", "INSPECTED", "inspected"),
    ]


async def test_without_required_inspection_a_clean_room_is_ready(hk: Housekeeping) -> None:
    hotel = hk.hotel
    first, second = await _guest_leaves_101_and_next_arrives(hk)
    await hotel.check_out_settled(first["id"])
    (task,) = (await hk.room("101"))["openTasks"]
    await hotel.fails("checkInReservation", {"reservation": second["id"]}, "ROOM_NOT_READY")
    # The supervisor cleans it herself (she may work on any task).
    await hk.ok("startHousekeepingTask", {"task": task["id"]}, by=hk.sofia)
    await hk.ok("finishHousekeepingTask", {"task": task["id"]}, by=hk.sofia)
    assert (await hk.room("101"))["openTasks"] == []  # no inspection asked for
    await hotel.ok("checkInReservation", {"reservation": second["id"]})


async def test_a_failed_inspection_sends_the_room_back_to_its_housekeeper(
    hk: Housekeeping,
) -> None:
    hotel = hk.hotel
    first, _ = await _guest_leaves_101_and_next_arrives(hk)
    await hotel.check_out_settled(first["id"])
    (task,) = (await hk.room("101"))["openTasks"]
    await hk.ok("assignHousekeepingTasks", {"tasks": [task["id"]], "assignee": hk.hanna.id},
                by=hk.sofia)  # fmt: skip
    await hk.ok("startHousekeepingTask", {"task": task["id"]}, by=hk.hanna)
    await hk.ok("finishHousekeepingTask", {"task": task["id"]}, by=hk.hanna)

    failed = await hk.ok(
        "inspectRoom", {"room": "101", "passed": False, "note": "hair in the sink"}, by=hk.sofia
    )
    assert failed["condition"] == "DIRTY"
    (again,) = await hk.my_tasks(hk.hanna)
    assert (again["id"], again["status"], again["assignee"]["name"]) == (
        task["id"], "PENDING", "hanna",
    )  # fmt: skip
    assert "hair in the sink" in again["note"]
    assert (await hk.history("101"))[-1] == ("CLEAN", "DIRTY", "inspection_failed")


async def _receive(ws: Any, wait: float = 5.0) -> dict:
    return await asyncio.wait_for(ws.receive_json(), wait)


async def test_a_front_desk_screen_sees_the_room_become_dirty_live(hk: Housekeeping) -> None:
    hotel = hk.hotel
    first, _ = await _guest_leaves_101_and_next_arrives(hk)
    subscribe = {
        "id": "board",
        "type": "subscribe",
        "payload": {
            "query": "subscription { roomConditionChanged { room { number } previous"
            " condition reason actor } }"
        },
    }
    async with hk.kit.websocket(hotel.prop) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {hk.fred.token}"}}
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send_json(subscribe)
        await hk.kit.subscribed(hotel.prop)

        await hotel.check_out_settled(first["id"])
        message = await _receive(ws)
        assert message["type"] == "next", message
        change = message["payload"]["data"]["roomConditionChanged"]
        assert change.pop("actor").startswith("user:")  # the front desk's owner token
        assert change == {
            "room": {"number": "101"}, "previous": "CLEAN", "condition": "DIRTY",
            "reason": "check_out",
        }  # fmt: skip
