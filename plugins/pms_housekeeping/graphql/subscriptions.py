"""Live updates for the front desk's screen and housekeepers' phones, from the property's
``pms_housekeeping.*`` events."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from sqlalchemy import select
from strawberry.types import Info

from core.graphql.permissions import requires
from core.graphql.subscriptions import changed_rows, property_events
from plugins.pms_housekeeping import models
from plugins.pms_housekeeping.graphql.types import HousekeepingTask, RoomConditionChange

CONDITION_CHANGED = "pms_housekeeping.room_condition_changed"
TASK_CHANGED = "pms_housekeeping.task_changed"


async def _task(info: Info, task_id: int) -> HousekeepingTask | None:
    # A fresh read: on a WebSocket the session ends after each use.
    async with info.context.db() as session:
        row = await session.scalar(
            select(models.HousekeepingTask).where(models.HousekeepingTask.id == task_id)
        )
        return HousekeepingTask.from_row(row) if row is not None else None


@strawberry.type
class HousekeepingSubscription:
    @strawberry.subscription(
        permission_classes=requires("housekeeping:read"),
        description="Every change of a room's condition at this property.",
    )
    async def room_condition_changed(self, info: Info) -> AsyncGenerator[RoomConditionChange, None]:
        async for event in property_events(info, (CONDITION_CHANGED,)):
            yield RoomConditionChange.from_event(event.payload, event.occurred_at)

    @strawberry.subscription(
        permission_classes=requires("housekeeping:read"),
        description="Every task made or changed at this property (as it is now).",
    )
    async def housekeeping_task_changed(self, info: Info) -> AsyncGenerator[HousekeepingTask, None]:
        async for row in changed_rows(info, (TASK_CHANGED,), models.HousekeepingTask, "task_id"):
            yield HousekeepingTask.from_row(row)

    @strawberry.subscription(
        permission_classes=requires("housekeeping:tasks"),
        description="Your tasks as they change: given to you, taken from you (its assignee "
        "is then someone else), started, finished, reopened, canceled.",
    )
    async def my_housekeeping_task_changed(
        self, info: Info
    ) -> AsyncGenerator[HousekeepingTask, None]:
        principal = info.context.principal
        me = principal.user_id if principal else None
        async for event in property_events(info, (TASK_CHANGED,)):
            payload = event.payload
            if me is not None and me in (
                payload["assignee_user_id"],
                payload["previous_assignee_user_id"],
            ):
                task = await _task(info, payload["task_id"])
                if task is not None:
                    yield task
