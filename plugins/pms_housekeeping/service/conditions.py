"""Room conditions (dirty, clean, inspected) and their history.

Every change goes through :func:`change_condition`: it locks the room's row,
checks the transition table, writes the history and records
``pms_housekeeping.room_condition_changed`` (the subscriptions' feed).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import session_scope, upsert_insert
from core.errors import DomainError
from core.events import record_event
from plugins.pms_housekeeping.models import ConditionChange, RoomCondition
from plugins.pms_housekeeping.service.common import HousekeepingContext
from plugins.pms_housekeeping.service.errors import HousekeepingErrorCode, invalid
from plugins.pms_housekeeping.transitions import Condition, can_change_condition
from plugins.pms_rooms.service.views import RoomView

# A room nobody has marked yet (new, or there before the plugin was enabled).
DEFAULT_CONDITION = Condition.CLEAN
MAX_NOTE = 500


async def conditions_of(
    session: AsyncSession, room_ids: Iterable[int] | None = None
) -> dict[int, RoomCondition]:
    """The condition rows of ``room_ids`` (every room's when None); absent ones are clean."""
    statement = select(RoomCondition)
    if room_ids is not None:
        statement = statement.where(RoomCondition.room_id.in_(set(room_ids)))
    return {row.room_id: row for row in await session.scalars(statement)}


async def condition_of(session: AsyncSession, room_id: int) -> Condition:
    row = await session.scalar(select(RoomCondition).where(RoomCondition.room_id == room_id))
    return Condition(row.condition) if row is not None else DEFAULT_CONDITION


async def _locked_row(ctx: HousekeepingContext, room_id: int) -> RoomCondition:
    """The room's condition row, made if missing, locked until the transaction ends."""
    scope = session_scope(ctx.session)
    await ctx.session.execute(
        upsert_insert(ctx.session, RoomCondition)
        .values(
            tenant_id=scope.tenant_id, property_id=scope.property_id, room_id=room_id,
            condition=DEFAULT_CONDITION.value, changed_by="",
        )
        .on_conflict_do_nothing(index_elements=["room_id"])
    )  # fmt: skip
    row = await ctx.session.scalar(
        select(RoomCondition)
        .where(RoomCondition.room_id == room_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert row is not None
    return row


async def change_condition(
    ctx: HousekeepingContext,
    room: RoomView,
    target: Condition,
    *,
    reason: str,
    note: str = "",
    task_id: int | None = None,
    checked: bool = True,
) -> ConditionChange | None:
    """Set ``room``'s condition; None when it already was ``target`` (nothing written).

    ``checked``: refuse a change the transition table does not allow (a dirty
    room cannot be inspected); reactions to stays (a check-out) pass False.
    """
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise invalid(f"a note has at most {MAX_NOTE} characters", ["note"])
    row = await _locked_row(ctx, room.id)
    current = Condition(row.condition)
    if current is target:
        return None
    if checked and not can_change_condition(current, target):
        raise DomainError(
            HousekeepingErrorCode.INVALID_TRANSITION,
            f"room {room.number} is {current.value}: it cannot become {target.value}"
            + (" before it is cleaned" if current is Condition.DIRTY else ""),
            field=["condition"], room=room.number,
        )  # fmt: skip
    now = ctx.clock.now()
    row.condition, row.changed_at, row.changed_by = target.value, now, ctx.actor[:80]
    change = ConditionChange(
        room_id=room.id, previous=current.value, condition=target.value, reason=reason,
        note=note, task_id=task_id, actor=ctx.actor[:80], created_at=now,
    )  # fmt: skip
    ctx.session.add(change)
    await ctx.session.flush()
    record_event(
        ctx.session, "pms_housekeeping.room_condition_changed",
        {
            "change_id": change.id, "room_id": room.id, "room_number": room.number,
            "previous": current.value, "condition": target.value, "reason": reason,
            "note": note, "task_id": task_id, "actor": ctx.actor,
        },
        clock=ctx.clock,
    )  # fmt: skip
    return change
