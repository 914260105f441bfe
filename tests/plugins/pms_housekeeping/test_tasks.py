"""Housekeeping tasks: a housekeeper sees and changes only their own; transitions outside
the table, foreign tasks and wrong assignees are refused with nothing changed; the
worklist puts rooms with an arrival first; stays make the tasks (check-out, reverted
check-in, room move, the daily stay-over job)."""

from __future__ import annotations

import asyncio
from typing import Any

from housekeeping_kit import Housekeeping, Staff


async def task(hk: Housekeeping, room: str, kind: str = "DEPARTURE", to: Staff | None = None):
    input: dict[str, Any] = {"room": room, "kind": kind}
    if to is not None:
        input["assignee"] = to.id
    return (await hk.ok("createHousekeepingTask", input, by=hk.sofia))["task"]


async def test_a_housekeeper_sees_and_changes_only_her_own_tasks(hk: Housekeeping) -> None:
    mine = await task(hk, "101", to=hk.hanna)
    his = await task(hk, "102", to=hk.ivo)
    nobodys = await task(hk, "103")
    assert [t["id"] for t in await hk.my_tasks(hk.hanna)] == [mine["id"]]
    assert [t["id"] for t in await hk.my_tasks(hk.ivo)] == [his["id"]]

    # The full list and the board are the supervisors' and the front desk's.
    refused = await hk.hotel.request("{ housekeepingTasks { totalCount } }", token=hk.hanna.token)
    assert refused.errors[0]["extensions"]["code"] == "FORBIDDEN"
    node = await hk.hotel.query(
        "query($id: ID!) { node(id: $id) { id } }", {"id": his["id"]}, token=hk.hanna.token
    )
    assert node == {"node": None}
    assert (await hk.board(by=hk.fred))["rooms"]  # the front desk reads the board

    before = await hk.snapshot()
    for other in (his, nobodys):
        for name in ("startHousekeepingTask", "finishHousekeepingTask"):
            error = await hk.fails(name, {"task": other["id"]}, "PERMISSION_DENIED", by=hk.hanna)
            assert error["field"] == ["task"]
    # Housekeepers neither assign nor cancel.
    denied = await hk.hotel.request(
        "mutation($t: ID!) { cancelHousekeepingTask(input: {task: $t}) { errors { code } } }",
        {"t": his["id"]}, token=hk.hanna.token,
    )  # fmt: skip
    assert denied.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert await hk.snapshot() == before

    await hk.ok("startHousekeepingTask", {"task": mine["id"]}, by=hk.hanna)
    done = await hk.ok("finishHousekeepingTask", {"task": mine["id"]}, by=hk.hanna)
    assert done["task"]["finishedAt"] and done["task"]["status"] == "DONE"


async def test_transitions_outside_the_table_are_refused(hk: Housekeeping) -> None:
    pending = await task(hk, "101", to=hk.hanna)
    canceled = await task(hk, "102", to=hk.hanna)
    await hk.ok("cancelHousekeepingTask", {"task": canceled["id"], "reason": "guest declined"},
                by=hk.sofia)  # fmt: skip
    before = await hk.snapshot()
    finish = await hk.fails(
        "finishHousekeepingTask", {"task": pending["id"]}, "INVALID_TRANSITION", by=hk.hanna
    )
    assert "pending" in finish["message"] and finish["room"] == "101"
    await hk.fails("startHousekeepingTask", {"task": canceled["id"]}, "INVALID_TRANSITION",
                   by=hk.hanna)  # fmt: skip
    await hk.fails("cancelHousekeepingTask", {"task": canceled["id"]}, "INVALID_TRANSITION",
                   by=hk.sofia)  # fmt: skip
    await hk.fails(
        "assignHousekeepingTasks", {"tasks": [canceled["id"]], "assignee": hk.ivo.id},
        "INVALID_TRANSITION", by=hk.sofia,
    )  # fmt: skip
    # A cleaning neither passes nor fails; a dirty room cannot be inspected.
    await hk.ok("startHousekeepingTask", {"task": pending["id"]}, by=hk.hanna)
    before = await hk.snapshot()
    passed = await hk.fails(
        "finishHousekeepingTask", {"task": pending["id"], "passed": True}, "INVALID_INPUT",
        by=hk.hanna,
    )  # fmt: skip
    assert passed["field"] == ["passed"]
    await hk.ok("setRoomCondition", {"room": "103", "condition": "DIRTY"}, by=hk.sofia)
    before = await hk.snapshot()
    error = await hk.fails(
        "inspectRoom", {"room": "103", "passed": True}, "INVALID_TRANSITION", by=hk.sofia
    )
    assert "dirty" in error["message"]
    await hk.fails(
        "setRoomCondition", {"room": "103", "condition": "INSPECTED"}, "INVALID_TRANSITION",
        by=hk.sofia,
    )  # fmt: skip
    await hk.fails("startHousekeepingTask", {"task": "SG91c2VrZWVwaW5nVGFzazo5OTk="},
                   "NOT_FOUND", by=hk.sofia)  # fmt: skip
    assert await hk.snapshot() == before


async def test_tasks_go_only_to_people_who_may_do_them(hk: Housekeeping) -> None:
    pending = await task(hk, "101")
    before = await hk.snapshot()
    error = await hk.fails(
        "assignHousekeepingTasks", {"tasks": [pending["id"]], "assignee": hk.fred.id},
        "NOT_A_HOUSEKEEPER", by=hk.sofia,
    )  # fmt: skip
    assert error["field"] == ["assignee"]
    other = await hk.kit.tenant("rival")
    stranger = await hk.kit.user(other, "spy@rival.example", role="housekeeper")
    from strawberry import relay

    await hk.fails(
        "assignHousekeepingTasks",
        {"tasks": [pending["id"]], "assignee": relay.to_base64("User", stranger.id)},
        "NOT_FOUND", by=hk.sofia,
    )  # fmt: skip
    assert await hk.snapshot() == before
    staff = await hk.hotel.query("{ housekeepers { id name } }")
    assert {h["name"] for h in staff["housekeepers"]} >= {"hanna", "ivo", "sofia"}
    assert "fred" not in {h["name"] for h in staff["housekeepers"]}


async def test_rooms_with_a_guest_arriving_today_come_first(hk: Housekeeping) -> None:
    hotel = hk.hotel
    await hotel.book("arriving", arrive=0, nights=2, room="104")
    stay_over = await task(hk, "102", "STAY_OVER", to=hk.hanna)
    departure = await task(hk, "103", to=hk.hanna)
    urgent = await task(hk, "104", to=hk.hanna)
    worklist = await hk.my_tasks(hk.hanna)
    assert [t["id"] for t in worklist] == [urgent["id"], departure["id"], stay_over["id"]]
    assert [t["arrivalToday"] for t in worklist] == [True, False, False]
    # Done today: after the open ones. Canceled: gone from her list.
    await hk.ok("startHousekeepingTask", {"task": urgent["id"]}, by=hk.hanna)
    await hk.ok("finishHousekeepingTask", {"task": urgent["id"]}, by=hk.hanna)
    await hk.ok("cancelHousekeepingTask", {"task": stay_over["id"]}, by=hk.sofia)
    worklist = await hk.my_tasks(hk.hanna)
    assert [(t["id"], t["status"]) for t in worklist] == [
        (departure["id"], "PENDING"), (urgent["id"], "DONE"),
    ]  # fmt: skip


async def test_check_out_reverted_check_in_and_room_moves_leave_dirty_rooms(
    hk: Housekeeping,
) -> None:
    hotel = hk.hotel
    mistaken = await hotel.book("mistake", nights=2, room="101")
    moving = await hotel.book("mover", nights=3, room="102")
    await hotel.ok("checkInReservation", {"reservation": mistaken["id"]})
    await hotel.ok("revertCheckIn", {"reservation": mistaken["id"]})
    room = await hk.room("101")
    assert room["condition"] == "DIRTY"
    assert [t["kind"] for t in room["openTasks"]] == ["DEPARTURE"]

    await hotel.ok("checkInReservation", {"reservation": moving["id"]})
    await hotel.ok("moveReservationRoom", {"reservation": moving["id"], "room": "103"})
    left, now = await hk.room("102"), await hk.room("103")
    assert (left["condition"], left["occupancy"]) == ("DIRTY", "VACANT")
    assert [t["kind"] for t in left["openTasks"]] == ["DEPARTURE"]
    assert (now["condition"], now["occupancy"]) == ("CLEAN", "OCCUPIED")
    assert await hk.history("102") == [("CLEAN", "DIRTY", "room_move")]
    # A move before arrival leaves nothing to clean.
    ahead = await hotel.book("ahead", arrive=3, nights=1, room="104")
    await hotel.ok("moveReservationRoom", {"reservation": ahead["id"], "room": "101"})
    assert (await hk.room("104"))["condition"] == "CLEAN"


async def test_the_daily_job_makes_one_stay_over_per_occupied_room_per_day(
    hk: Housekeeping,
) -> None:
    hotel = hk.hotel
    staying = await hotel.book("stay", nights=3, room="101")
    leaving = await hotel.book("leave", nights=1, room="102")
    for reservation in (staying, leaving):
        await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    await hk.kit.run_job("pms_housekeeping.stay_overs")
    assert await hk.tasks() == []  # the arrival day has no stay-over

    await hotel.audit()  # day 1: 101 stays on, 102 is due out
    await hk.kit.run_job("pms_housekeeping.stay_overs")
    await hk.kit.run_job("pms_housekeeping.stay_overs")  # once a day, however often it runs
    (first,) = await hk.tasks()
    assert (first["kind"], first["room"]["number"], first["businessDate"]) == (
        "STAY_OVER", "101", hotel.day(1),
    )  # fmt: skip
    assert (await hk.room("101"))["condition"] == "DIRTY"
    assert (await hk.room("102"))["condition"] == "CLEAN"

    await hotel.audit()  # day 2: yesterday's stay-over was never done
    await hk.kit.run_job("pms_housekeeping.stay_overs")
    tasks = {t["businessDate"]: t for t in await hk.tasks(kind=["STAY_OVER"])}
    assert tasks[hotel.day(1)]["status"] == "CANCELED"
    assert tasks[hotel.day(2)]["status"] == "PENDING"

    # The guest leaves: the stay-over is moot, a departure cleaning replaces it.
    await hotel.check_out_settled(staying["id"])
    tasks = {t["kind"]: t for t in await hk.tasks(status=["PENDING"])}
    assert set(tasks) == {"DEPARTURE"}


async def _receive(ws: Any, wait: float = 5.0) -> dict:
    return await asyncio.wait_for(ws.receive_json(), wait)


async def test_a_housekeepers_phone_hears_of_her_new_task(hk: Housekeeping) -> None:
    theirs = await task(hk, "102")
    async with hk.kit.websocket(hk.hotel.prop) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {hk.hanna.token}"}}
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send_json({
            "id": "mine", "type": "subscribe",
            "payload": {"query": "subscription { myHousekeepingTaskChanged {"
                                 " id status room { number } assignee { name } } }"},
        })  # fmt: skip
        await hk.kit.subscribed(hk.hotel.prop)
        await hk.ok("assignHousekeepingTasks", {"tasks": [theirs["id"]], "assignee": hk.ivo.id},
                    by=hk.sofia)  # fmt: skip
        await task(hk, "101", to=hk.hanna)  # hers: the only one she hears of
        message = await _receive(ws)
        assert message["payload"]["data"]["myHousekeepingTaskChanged"] == {
            "id": message["payload"]["data"]["myHousekeepingTaskChanged"]["id"],
            "status": "PENDING", "room": {"number": "101"}, "assignee": {"name": "hanna"},
        }  # fmt: skip
