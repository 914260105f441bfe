"""What housekeeping does when stays change (called from hooks.py's pms_rooms hooks, in
the transaction of the change) and every day (the stay-over job)."""

from __future__ import annotations

from sqlalchemy import select

from plugins.pms_housekeeping.models import HousekeepingSettings
from plugins.pms_housekeeping.service.common import HousekeepingContext, settings_for
from plugins.pms_housekeeping.service.conditions import change_condition
from plugins.pms_housekeeping.service.tasks import cancel_open_tasks, create_task
from plugins.pms_housekeeping.transitions import Condition, TaskKind
from plugins.pms_rooms.service import views


async def room_vacated(
    ctx: HousekeepingContext, room_id: int, *, reason: str, source_key: str | None = None
) -> None:
    """A guest left the room (check-out, a move, a check-in undone): it is dirty, its
    stay-over is moot, and it needs a departure cleaning."""
    room = (await views.rooms_by_id(ctx.session, [room_id]))[room_id]
    await change_condition(ctx, room, Condition.DIRTY, reason=reason, checked=False)
    await cancel_open_tasks(ctx, room, TaskKind.STAY_OVER, "the guest left the room")
    await create_task(
        ctx, room, TaskKind.DEPARTURE, note=reason.replace("_", " "), source_key=source_key
    )


async def make_stay_over_tasks(ctx: HousekeepingContext) -> int:
    """Once per business date: every room with a guest staying on (arrived before today,
    leaving after) becomes dirty and gets a stay-over task; earlier days' stay-overs
    still open are canceled. Returns the number of tasks made."""
    settings = await settings_for(ctx.session)
    settings = await ctx.session.scalar(
        select(HousekeepingSettings)
        .where(HousekeepingSettings.id == settings.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert settings is not None
    today = await views.business_date(ctx.session, ctx.clock)
    if not settings.stay_over_cleaning or settings.stay_overs_made_for == today:
        return 0
    await cancel_open_tasks(
        ctx, None, TaskKind.STAY_OVER, "a new day's stay-over replaces it", before=today
    )
    made = 0
    in_house = await views.in_house_by_room(ctx.session)
    staying = {
        room_id for room_id, stay in in_house.items() if stay.arrival < today < stay.departure
    }
    rooms = await views.rooms_by_id(ctx.session, staying)
    for room_id in sorted(staying, key=lambda r: rooms[r].number):
        room = rooms[room_id]
        task = await create_task(
            ctx, room, TaskKind.STAY_OVER, source_key=f"stay_over:{room_id}:{today.isoformat()}"
        )
        if task is not None:
            await change_condition(
                ctx, room, Condition.DIRTY, reason="stay_over", task_id=task.id, checked=False
            )
            made += 1
    settings.stay_overs_made_for = today
    return made
