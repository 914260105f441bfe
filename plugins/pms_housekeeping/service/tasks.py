"""Housekeeping tasks: made by stays' events, the daily job or a supervisor; assigned,
started and finished by housekeepers; cleaned rooms passed or failed by inspectors.

A housekeeper (``housekeeping:tasks``) works only on the tasks assigned to
them; a supervisor (``housekeeping:write``) on any. Inspection needs
``housekeeping:inspect``. Every change records ``pms_housekeeping.task_changed``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import select

from core.db import session_scope, upsert_insert
from core.errors import DomainError
from core.events import record_event
from plugins.pms_housekeeping.models import ConditionChange, HousekeepingTask
from plugins.pms_housekeeping.service.common import (
    INSPECT,
    WRITE,
    HousekeepingContext,
    settings_for,
)
from plugins.pms_housekeeping.service.conditions import change_condition
from plugins.pms_housekeeping.service.errors import HousekeepingErrorCode, invalid, not_found
from plugins.pms_housekeeping.service.staff import ensure_housekeeper
from plugins.pms_housekeeping.transitions import (
    CLEANING_KINDS,
    OPEN_STATUSES,
    Condition,
    TaskKind,
    TaskStatus,
    can_change_task,
)
from plugins.pms_rooms.service import views
from plugins.pms_rooms.service.views import RoomView

MAX_NOTE = 500
OPEN = [s.value for s in OPEN_STATUSES]


def _note(note: str, field: list[str]) -> str:
    note = note.strip()
    if len(note) > MAX_NOTE:
        raise invalid(f"a note has at most {MAX_NOTE} characters", field)
    return note


async def _room(ctx: HousekeepingContext, room_id: int) -> RoomView:
    room = (await views.rooms_by_id(ctx.session, [room_id])).get(room_id)
    assert room is not None  # tasks' rooms are kept by the foreign key
    return room


def _announce(
    ctx: HousekeepingContext,
    task: HousekeepingTask,
    room: RoomView,
    previous: str | None,
    previous_assignee: int | None,
) -> None:
    record_event(
        ctx.session, "pms_housekeeping.task_changed",
        {
            "task_id": task.id, "room_id": room.id, "room_number": room.number,
            "kind": task.kind, "status": task.status, "previous": previous,
            "assignee_user_id": task.assignee_user_id,
            "previous_assignee_user_id": previous_assignee, "actor": ctx.actor,
        },
        clock=ctx.clock,
    )  # fmt: skip


async def lock_task(ctx: HousekeepingContext, task_id: int, field: list[str]) -> HousekeepingTask:
    task = await ctx.session.scalar(
        select(HousekeepingTask)
        .where(HousekeepingTask.id == task_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if task is None:
        raise not_found("task", field)
    return task


def _move(task: HousekeepingTask, target: TaskStatus, room: RoomView) -> str:
    """Set ``target`` if the table allows it; returns the old status."""
    current = TaskStatus(task.status)
    if not can_change_task(current, target):
        raise DomainError(
            HousekeepingErrorCode.INVALID_TRANSITION,
            f"the {task.kind.replace('_', '-')} task of room {room.number} is "
            f"{current.value.replace('_', ' ')}: it cannot become "
            f"{target.value.replace('_', ' ')}",
            field=["task"], room=room.number,
        )  # fmt: skip
    task.status = target.value
    return current.value


def _may_work_on(ctx: HousekeepingContext, task: HousekeepingTask, room: RoomView) -> None:
    """A housekeeper acts on their own tasks only; a supervisor on any."""
    if ctx.may(WRITE):
        return
    if task.assignee_user_id is None or task.assignee_user_id != ctx.user_id:
        raise DomainError(
            HousekeepingErrorCode.PERMISSION_DENIED,
            f"the task of room {room.number} is "
            + ("not assigned to anyone" if task.assignee_user_id is None else "someone else's")
            + ": only its housekeeper or a supervisor may change it",
            field=["task"], room=room.number,
        )  # fmt: skip
    if task.kind == TaskKind.INSPECTION.value and not ctx.may(INSPECT):
        raise DomainError(
            HousekeepingErrorCode.PERMISSION_DENIED, "inspections need housekeeping:inspect",
            field=["task"], room=room.number,
        )  # fmt: skip


async def create_task(
    ctx: HousekeepingContext,
    room: RoomView,
    kind: TaskKind,
    *,
    note: str = "",
    assignee_user_id: int | None = None,
    source_key: str | None = None,
) -> HousekeepingTask | None:
    """A pending task for ``room`` on the business date. With ``source_key`` (hooks, the
    daily job) a task already made under that key is kept and None returned."""
    note = _note(note, ["note"])
    if assignee_user_id is not None:
        await ensure_housekeeper(ctx.session, assignee_user_id, ["assignee"])
    day = await views.business_date(ctx.session, ctx.clock)
    values = {
        "room_id": room.id, "kind": kind.value, "status": TaskStatus.PENDING.value,
        "business_date": day, "assignee_user_id": assignee_user_id, "note": note,
        "source_key": source_key, "created_by": ctx.actor[:80], "created_at": ctx.clock.now(),
    }  # fmt: skip
    if source_key is None:
        task = HousekeepingTask(**values)
        ctx.session.add(task)
        await ctx.session.flush()
    else:
        scope = session_scope(ctx.session)
        result = await ctx.session.execute(
            upsert_insert(ctx.session, HousekeepingTask)
            .values(tenant_id=scope.tenant_id, property_id=scope.property_id, **values)
            .on_conflict_do_nothing(index_elements=["property_id", "source_key"])
        )
        if result.rowcount == 0:
            return None
        task = await ctx.session.scalar(
            select(HousekeepingTask).where(HousekeepingTask.source_key == source_key)
        )
        assert task is not None
    _announce(ctx, task, room, None, None)
    return task


async def assign_tasks(
    ctx: HousekeepingContext, task_ids: Iterable[int], assignee_user_id: int | None
) -> list[HousekeepingTask]:
    """Give open tasks to a housekeeper (None: take them back to the unassigned pile)."""
    ids = list(dict.fromkeys(task_ids))
    if not ids:
        raise invalid("name at least one task", ["tasks"])
    if len(ids) > 200:
        raise invalid("at most 200 tasks at once", ["tasks"])
    if assignee_user_id is not None:
        await ensure_housekeeper(ctx.session, assignee_user_id, ["assignee"])
    changed = []
    for index, task_id in enumerate(sorted(ids)):  # one lock order: no deadlock
        task = await lock_task(ctx, task_id, ["tasks", str(index)])
        room = await _room(ctx, task.room_id)
        if TaskStatus(task.status) not in OPEN_STATUSES:
            raise DomainError(
                HousekeepingErrorCode.INVALID_TRANSITION,
                f"the task of room {room.number} is {task.status.replace('_', ' ')}: only "
                "pending and in-progress tasks are assigned", field=["tasks"], room=room.number,
            )  # fmt: skip
        if task.assignee_user_id == assignee_user_id:
            changed.append(task)
            continue
        previous = task.assignee_user_id
        task.assignee_user_id = assignee_user_id
        _announce(ctx, task, room, task.status, previous)
        changed.append(task)
    by_id = {task.id: task for task in changed}
    return [by_id[task_id] for task_id in ids]


async def start_task(ctx: HousekeepingContext, task_id: int) -> HousekeepingTask:
    task = await lock_task(ctx, task_id, ["task"])
    room = await _room(ctx, task.room_id)
    _may_work_on(ctx, task, room)
    previous = _move(task, TaskStatus.IN_PROGRESS, room)
    task.started_at = ctx.clock.now()
    _announce(ctx, task, room, previous, task.assignee_user_id)
    return task


async def finish_task(
    ctx: HousekeepingContext, task_id: int, *, passed: bool | None = None, note: str = ""
) -> HousekeepingTask:
    """Finish a started task. A cleaning makes the room clean (and, where inspection is
    required, asks for one); an inspection says ``passed`` or not."""
    task = await lock_task(ctx, task_id, ["task"])
    room = await _room(ctx, task.room_id)
    _may_work_on(ctx, task, room)
    note = _note(note, ["note"])
    kind = TaskKind(task.kind)
    if kind is TaskKind.INSPECTION and passed is None:
        raise invalid("say whether the room passed the inspection", ["passed"])
    if kind is not TaskKind.INSPECTION and passed is not None:
        raise invalid("only an inspection passes or fails", ["passed"])
    previous = _move(task, TaskStatus.DONE, room)
    task.finished_at, task.finished_by = ctx.clock.now(), ctx.actor[:80]
    if note:
        task.note = f"{task.note}\n{note}".strip()[: MAX_NOTE * 2]
    _announce(ctx, task, room, previous, task.assignee_user_id)
    if kind in CLEANING_KINDS:
        await change_condition(ctx, room, Condition.CLEAN, reason="cleaned", task_id=task.id)
        if (await settings_for(ctx.session)).inspection_required:
            await create_task(
                ctx, room, TaskKind.INSPECTION, source_key=f"inspection:{task.id}",
                note=f"after the {kind.value.replace('_', '-')} cleaning",
            )  # fmt: skip
    elif kind is TaskKind.INSPECTION:
        assert passed is not None
        await _inspected(ctx, room, passed, note, task.id)
    return task


async def inspect_room(
    ctx: HousekeepingContext, room: RoomView, *, passed: bool, note: str = ""
) -> ConditionChange | None:
    """An inspector passes or fails a cleaned room. Its open inspection task, if there is
    one, is done by this."""
    if not ctx.may(INSPECT):
        raise DomainError(
            HousekeepingErrorCode.PERMISSION_DENIED, "inspecting rooms needs housekeeping:inspect",
            field=["room"], room=room.number,
        )  # fmt: skip
    note = _note(note, ["note"])
    task = await ctx.session.scalar(
        select(HousekeepingTask)
        .where(
            HousekeepingTask.room_id == room.id,
            HousekeepingTask.kind == TaskKind.INSPECTION.value,
            HousekeepingTask.status.in_(OPEN),
        )
        .order_by(HousekeepingTask.id)
        .with_for_update()
    )
    if task is not None:
        for target in (TaskStatus.IN_PROGRESS, TaskStatus.DONE):
            if task.status != target.value:
                previous = _move(task, target, room)
                _announce(ctx, task, room, previous, task.assignee_user_id)
        task.started_at = task.started_at or ctx.clock.now()
        task.finished_at, task.finished_by = ctx.clock.now(), ctx.actor[:80]
    return await _inspected(ctx, room, passed, note, task.id if task else None)


async def _inspected(
    ctx: HousekeepingContext, room: RoomView, passed: bool, note: str, task_id: int | None
) -> ConditionChange | None:
    cleanings = list(
        await ctx.session.scalars(
            select(HousekeepingTask)
            .where(
                HousekeepingTask.room_id == room.id,
                HousekeepingTask.kind.in_([k.value for k in CLEANING_KINDS]),
                HousekeepingTask.status == TaskStatus.DONE.value,
            )
            .order_by(HousekeepingTask.id)
            .with_for_update()
        )
    )
    if passed:
        change = await change_condition(
            ctx, room, Condition.INSPECTED, reason="inspected", note=note, task_id=task_id
        )
        for cleaning in cleanings:
            previous = _move(cleaning, TaskStatus.INSPECTED, room)
            cleaning.inspected_at, cleaning.inspected_by = ctx.clock.now(), ctx.actor[:80]
            _announce(ctx, cleaning, room, previous, cleaning.assignee_user_id)
        return change
    change = await change_condition(
        ctx, room, Condition.DIRTY, reason="inspection_failed", note=note, task_id=task_id,
        checked=False,
    )  # fmt: skip
    if cleanings:
        # Cleaned again, by whoever cleaned it.
        redo = cleanings[-1]
        previous = _move(redo, TaskStatus.PENDING, room)
        redo.started_at = redo.finished_at = redo.finished_by = None
        if note:
            redo.note = f"{redo.note}\nFailed inspection: {note}".strip()[: MAX_NOTE * 2]
        _announce(ctx, redo, room, previous, redo.assignee_user_id)
    else:
        occupied = room.id in await views.in_house_by_room(ctx.session)
        await create_task(
            ctx, room, TaskKind.STAY_OVER if occupied else TaskKind.DEPARTURE,
            note=f"Failed inspection: {note}" if note else "Failed inspection",
        )  # fmt: skip
    return change


async def cancel_task(ctx: HousekeepingContext, task_id: int, reason: str = "") -> HousekeepingTask:
    task = await lock_task(ctx, task_id, ["task"])
    room = await _room(ctx, task.room_id)
    reason = _note(reason, ["reason"])
    previous = _move(task, TaskStatus.CANCELED, room)
    task.canceled_at = ctx.clock.now()
    if reason:
        task.note = f"{task.note}\nCanceled: {reason}".strip()[: MAX_NOTE * 2]
    _announce(ctx, task, room, previous, task.assignee_user_id)
    return task


async def cancel_open_tasks(
    ctx: HousekeepingContext,
    room: RoomView | None,
    kind: TaskKind,
    why: str,
    *,
    before: dt.date | None = None,
) -> int:
    """Cancel the open tasks of ``kind`` (of ``room``; from before ``before``): a stay-over
    once the guest has left, yesterday's stay-overs when today's are made."""
    statement = (
        select(HousekeepingTask)
        .where(HousekeepingTask.kind == kind.value, HousekeepingTask.status.in_(OPEN))
        .order_by(HousekeepingTask.id)
        .with_for_update()
    )
    if room is not None:
        statement = statement.where(HousekeepingTask.room_id == room.id)
    if before is not None:
        statement = statement.where(HousekeepingTask.business_date < before)
    tasks = list(await ctx.session.scalars(statement))
    rooms = await views.rooms_by_id(ctx.session, {t.room_id for t in tasks})
    for task in tasks:
        previous = _move(task, TaskStatus.CANCELED, rooms[task.room_id])
        task.canceled_at = ctx.clock.now()
        task.note = f"{task.note}\nCanceled: {why}".strip()[: MAX_NOTE * 2]
        _announce(ctx, task, rooms[task.room_id], previous, task.assignee_user_id)
    return len(tasks)
