"""Hook implementations of pms_housekeeping: its GraphQL, permissions, the stay-over job,
seeds, and its answers and reactions to pms_rooms' hooks."""

from __future__ import annotations

import datetime as dt

from core import hookimpl
from core.db import Scope, advisory_xact_lock, is_read_only
from core.graphql import GraphQLContribution
from core.jobs import Job, JobContext
from core.permissions import Permission
from plugins.pms_housekeeping.service.blocks import blocks_lock, out_of_order_room_ids
from plugins.pms_housekeeping.service.common import HousekeepingContext, settings_for
from plugins.pms_housekeeping.service.conditions import condition_of
from plugins.pms_housekeeping.service.reactions import make_stay_over_tasks, room_vacated
from plugins.pms_housekeeping.transitions import Condition


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from plugins.pms_housekeeping.graphql import contribution

    return contribution()


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission("housekeeping:read", "See the housekeeping board, every task and block"),
        Permission("housekeeping:tasks", "See and work on the housekeeping tasks given to you"),
        Permission(
            "housekeeping:write",
            "Set room conditions, create, assign and cancel tasks, block rooms, settings",
        ),
        Permission("housekeeping:inspect", "Pass or fail cleaned rooms"),
    ]


async def _stay_overs(context: JobContext) -> int:
    async def make(tenant_id: int, property_id: int) -> int:
        async with context.transaction(Scope.tenant(tenant_id, property_id)) as session:
            ctx = HousekeepingContext(session, context.clock, actor="job:stay_overs")
            return await make_stay_over_tasks(ctx)

    return await context.for_each_property("pms_housekeeping", make, what="stay-over tasks")


@hookimpl
def concierge_jobs() -> list[Job]:
    return [
        Job(
            name="pms_housekeeping.stay_overs",
            interval=dt.timedelta(minutes=10),
            run=_stay_overs,
            description="Once each business date: occupied rooms become dirty and get a "
            "stay-over cleaning task.",
        )
    ]


@hookimpl
async def concierge_plugin_enabled(session, property, clock) -> None:
    await settings_for(session)


@hookimpl(trylast=True)
async def concierge_demo_data(session, property, clock, hooks) -> None:
    from plugins.pms_housekeeping.demo import fill_demo_data

    await fill_demo_data(session, clock)


# -- answers to pms_rooms' questions ------------------------------------------------------


@hookimpl
async def pms_rooms_room_ready(session, room_id, room_number, clock) -> bool:
    condition = await condition_of(session, room_id)
    if (await settings_for(session)).inspection_required:
        return condition is Condition.INSPECTED
    return condition in (Condition.CLEAN, Condition.INSPECTED)


@hookimpl
async def pms_rooms_rooms_out_of_order(session, start, end, clock) -> list[int]:
    if not is_read_only(session):
        # Held shared until the booking commits: a block being made waits, then sees its
        # nights (service/blocks.py).
        await advisory_xact_lock(session, blocks_lock(session), shared=True)
    return await out_of_order_room_ids(session, start, end)


# -- reactions to stays ---------------------------------------------------------------------


@hookimpl
async def pms_rooms_reservation_checked_out(session, reservation, actor, clock) -> None:
    assert reservation.room_id is not None
    await room_vacated(
        HousekeepingContext(session, clock, actor=actor), reservation.room_id,
        reason="check_out", source_key=f"departure:{reservation.id}",
    )  # fmt: skip


@hookimpl
async def pms_rooms_check_in_reverted(session, reservation, actor, clock) -> None:
    assert reservation.room_id is not None
    await room_vacated(
        HousekeepingContext(session, clock, actor=actor), reservation.room_id,
        reason="check_in_reverted",
    )  # fmt: skip


@hookimpl
async def pms_rooms_room_moved(session, reservation, from_room_id, actor, clock) -> None:
    if reservation.status == "in_house":  # the guest had been living there
        await room_vacated(
            HousekeepingContext(session, clock, actor=actor), from_room_id, reason="room_move"
        )


@hookimpl
def concierge_reports() -> list:
    from plugins.pms_housekeeping.service.reports import REPORTS

    return REPORTS
