"""GraphQL types of pms_housekeeping. Rooms and reservations are pms_rooms' types, loaded
through its loaders."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql import Error, load_nodes
from core.graphql.loaders import now_or_later
from core.graphql.permissions import requires
from plugins.pms_housekeeping import models
from plugins.pms_housekeeping.graphql import loaders
from plugins.pms_housekeeping.service import board as board_service
from plugins.pms_housekeeping.service.blocks import BlockKind, BlockStatus
from plugins.pms_housekeeping.service.errors import HousekeepingErrorCode
from plugins.pms_housekeeping.transitions import Condition, TaskKind, TaskStatus
from plugins.pms_rooms.graphql import loaders as rooms_loaders
from plugins.pms_rooms.graphql.types import Reservation, Room

HousekeepingErrorCodeEnum = strawberry.enum(HousekeepingErrorCode, name="HousekeepingErrorCode")
RoomConditionEnum = strawberry.enum(Condition, name="RoomCondition")
TaskKindEnum = strawberry.enum(TaskKind, name="HousekeepingTaskKind")
TaskStatusEnum = strawberry.enum(TaskStatus, name="HousekeepingTaskStatus")
BlockKindEnum = strawberry.enum(BlockKind, name="RoomBlockKind")
BlockStatusEnum = strawberry.enum(BlockStatus, name="RoomBlockStatus")


@strawberry.enum(description="Whether a guest is in house in the room.")
class Occupancy(Enum):
    VACANT = "vacant"
    OCCUPIED = "occupied"


OccupancyEnum = Occupancy


@strawberry.type(description="A failure of a housekeeping operation.")
class HousekeepingError(Error):
    code: HousekeepingErrorCodeEnum  # type: ignore[valid-type]
    room: str | None = strawberry.field(default=None, description="The room at fault, if one.")
    reservations: list[str] | None = strawberry.field(
        default=None, description="Numbers of the reservations in the way (ROOM_HAS_STAYS)."
    )


async def _room(info: Info, room_id: int) -> Room:
    return Room.from_row(await rooms_loaders.room(info).load(room_id))


@strawberry.type(description="Someone who may be given housekeeping tasks here.")
class Housekeeper:
    id: strawberry.ID = strawberry.field(description="The user's global ID.")
    name: str

    @classmethod
    def of(cls, user_id: int, name: str) -> Housekeeper:
        return cls(id=strawberry.ID(relay.to_base64("User", user_id)), name=name)


def _housekeeper(info: Info, user_id: int | None) -> Any:
    """The housekeeper, at once when the board loaded them ahead; else an awaitable."""
    if user_id is None:
        return None
    return now_or_later(
        loaders.user(info), user_id,
        lambda user: Housekeeper.of(user.id, user.name) if user is not None else None,
    )  # fmt: skip


@strawberry.type(description="Work on one room: a cleaning, an inspection or a repair.")
class HousekeepingTask(relay.Node):
    read_permission: ClassVar[str | None] = "housekeeping:read"

    id: relay.NodeID[int]
    kind: TaskKindEnum  # type: ignore[valid-type]
    status: TaskStatusEnum  # type: ignore[valid-type]
    business_date: dt.date = strawberry.field(description="The hotel day it is for.")
    note: str
    created_by: str
    created_at: dt.datetime
    started_at: dt.datetime | None
    finished_at: dt.datetime | None
    finished_by: str | None
    inspected_at: dt.datetime | None
    inspected_by: str | None
    canceled_at: dt.datetime | None
    room_id: strawberry.Private[int]
    assignee_user_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.HousekeepingTask) -> HousekeepingTask:
        return cls(
            id=row.id, kind=TaskKind(row.kind), status=TaskStatus(row.status),
            business_date=row.business_date, note=row.note, created_by=row.created_by,
            created_at=row.created_at, started_at=row.started_at, finished_at=row.finished_at,
            finished_by=row.finished_by, inspected_at=row.inspected_at,
            inspected_by=row.inspected_by, canceled_at=row.canceled_at, room_id=row.room_id,
            assignee_user_id=row.assignee_user_id,
        )  # fmt: skip

    @strawberry.field
    async def room(self, info: Info) -> Room:
        return await _room(info, self.room_id)

    @strawberry.field
    def assignee(self, info: Info) -> Housekeeper | None:
        return _housekeeper(info, self.assignee_user_id)

    @strawberry.field(description="A guest is due in today in this room: clean it first.")
    async def arrival_today(self, info: Info) -> bool:
        return await loaders.arrival_today(info).load(self.room_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.HousekeepingTask, node_ids, cls.from_row)


@strawberry.type(
    description="A room out of order (not sold) or out of service (sold, with a defect) "
    "for the nights from `start` to `end` (excluded)."
)
class RoomBlock(relay.Node):
    read_permission: ClassVar[str | None] = "housekeeping:read"

    id: relay.NodeID[int]
    kind: BlockKindEnum  # type: ignore[valid-type]
    status: BlockStatusEnum  # type: ignore[valid-type]
    reason: str
    start: dt.date = strawberry.field(description="The first night blocked.")
    end: dt.date = strawberry.field(description="The first night the room is back.")
    created_by: str
    created_at: dt.datetime
    released_at: dt.datetime | None
    released_by: str | None
    room_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.RoomBlock) -> RoomBlock:
        return cls(
            id=row.id, kind=BlockKind(row.kind), status=BlockStatus(row.status),
            reason=row.reason, start=row.start_date, end=row.end_date,
            created_by=row.created_by, created_at=row.created_at, released_at=row.released_at,
            released_by=row.released_by, room_id=row.room_id,
        )  # fmt: skip

    @strawberry.field
    async def room(self, info: Info) -> Room:
        return await _room(info, self.room_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.RoomBlock, node_ids, cls.from_row)


@strawberry.type(description="One change of a room's condition: from what, to what, why.")
class RoomConditionChange(relay.Node):
    read_permission: ClassVar[str | None] = "housekeeping:read"

    id: relay.NodeID[int]
    previous: RoomConditionEnum  # type: ignore[valid-type]
    condition: RoomConditionEnum  # type: ignore[valid-type]
    reason: str = strawberry.field(
        description="check_out, check_in_reverted, room_move, stay_over, cleaned, inspected, "
        "inspection_failed or manual."
    )
    note: str
    actor: str
    changed_at: dt.datetime
    room_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.ConditionChange) -> RoomConditionChange:
        return cls(
            id=row.id, previous=Condition(row.previous), condition=Condition(row.condition),
            reason=row.reason, note=row.note, actor=row.actor, changed_at=row.created_at,
            room_id=row.room_id,
        )  # fmt: skip

    @classmethod
    def from_event(cls, payload: dict[str, Any], at: dt.datetime) -> RoomConditionChange:
        """From a ``pms_housekeeping.room_condition_changed`` event (no query needed)."""
        return cls(
            id=payload["change_id"], previous=Condition(payload["previous"]),
            condition=Condition(payload["condition"]), reason=payload["reason"],
            note=payload["note"], actor=payload["actor"], changed_at=at,
            room_id=payload["room_id"],
        )  # fmt: skip

    @strawberry.field
    async def room(self, info: Info) -> Room:
        return await _room(info, self.room_id)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.ConditionChange, node_ids, cls.from_row)


async def _reservation(info: Info, reservation_id: int | None) -> Reservation | None:
    if reservation_id is None:
        return None
    return Reservation.from_row(await rooms_loaders.reservation(info).load(reservation_id))


@strawberry.type(description="A room on the housekeeping board.")
class BoardRoom:
    number: str
    floor: str
    condition: RoomConditionEnum  # type: ignore[valid-type]
    condition_changed_at: dt.datetime | None
    occupancy: OccupancyEnum
    arrival_today: bool = strawberry.field(
        description="A guest is due in (today, or late and still expected)."
    )
    departure_today: bool = strawberry.field(
        description="The guest in house is due out (today, or overdue)."
    )
    block: RoomBlock | None = strawberry.field(description="The block covering tonight.")
    open_tasks: list[HousekeepingTask] = strawberry.field(
        description="Pending and in-progress tasks, departure cleanings first."
    )
    room_id: strawberry.Private[int]
    assignee_user_id: strawberry.Private[int | None]
    arrival_id: strawberry.Private[int | None]
    in_house_id: strawberry.Private[int | None]

    @classmethod
    def of(cls, entry: board_service.BoardRoom) -> BoardRoom:
        assigned = [t.assignee_user_id for t in entry.open_tasks if t.assignee_user_id]
        return cls(
            number=entry.room.number, floor=entry.room.floor, condition=entry.condition,
            condition_changed_at=entry.condition_changed_at,
            occupancy=Occupancy.OCCUPIED if entry.occupied else Occupancy.VACANT,
            arrival_today=entry.arrival is not None,
            departure_today=entry.departure is not None,
            block=RoomBlock.from_row(entry.block) if entry.block else None,
            open_tasks=[HousekeepingTask.from_row(t) for t in entry.open_tasks],
            room_id=entry.room.id, assignee_user_id=assigned[0] if assigned else None,
            arrival_id=entry.arrival.id if entry.arrival else None,
            in_house_id=entry.in_house.id if entry.in_house else None,
        )  # fmt: skip

    @strawberry.field
    async def room(self, info: Info) -> Room:
        return await _room(info, self.room_id)

    @strawberry.field(description="Who has the room's first open task.")
    def assignee(self, info: Info) -> Housekeeper | None:
        return _housekeeper(info, self.assignee_user_id)

    @strawberry.field(
        permission_classes=requires("reservations:read"),
        description="The stay due in today. Needs reservations:read.",
    )
    async def arrival(self, info: Info) -> Reservation | None:
        return await _reservation(info, self.arrival_id)

    @strawberry.field(
        permission_classes=requires("reservations:read"),
        description="The stay in house. Needs reservations:read.",
    )
    async def in_house(self, info: Info) -> Reservation | None:
        return await _reservation(info, self.in_house_id)


@strawberry.type(description="How many rooms are in each state.")
class BoardCounts:
    dirty: int
    clean: int
    inspected: int
    vacant: int
    occupied: int
    out_of_order: int
    out_of_service: int
    arrivals: int
    departures: int


@strawberry.type(description="Every room with its condition, occupancy, stays and tasks.")
class HousekeepingBoard:
    business_date: dt.date
    rooms: list[BoardRoom]
    counts: BoardCounts = strawberry.field(description="Of the rooms listed.")

    @classmethod
    def of(
        cls, business_date: dt.date, entries: list[board_service.BoardRoom]
    ) -> HousekeepingBoard:
        def count(test: Any) -> int:
            return sum(1 for e in entries if test(e))

        counts = BoardCounts(
            dirty=count(lambda e: e.condition is Condition.DIRTY),
            clean=count(lambda e: e.condition is Condition.CLEAN),
            inspected=count(lambda e: e.condition is Condition.INSPECTED),
            vacant=count(lambda e: not e.occupied), occupied=count(lambda e: e.occupied),
            out_of_order=count(lambda e: e.block and e.block.kind == BlockKind.OUT_OF_ORDER.value),
            out_of_service=count(
                lambda e: e.block and e.block.kind == BlockKind.OUT_OF_SERVICE.value
            ),
            arrivals=count(lambda e: e.arrival), departures=count(lambda e: e.departure),
        )  # fmt: skip
        return cls(
            business_date=business_date, rooms=[BoardRoom.of(e) for e in entries], counts=counts
        )


@strawberry.type(description="How housekeeping works at this property.")
class HousekeepingSettings:
    inspection_required: bool = strawberry.field(
        description="Check-in needs an inspected room; otherwise a clean one is enough."
    )
    stay_over_cleaning: bool = strawberry.field(
        description="Occupied rooms become dirty each day and get a stay-over task."
    )

    @classmethod
    def from_row(cls, row: models.HousekeepingSettings) -> HousekeepingSettings:
        return cls(
            inspection_required=row.inspection_required, stay_over_cleaning=row.stay_over_cleaning
        )
