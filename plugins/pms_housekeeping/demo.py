"""Demo data for pms_housekeeping: the morning after at the demo resort. Every occupied
room has its stay-over, a vacated room waits for its departure cleaning, one room has
been cleaned and awaits inspection, one is out of order for a repair."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from plugins.pms_housekeeping.service import blocks, tasks
from plugins.pms_housekeeping.service.blocks import BlockKind
from plugins.pms_housekeeping.service.common import HousekeepingContext
from plugins.pms_housekeeping.service.conditions import change_condition
from plugins.pms_housekeeping.service.reactions import make_stay_over_tasks, room_vacated
from plugins.pms_housekeeping.transitions import Condition, TaskKind
from plugins.pms_rooms.service import views


async def fill_demo_data(session: AsyncSession, clock: Clock) -> None:
    ctx = HousekeepingContext(session, clock, actor="demo")
    rooms = {room.number: room for room in await views.rooms(session)}
    if not rooms:
        return
    today = await views.business_date(session, clock)
    occupied = await views.in_house_by_room(session)
    vacant = [r for r in rooms.values() if r.id not in occupied]
    await make_stay_over_tasks(ctx)
    if vacant:
        # A guest left this morning: dirty, with its departure cleaning.
        await room_vacated(ctx, vacant[-1].id, reason="check_out")
    if len(vacant) > 1:
        # Cleaned, waiting for the supervisor's inspection.
        room = vacant[-2]
        await change_condition(ctx, room, Condition.DIRTY, reason="check_out", checked=False)
        task = await tasks.create_task(ctx, room, TaskKind.DEPARTURE, note="check out")
        assert task is not None
        await tasks.start_task(ctx, task.id)
        await tasks.finish_task(ctx, task.id, note="Extra towels left")
        await tasks.create_task(ctx, room, TaskKind.INSPECTION, note="after the cleaning")
    free = [r for r in vacant[:-2] if not await views.stays_holding_room(
        session, r.id, today, today + dt.timedelta(days=4)
    )]  # fmt: skip
    if free:
        await blocks.create_block(
            ctx, free[0], BlockKind.OUT_OF_ORDER, reason="Leaking shower: plumber booked",
            start=today, end=today + dt.timedelta(days=3),
        )  # fmt: skip
        await tasks.create_task(ctx, free[0], TaskKind.MAINTENANCE, note="Replace shower valve")
