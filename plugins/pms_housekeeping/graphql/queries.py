"""Root query fields of pms_housekeeping."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.graphql import Connection, paginate, pk_of
from core.graphql.loaders import load_ahead
from core.graphql.permissions import requires
from plugins.pms_housekeeping import models
from plugins.pms_housekeeping.graphql import loaders
from plugins.pms_housekeeping.graphql.types import (
    BlockKindEnum,
    Housekeeper,
    HousekeepingBoard,
    HousekeepingSettings,
    HousekeepingTask,
    Occupancy,
    OccupancyEnum,
    RoomBlock,
    RoomConditionChange,
    RoomConditionEnum,
    TaskKindEnum,
    TaskStatusEnum,
)
from plugins.pms_housekeeping.service import board as board_service
from plugins.pms_housekeeping.service.blocks import BlockStatus
from plugins.pms_housekeeping.service.common import settings_for
from plugins.pms_housekeeping.service.staff import housekeepers
from plugins.pms_rooms.service import views


@strawberry.input(description="Every given condition must hold.")
class HousekeepingBoardFilter:
    floor: str | None = None
    condition: RoomConditionEnum | None = None  # type: ignore[valid-type]
    occupancy: OccupancyEnum | None = None
    assignee: strawberry.ID | None = strawberry.field(
        default=None, description="Rooms with an open task for this housekeeper."
    )


@strawberry.input(description="Every given condition must hold.")
class HousekeepingTaskFilter:
    status: list[TaskStatusEnum] | None = None  # type: ignore[valid-type]
    kind: list[TaskKindEnum] | None = None  # type: ignore[valid-type]
    room: str | None = strawberry.field(default=None, description="A room number.")
    assignee: strawberry.ID | None = None
    unassigned: bool | None = strawberry.field(
        default=None, description="true: only tasks nobody has; false: only assigned ones."
    )
    business_date: dt.date | None = None


@strawberry.input(description="Every given condition must hold.")
class RoomBlockFilter:
    room: str | None = strawberry.field(default=None, description="A room number.")
    kind: BlockKindEnum | None = None  # type: ignore[valid-type]
    on: dt.date | None = strawberry.field(default=None, description="Blocks covering this night.")
    include_canceled: bool = False


async def _room_ids_numbered(info: Info, number: str) -> list[int]:
    async with info.context.db() as session:
        room = await views.room_by_number(session, number)
    return [room.id] if room is not None else []


@strawberry.type
class HousekeepingQuery:
    @strawberry.field(permission_classes=requires("housekeeping:read"))
    async def housekeeping_settings(self, info: Info) -> HousekeepingSettings:
        async with info.context.db() as session:
            return HousekeepingSettings.from_row(await settings_for(session))

    @strawberry.field(
        permission_classes=requires("housekeeping:read"),
        description="Every room with its condition, occupancy, today's arrival or departure, "
        "block and open tasks, by number: one screen for a whole property, not paginated.",
    )
    async def housekeeping_board(
        self, info: Info, filter: HousekeepingBoardFilter | None = None
    ) -> HousekeepingBoard:
        where = board_service.BoardFilter()
        if filter is not None:
            where = board_service.BoardFilter(
                floor=filter.floor,
                condition=filter.condition,
                assignee_user_id=pk_of(filter.assignee, "User") if filter.assignee else None,
                occupied=None
                if filter.occupancy is None
                else filter.occupancy is Occupancy.OCCUPIED,
            )
        async with info.context.db() as session:
            day, entries = await board_service.board(session, info.context.clock, where)
        # Every assignee in one query now, so each room's and task's `assignee` is a plain
        # value rather than one awaited load per row (core.graphql.loaders.now_or_later).
        assignees = (t.assignee_user_id for e in entries for t in e.open_tasks)
        await load_ahead(loaders.user(info), assignees)
        return HousekeepingBoard.of(day, entries)

    @strawberry.field(permission_classes=requires("housekeeping:read"), description="Newest first.")
    async def housekeeping_tasks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: HousekeepingTaskFilter | None = None,
    ) -> Connection[HousekeepingTask]:
        t = models.HousekeepingTask
        statement = select(t)
        if filter is not None:
            if filter.status:
                statement = statement.where(t.status.in_([s.value for s in filter.status]))
            if filter.kind:
                statement = statement.where(t.kind.in_([k.value for k in filter.kind]))
            if filter.room is not None:
                statement = statement.where(
                    t.room_id.in_(await _room_ids_numbered(info, filter.room))
                )
            if filter.assignee is not None:
                statement = statement.where(t.assignee_user_id == pk_of(filter.assignee, "User"))
            if filter.unassigned is not None:
                assigned = t.assignee_user_id.is_(None)
                statement = statement.where(assigned if filter.unassigned else ~assigned)
            if filter.business_date is not None:
                statement = statement.where(t.business_date == filter.business_date)
        page = await paginate(
            info, statement, sort_key=t.id, pk=t.id, first=first, after=after, descending=True
        )
        return page.to_connection(HousekeepingTask.from_row)

    @strawberry.field(
        permission_classes=requires("housekeeping:tasks"),
        description="Your tasks: open ones most urgent first (a guest arriving today, then "
        "departures before stay-overs), then those finished today.",
    )
    async def my_housekeeping_tasks(self, info: Info) -> list[HousekeepingTask]:
        principal = info.context.principal
        if principal is None or principal.user_id is None:
            return []
        async with info.context.db() as session:
            items = await board_service.worklist(session, info.context.clock, principal.user_id)
        return [HousekeepingTask.from_row(item.task) for item in items]

    @strawberry.field(permission_classes=requires("housekeeping:read"), description="Newest first.")
    async def room_blocks(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: RoomBlockFilter | None = None,
    ) -> Connection[RoomBlock]:
        b = models.RoomBlock
        statement = select(b)
        if filter is None or not filter.include_canceled:
            statement = statement.where(b.status != BlockStatus.CANCELED.value)
        if filter is not None:
            if filter.room is not None:
                statement = statement.where(
                    b.room_id.in_(await _room_ids_numbered(info, filter.room))
                )
            if filter.kind is not None:
                statement = statement.where(b.kind == filter.kind.value)
            if filter.on is not None:
                statement = statement.where(b.start_date <= filter.on, b.end_date > filter.on)
        page = await paginate(
            info, statement, sort_key=b.id, pk=b.id, first=first, after=after, descending=True
        )
        return page.to_connection(RoomBlock.from_row)

    @strawberry.field(
        permission_classes=requires("housekeeping:read"),
        description="Conditions' history, newest first.",
    )
    async def room_condition_changes(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        room: Annotated[str | None, strawberry.argument(description="A room number.")] = None,
    ) -> Connection[RoomConditionChange]:
        c = models.ConditionChange
        statement = select(c)
        if room is not None:
            statement = statement.where(c.room_id.in_(await _room_ids_numbered(info, room)))
        page = await paginate(
            info, statement, sort_key=c.id, pk=c.id, first=first, after=after, descending=True
        )
        return page.to_connection(RoomConditionChange.from_row)

    @strawberry.field(
        permission_classes=requires("housekeeping:read"),
        description="Who may be given tasks here (their role grants housekeeping:tasks).",
    )
    async def housekeepers(self, info: Info) -> list[Housekeeper]:
        async with info.context.db() as session:
            return [Housekeeper.of(h.user_id, h.name) for h in await housekeepers(session)]
