"""Root mutation fields of pms_housekeeping: thin, each one service call in one transaction."""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from core.graphql import pk_of
from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires
from plugins.pms_housekeeping.graphql.types import (
    BlockKindEnum,
    HousekeepingError,
    HousekeepingSettings,
    HousekeepingTask,
    RoomBlock,
    RoomConditionChange,
    RoomConditionEnum,
    TaskKindEnum,
)
from plugins.pms_housekeeping.service import blocks, tasks
from plugins.pms_housekeeping.service.blocks import BlockKind
from plugins.pms_housekeeping.service.common import (
    HousekeepingContext,
    room_numbered,
    settings_for,
)
from plugins.pms_housekeeping.service.conditions import change_condition
from plugins.pms_housekeeping.service.errors import HousekeepingErrorCode
from plugins.pms_housekeeping.transitions import Condition, TaskKind
from plugins.pms_rooms.service.views import RoomView

P = TypeVar("P")


def _errors() -> Any:
    return strawberry.field(default_factory=list)


def context_of(info: Info, session: AsyncSession) -> HousekeepingContext:
    principal = info.context.principal
    return HousekeepingContext(
        session=session, clock=info.context.clock,
        actor=principal.subject if principal else "anonymous",
        user_id=principal.user_id if principal else None,
        permissions=info.context.permissions,
    )  # fmt: skip


async def run(
    info: Info, work: Callable[[HousekeepingContext], Awaitable[P]], payload: type[P]
) -> P:
    """One transaction; a DomainError rolls it back and becomes typed payload errors."""

    async def in_session(session: AsyncSession) -> P:
        return await work(context_of(info, session))

    return await in_transaction(info, in_session, payload, HousekeepingError, HousekeepingErrorCode)


def _task_id(value: str) -> int:
    return pk_of(value, "HousekeepingTask")


# -- inputs -----------------------------------------------------------------------------


@strawberry.input
class UpdateHousekeepingSettingsInput:
    inspection_required: bool | None = None
    stay_over_cleaning: bool | None = None


@strawberry.input
class SetRoomConditionInput:
    room: str = strawberry.field(description="The room's number.")
    condition: RoomConditionEnum  # type: ignore[valid-type]
    note: str = ""


@strawberry.input
class InspectRoomInput:
    room: str = strawberry.field(description="The room's number.")
    passed: bool
    note: str = ""


@strawberry.input
class CreateRoomBlockInput:
    room: str = strawberry.field(description="The room's number.")
    kind: BlockKindEnum  # type: ignore[valid-type]
    reason: str
    start: dt.date = strawberry.field(description="The first night blocked.")
    end: dt.date = strawberry.field(description="The first night the room is back.")


@strawberry.input
class RoomBlockInput:
    block: strawberry.ID


@strawberry.input
class CreateHousekeepingTaskInput:
    room: str = strawberry.field(description="The room's number.")
    kind: TaskKindEnum  # type: ignore[valid-type]
    note: str = ""
    assignee: strawberry.ID | None = strawberry.field(
        default=None, description="A housekeeper's user ID."
    )


@strawberry.input
class AssignHousekeepingTasksInput:
    tasks: list[strawberry.ID]
    assignee: strawberry.ID | None = strawberry.field(
        description="A housekeeper's user ID; null takes the tasks back to nobody."
    )


@strawberry.input
class HousekeepingTaskInput:
    task: strawberry.ID


@strawberry.input
class FinishHousekeepingTaskInput:
    task: strawberry.ID
    passed: bool | None = strawberry.field(
        default=None, description="For an inspection only: whether the room passed."
    )
    note: str = ""


@strawberry.input
class CancelHousekeepingTaskInput:
    task: strawberry.ID
    reason: str = ""


# -- payloads ---------------------------------------------------------------------------


@strawberry.type
class HousekeepingSettingsPayload:
    settings: HousekeepingSettings | None = None
    errors: list[HousekeepingError] = _errors()


@strawberry.type
class RoomConditionPayload:
    room: str | None = strawberry.field(default=None, description="The room's number.")
    condition: RoomConditionEnum | None = None  # type: ignore[valid-type]
    change: RoomConditionChange | None = strawberry.field(
        default=None, description="Null when the room already was in that condition."
    )
    errors: list[HousekeepingError] = _errors()


@strawberry.type
class RoomBlockPayload:
    block: RoomBlock | None = None
    errors: list[HousekeepingError] = _errors()


@strawberry.type
class HousekeepingTaskPayload:
    task: HousekeepingTask | None = None
    errors: list[HousekeepingError] = _errors()


@strawberry.type
class HousekeepingTasksPayload:
    tasks: list[HousekeepingTask] = strawberry.field(default_factory=list)
    errors: list[HousekeepingError] = _errors()


def _task_payload(row: Any) -> HousekeepingTaskPayload:
    return HousekeepingTaskPayload(task=HousekeepingTask.from_row(row))


@strawberry.type
class HousekeepingMutation:
    @strawberry.mutation(permission_classes=requires("housekeeping:write"))
    async def update_housekeeping_settings(
        self, info: Info, input: UpdateHousekeepingSettingsInput
    ) -> HousekeepingSettingsPayload:
        async def work(ctx: HousekeepingContext) -> HousekeepingSettingsPayload:
            row = await settings_for(ctx.session)
            if input.inspection_required is not None:
                row.inspection_required = input.inspection_required
            if input.stay_over_cleaning is not None:
                row.stay_over_cleaning = input.stay_over_cleaning
            return HousekeepingSettingsPayload(settings=HousekeepingSettings.from_row(row))

        return await run(info, work, HousekeepingSettingsPayload)

    @strawberry.mutation(
        permission_classes=requires("housekeeping:write"),
        description="Set a room's condition by hand (marking it inspected needs "
        "housekeeping:inspect: use inspectRoom).",
    )
    async def set_room_condition(
        self, info: Info, input: SetRoomConditionInput
    ) -> RoomConditionPayload:
        async def work(ctx: HousekeepingContext) -> RoomConditionPayload:
            room = await room_numbered(ctx.session, input.room, ["room"])
            target = Condition(input.condition.value)
            if target is Condition.INSPECTED:
                return await _inspect(ctx, room, True, input.note)
            change = await change_condition(ctx, room, target, reason="manual", note=input.note)
            return RoomConditionPayload(
                room=room.number, condition=target,
                change=RoomConditionChange.from_row(change) if change else None,
            )  # fmt: skip

        return await run(info, work, RoomConditionPayload)

    @strawberry.mutation(
        permission_classes=requires("housekeeping:inspect"),
        description="Pass a cleaned room (inspected) or fail it (dirty again; its cleaning "
        "task goes back to pending). Does the room's open inspection task too.",
    )
    async def inspect_room(self, info: Info, input: InspectRoomInput) -> RoomConditionPayload:
        async def work(ctx: HousekeepingContext) -> RoomConditionPayload:
            room = await room_numbered(ctx.session, input.room, ["room"])
            return await _inspect(ctx, room, input.passed, input.note)

        return await run(info, work, RoomConditionPayload)

    @strawberry.mutation(permission_classes=requires("housekeeping:write"))
    async def create_room_block(self, info: Info, input: CreateRoomBlockInput) -> RoomBlockPayload:
        async def work(ctx: HousekeepingContext) -> RoomBlockPayload:
            room = await room_numbered(ctx.session, input.room, ["room"])
            row = await blocks.create_block(
                ctx, room, BlockKind(input.kind.value), reason=input.reason, start=input.start,
                end=input.end,
            )  # fmt: skip
            return RoomBlockPayload(block=RoomBlock.from_row(row))

        return await run(info, work, RoomBlockPayload)

    @strawberry.mutation(
        permission_classes=requires("housekeeping:write"),
        description="End a block early: the room is back from tonight (a block not yet "
        "begun is canceled).",
    )
    async def release_room_block(self, info: Info, input: RoomBlockInput) -> RoomBlockPayload:
        async def work(ctx: HousekeepingContext) -> RoomBlockPayload:
            row = await blocks.release_block(ctx, pk_of(input.block, "RoomBlock"))
            return RoomBlockPayload(block=RoomBlock.from_row(row))

        return await run(info, work, RoomBlockPayload)

    @strawberry.mutation(permission_classes=requires("housekeeping:write"))
    async def create_housekeeping_task(
        self, info: Info, input: CreateHousekeepingTaskInput
    ) -> HousekeepingTaskPayload:
        async def work(ctx: HousekeepingContext) -> HousekeepingTaskPayload:
            room = await room_numbered(ctx.session, input.room, ["room"])
            row = await tasks.create_task(
                ctx, room, TaskKind(input.kind.value), note=input.note,
                assignee_user_id=pk_of(input.assignee, "User") if input.assignee else None,
            )  # fmt: skip
            return _task_payload(row)

        return await run(info, work, HousekeepingTaskPayload)

    @strawberry.mutation(permission_classes=requires("housekeeping:write"))
    async def assign_housekeeping_tasks(
        self, info: Info, input: AssignHousekeepingTasksInput
    ) -> HousekeepingTasksPayload:
        async def work(ctx: HousekeepingContext) -> HousekeepingTasksPayload:
            rows = await tasks.assign_tasks(
                ctx, [_task_id(t) for t in input.tasks],
                pk_of(input.assignee, "User") if input.assignee else None,
            )  # fmt: skip
            return HousekeepingTasksPayload(tasks=[HousekeepingTask.from_row(r) for r in rows])

        return await run(info, work, HousekeepingTasksPayload)

    @strawberry.mutation(
        permission_classes=requires("housekeeping:tasks"),
        description="Start one of your tasks (a supervisor may start anyone's).",
    )
    async def start_housekeeping_task(
        self, info: Info, input: HousekeepingTaskInput
    ) -> HousekeepingTaskPayload:
        async def work(ctx: HousekeepingContext) -> HousekeepingTaskPayload:
            return _task_payload(await tasks.start_task(ctx, _task_id(input.task)))

        return await run(info, work, HousekeepingTaskPayload)

    @strawberry.mutation(
        permission_classes=requires("housekeeping:tasks"),
        description="Finish one of your started tasks: a cleaning makes the room clean; an "
        "inspection passes or fails it.",
    )
    async def finish_housekeeping_task(
        self, info: Info, input: FinishHousekeepingTaskInput
    ) -> HousekeepingTaskPayload:
        async def work(ctx: HousekeepingContext) -> HousekeepingTaskPayload:
            row = await tasks.finish_task(
                ctx, _task_id(input.task), passed=input.passed, note=input.note
            )
            return _task_payload(row)

        return await run(info, work, HousekeepingTaskPayload)

    @strawberry.mutation(permission_classes=requires("housekeeping:write"))
    async def cancel_housekeeping_task(
        self, info: Info, input: CancelHousekeepingTaskInput
    ) -> HousekeepingTaskPayload:
        async def work(ctx: HousekeepingContext) -> HousekeepingTaskPayload:
            return _task_payload(await tasks.cancel_task(ctx, _task_id(input.task), input.reason))

        return await run(info, work, HousekeepingTaskPayload)


async def _inspect(
    ctx: HousekeepingContext, room: RoomView, passed: bool, note: str
) -> RoomConditionPayload:
    change = await tasks.inspect_room(ctx, room, passed=passed, note=note)
    return RoomConditionPayload(
        room=room.number, condition=Condition.INSPECTED if passed else Condition.DIRTY,
        change=RoomConditionChange.from_row(change) if change else None,
    )  # fmt: skip
