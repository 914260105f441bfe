"""Room blocks: out of order (taken out of availability for its nights) and out of
service (still sold, with a known defect such as a broken minibar).

A block covers the nights from ``start`` to ``end`` (excluded), like a stay.
Creating an out-of-order block and booking a room exclude each other: the
block takes this property's blocks lock exclusively and then looks for stays
holding the room; pms_rooms asks which rooms are out of order (our
``pms_rooms_rooms_out_of_order`` answer) holding it shared, before it claims
room nights. So whichever commits second sees the first (PostgreSQL; on
SQLite write transactions run one at a time anyway).
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import advisory_xact_lock, session_scope
from core.errors import DomainError
from core.events import record_event
from plugins.pms_housekeeping.models import RoomBlock
from plugins.pms_housekeeping.service.common import HousekeepingContext
from plugins.pms_housekeeping.service.errors import HousekeepingErrorCode, invalid, not_found
from plugins.pms_rooms.service import views
from plugins.pms_rooms.service.views import RoomView

MAX_NIGHTS = 730
MAX_REASON = 200


class BlockKind(Enum):
    OUT_OF_ORDER = "out_of_order"
    OUT_OF_SERVICE = "out_of_service"


class BlockStatus(Enum):
    ACTIVE = "active"
    RELEASED = "released"  # ended early; end_date is the day it ended
    CANCELED = "canceled"  # called off before its first night


def blocks_lock(session: AsyncSession) -> str:
    return f"pms_housekeeping.blocks:{session_scope(session).property_id}"


def _effective():
    return RoomBlock.status != BlockStatus.CANCELED.value


async def out_of_order_room_ids(session: AsyncSession, start: dt.date, end: dt.date) -> list[int]:
    """Rooms out of order on any night from ``start`` to ``end`` (excluded)."""
    rows = await session.scalars(
        select(RoomBlock.room_id)
        .where(
            RoomBlock.kind == BlockKind.OUT_OF_ORDER.value,
            _effective(),
            RoomBlock.start_date < end,
            RoomBlock.end_date > start,
        )
        .distinct()
    )
    return sorted(rows)


async def blocks_on(session: AsyncSession, night: dt.date) -> dict[int, RoomBlock]:
    """The block covering each blocked room on ``night``."""
    rows = await session.scalars(
        select(RoomBlock)
        .where(_effective(), RoomBlock.start_date <= night, RoomBlock.end_date > night)
        .order_by(RoomBlock.id)
    )
    return {row.room_id: row for row in rows}


async def create_block(
    ctx: HousekeepingContext,
    room: RoomView,
    kind: BlockKind,
    *,
    reason: str,
    start: dt.date,
    end: dt.date,
) -> RoomBlock:
    reason = reason.strip()
    if not reason:
        raise invalid("say why the room is blocked", ["reason"])
    if len(reason) > MAX_REASON:
        raise invalid(f"a reason has at most {MAX_REASON} characters", ["reason"])
    if end <= start:
        raise invalid(
            f"the block ends ({end.isoformat()}) before it starts ({start.isoformat()}): the end "
            "is the first night the room is back", ["end"],
        )  # fmt: skip
    if (end - start).days > MAX_NIGHTS:
        raise invalid(f"a block covers at most {MAX_NIGHTS} nights", ["end"])
    today = await views.business_date(ctx.session, ctx.clock)
    if start < today:
        raise invalid(f"the block starts before the business date ({today.isoformat()})", ["start"])
    await advisory_xact_lock(ctx.session, blocks_lock(ctx.session))
    overlapping = await ctx.session.scalar(
        select(RoomBlock)
        .where(
            RoomBlock.room_id == room.id,
            _effective(),
            RoomBlock.start_date < end,
            RoomBlock.end_date > start,
        )
        .limit(1)
    )
    if overlapping is not None:
        raise DomainError(
            HousekeepingErrorCode.BLOCK_OVERLAPS,
            f"room {room.number} is already {overlapping.kind.replace('_', ' ')} from "
            f"{overlapping.start_date.isoformat()} to {overlapping.end_date.isoformat()}",
            field=["start"], room=room.number,
        )  # fmt: skip
    if kind is BlockKind.OUT_OF_ORDER:
        stays = await views.stays_holding_room(ctx.session, room.id, start, end)
        if stays:
            numbers = [stay.number for stay in stays]
            raise DomainError(
                HousekeepingErrorCode.ROOM_HAS_STAYS,
                f"room {room.number} is sold on those nights to reservation"
                f"{'s' if len(numbers) > 1 else ''} {', '.join(numbers)}: move "
                f"{'them' if len(numbers) > 1 else 'it'} to another room first",
                field=["room"], room=room.number, reservations=numbers,
            )  # fmt: skip
    block = RoomBlock(
        room_id=room.id, kind=kind.value, reason=reason, start_date=start, end_date=end,
        status=BlockStatus.ACTIVE.value, created_by=ctx.actor[:80], created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(block)
    await ctx.session.flush()
    _announce(ctx, "room_blocked", block, room)
    return block


async def release_block(ctx: HousekeepingContext, block_id: int) -> RoomBlock:
    """End a block early: from tonight the room is back (a block not yet begun is
    called off)."""
    await advisory_xact_lock(ctx.session, blocks_lock(ctx.session))
    block = await ctx.session.scalar(
        select(RoomBlock)
        .where(RoomBlock.id == block_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if block is None:
        raise not_found("block", ["block"])
    room = (await views.rooms_by_id(ctx.session, [block.room_id]))[block.room_id]
    today = await views.business_date(ctx.session, ctx.clock)
    if block.status != BlockStatus.ACTIVE.value or block.end_date <= today:
        raise DomainError(
            HousekeepingErrorCode.INVALID_TRANSITION,
            f"the block of room {room.number} is over already", field=["block"],
            room=room.number,
        )  # fmt: skip
    if block.start_date < today:
        block.status, block.end_date = BlockStatus.RELEASED.value, today
    else:
        block.status = BlockStatus.CANCELED.value
    block.released_at, block.released_by = ctx.clock.now(), ctx.actor[:80]
    _announce(ctx, "room_block_released", block, room)
    return block


def _announce(ctx: HousekeepingContext, event: str, block: RoomBlock, room: RoomView) -> None:
    record_event(
        ctx.session, f"pms_housekeeping.{event}",
        {
            "block_id": block.id, "room_id": room.id, "room_number": room.number,
            "kind": block.kind, "status": block.status, "reason": block.reason,
            "start": block.start_date.isoformat(), "end": block.end_date.isoformat(),
            "actor": ctx.actor,
        },
        clock=ctx.clock,
    )  # fmt: skip
