"""The housekeeping board and a housekeeper's worklist: read-only views, a fixed number
of queries however many rooms (rooms, conditions, stays, blocks, open tasks)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from plugins.pms_housekeeping.models import HousekeepingTask, RoomBlock
from plugins.pms_housekeeping.service.blocks import blocks_on
from plugins.pms_housekeeping.service.conditions import DEFAULT_CONDITION, conditions_of
from plugins.pms_housekeeping.transitions import OPEN_STATUSES, Condition, TaskKind, TaskStatus
from plugins.pms_rooms.service import views
from plugins.pms_rooms.service.snapshots import ReservationSnapshot
from plugins.pms_rooms.service.views import RoomView

OPEN = [s.value for s in OPEN_STATUSES]
FINISHED = [TaskStatus.DONE.value, TaskStatus.INSPECTED.value]
# Within a room's priority: a departure cleaning before a stay-over, then inspections.
KIND_ORDER = {k.value: i for i, k in enumerate(TaskKind)}


@dataclass(frozen=True)
class BoardRoom:
    room: RoomView
    condition: Condition
    condition_changed_at: dt.datetime | None
    in_house: ReservationSnapshot | None  # occupied when set
    arrival: ReservationSnapshot | None  # due in today (or late), not yet checked in
    departure: ReservationSnapshot | None  # due out today (or overdue), still in house
    block: RoomBlock | None  # covering tonight
    open_tasks: list[HousekeepingTask]

    @property
    def occupied(self) -> bool:
        return self.in_house is not None


@dataclass(frozen=True)
class BoardFilter:
    floor: str | None = None
    condition: Condition | None = None
    assignee_user_id: int | None = None
    occupied: bool | None = None


async def _open_tasks(
    session: AsyncSession, *conditions: object
) -> dict[int, list[HousekeepingTask]]:
    rows = await session.scalars(
        select(HousekeepingTask)
        .where(HousekeepingTask.status.in_(OPEN), *conditions)  # type: ignore[arg-type]
        .order_by(HousekeepingTask.id)
    )
    by_room: dict[int, list[HousekeepingTask]] = {}
    for row in rows:
        by_room.setdefault(row.room_id, []).append(row)
    for tasks in by_room.values():
        tasks.sort(key=lambda t: (KIND_ORDER[t.kind], t.id))
    return by_room


async def board(
    session: AsyncSession, clock: Clock, where: BoardFilter | None = None
) -> tuple[dt.date, list[BoardRoom]]:
    """The business date and every room matching ``where``, by number."""
    where = where or BoardFilter()
    today = await views.business_date(session, clock)
    rooms = await views.rooms(session, floor=where.floor)
    conditions = await conditions_of(session)
    in_house = await views.in_house_by_room(session)
    arrivals = await views.arrivals_by_room(session, today)
    blocks = await blocks_on(session, today)
    tasks = await _open_tasks(session)
    rows = []
    for room in rooms:
        row = conditions.get(room.id)
        stay = in_house.get(room.id)
        entry = BoardRoom(
            room=room,
            condition=Condition(row.condition) if row else DEFAULT_CONDITION,
            condition_changed_at=row.changed_at if row else None,
            in_house=stay,
            arrival=arrivals.get(room.id),
            departure=stay if stay is not None and stay.departure <= today else None,
            block=blocks.get(room.id),
            open_tasks=tasks.get(room.id, []),
        )
        if where.condition is not None and entry.condition is not where.condition:
            continue
        if where.occupied is not None and entry.occupied is not where.occupied:
            continue
        if where.assignee_user_id is not None and not any(
            t.assignee_user_id == where.assignee_user_id for t in entry.open_tasks
        ):
            continue
        rows.append(entry)
    return today, rows


@dataclass(frozen=True)
class WorkItem:
    task: HousekeepingTask
    arrival_today: bool


async def worklist(session: AsyncSession, clock: Clock, user_id: int) -> list[WorkItem]:
    """A housekeeper's tasks: open ones, most urgent first (a room with a guest arriving
    today, then departures before stay-overs), then the day's finished ones (not the
    canceled)."""
    today = await views.business_date(session, clock)
    rows = list(
        await session.scalars(
            select(HousekeepingTask).where(
                HousekeepingTask.assignee_user_id == user_id,
                or_(
                    HousekeepingTask.status.in_(OPEN),
                    and_(
                        HousekeepingTask.status.in_(FINISHED),
                        HousekeepingTask.business_date == today,
                    ),
                ),
            )
        )
    )
    arrivals = await views.arrivals_by_room(session, today) if rows else {}
    items = [WorkItem(task=row, arrival_today=row.room_id in arrivals) for row in rows]
    items.sort(
        key=lambda i: (
            i.task.status not in OPEN,
            not i.arrival_today,
            KIND_ORDER[i.task.kind],
            i.task.id,
        )
    )
    return items
