"""Helpers of the pms_housekeeping tests (fixtures in tests/plugins/pms_housekeeping/).

A ``Housekeeping`` is a ``Hotel`` (hotel_kit.py: rooms 101-104 on floor 1 and
301 on floor 3) with pms_housekeeping enabled too, and its staff: Hanna and
Ivo (role ``housekeeper``), Sofia, the head of housekeeping (role
``housekeeping``), and Fred at the front desk. The tenant owner's token
(the default) acts as the manager.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from hotel_kit import Hotel, set_up_hotel
from strawberry import relay

from core.events import OutboxEvent
from core.testing import ConciergeTestKit, UserRef
from plugins.pms_housekeeping import models

HOUSEKEEPING = "pms_housekeeping"
ERRORS = "errors { code field message room reservations }"
TASK_FIELDS = (
    "id kind status businessDate note arrivalToday room { number } assignee { id name }"
    " startedAt finishedAt inspectedAt canceledAt"
)
BLOCK_FIELDS = "id kind status reason start end room { number }"
CHANGE_FIELDS = "id previous condition reason note actor room { number }"
BOARD = (
    "query($filter: HousekeepingBoardFilter) { housekeepingBoard(filter: $filter) {"
    " businessDate counts { dirty clean inspected vacant occupied outOfOrder outOfService"
    " arrivals departures }"
    " rooms { number floor condition occupancy arrivalToday departureToday"
    f" block {{ kind reason }} assignee {{ name }} openTasks {{ {TASK_FIELDS} }} }} }} }}"
)

MUTATIONS: dict[str, tuple[str, str]] = {
    "updateHousekeepingSettings": (
        "UpdateHousekeepingSettingsInput", "settings { inspectionRequired stayOverCleaning }"
    ),
    "setRoomCondition": ("SetRoomConditionInput", f"room condition change {{ {CHANGE_FIELDS} }}"),
    "inspectRoom": ("InspectRoomInput", f"room condition change {{ {CHANGE_FIELDS} }}"),
    "createRoomBlock": ("CreateRoomBlockInput", f"block {{ {BLOCK_FIELDS} }}"),
    "releaseRoomBlock": ("RoomBlockInput", f"block {{ {BLOCK_FIELDS} }}"),
    "createHousekeepingTask": ("CreateHousekeepingTaskInput", f"task {{ {TASK_FIELDS} }}"),
    "assignHousekeepingTasks": ("AssignHousekeepingTasksInput", f"tasks {{ {TASK_FIELDS} }}"),
    "startHousekeepingTask": ("HousekeepingTaskInput", f"task {{ {TASK_FIELDS} }}"),
    "finishHousekeepingTask": ("FinishHousekeepingTaskInput", f"task {{ {TASK_FIELDS} }}"),
    "cancelHousekeepingTask": ("CancelHousekeepingTaskInput", f"task {{ {TASK_FIELDS} }}"),
}  # fmt: skip


def mutation_document(name: str) -> str:
    input_type, selection = MUTATIONS[name]
    return f"mutation($input: {input_type}!) {{ {name}(input: $input) {{ {selection} {ERRORS} }} }}"


@dataclass
class Staff:
    user: UserRef
    token: str
    id: str  # the user's global ID, as tasks' assignee


@dataclass
class Housekeeping:
    hotel: Hotel
    hanna: Staff  # housekeeper
    ivo: Staff  # housekeeper
    sofia: Staff  # head of housekeeping
    fred: Staff  # front desk

    @property
    def kit(self) -> ConciergeTestKit:
        return self.hotel.kit

    async def send(self, name: str, input: dict[str, Any], *, by: Staff | None = None) -> Any:
        token = by.token if by else None
        result = await self.hotel.request(mutation_document(name), {"input": input}, token=token)
        return result.ok()[name]

    async def ok(self, name: str, input: dict[str, Any], *, by: Staff | None = None) -> Any:
        payload = await self.send(name, input, by=by)
        assert payload["errors"] == [], payload
        return payload

    async def fails(
        self, name: str, input: dict[str, Any], code: str, *, by: Staff | None = None
    ) -> dict[str, Any]:
        payload = await self.send(name, input, by=by)
        assert [e["code"] for e in payload["errors"]] == [code], payload
        return payload["errors"][0]

    async def board(self, by: Staff | None = None, **filter: Any) -> dict[str, Any]:
        data = await self.hotel.query(
            BOARD, {"filter": filter or None}, token=by.token if by else None
        )
        return data["housekeepingBoard"]

    async def room(self, number: str) -> dict[str, Any]:
        """The room's line on the board."""
        (room,) = [r for r in (await self.board())["rooms"] if r["number"] == number]
        return room

    async def tasks(self, **filter: Any) -> list[dict[str, Any]]:
        data = await self.hotel.query(
            "query($filter: HousekeepingTaskFilter) { housekeepingTasks(first: 100, filter:"
            f" $filter) {{ edges {{ node {{ {TASK_FIELDS} }} }} }} }}",
            {"filter": filter or None},
        )
        return [edge["node"] for edge in data["housekeepingTasks"]["edges"]]

    async def my_tasks(self, who: Staff) -> list[dict[str, Any]]:
        data = await self.hotel.query(
            f"{{ myHousekeepingTasks {{ {TASK_FIELDS} }} }}", token=who.token
        )
        return data["myHousekeepingTasks"]

    async def history(self, room: str) -> list[tuple[str, str, str]]:
        """(previous, condition, reason) of the room's changes, oldest first."""
        data = await self.hotel.query(
            "query($room: String) { roomConditionChanges(first: 100, room: $room) {"
            " edges { node { previous condition reason } } } }",
            {"room": room},
        )
        nodes = [e["node"] for e in data["roomConditionChanges"]["edges"]]
        return [(n["previous"], n["condition"], n["reason"]) for n in reversed(nodes)]

    async def snapshot(self) -> dict[str, Any]:
        """Every housekeeping row (and the outbox): a refused request leaves them as they were."""
        return await self.hotel.rows(
            models.HousekeepingSettings, models.RoomCondition, models.ConditionChange,
            models.RoomBlock, models.HousekeepingTask, OutboxEvent,
        )  # fmt: skip


async def _staff(hotel: Hotel, name: str, role: str) -> Staff:
    kit = hotel.kit
    user = await kit.user(
        hotel.tenant, f"{name}@{hotel.tenant.slug}.example", role=role, property=hotel.prop
    )
    # Long-lived: the tests move the clock through several days.
    token = await kit.token_for(user, ttl=dt.timedelta(days=20))
    return Staff(user=user, token=token, id=relay.to_base64("User", user.id))


async def set_up_housekeeping(kit: ConciergeTestKit, slug: str = "sea-hotel") -> Housekeeping:
    hotel = await set_up_hotel(kit, slug, plugins=("pms_rooms", HOUSEKEEPING))
    return Housekeeping(
        hotel=hotel,
        hanna=await _staff(hotel, "hanna", "housekeeper"),
        ivo=await _staff(hotel, "ivo", "housekeeper"),
        sofia=await _staff(hotel, "sofia", "housekeeping"),
        fred=await _staff(hotel, "fred", "front_desk"),
    )
