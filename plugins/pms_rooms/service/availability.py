"""What is free: room types with a room on every night of a stay, their prices and
restrictions (a booking engine's question), and a calendar of free rooms per night."""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass

from sqlalchemy import func, select

from core.errors import DomainError
from plugins.pms_rooms.models import RatePlan, Room, RoomNight, RoomType
from plugins.pms_rooms.service.assignment import occupied_rooms, out_of_order_rooms
from plugins.pms_rooms.service.common import RoomsContext, nights, settings_for
from plugins.pms_rooms.service.errors import RoomsErrorCode, invalid
from plugins.pms_rooms.service.rates import Quote, overrides_for, quote

MAX_CALENDAR_DAYS = 400


@dataclass(frozen=True)
class RateOffer:
    plan: RatePlan
    quote: Quote


@dataclass(frozen=True)
class RoomTypeOffer:
    room_type: RoomType
    free_rooms: int
    rates: list[RateOffer]


async def availability(
    ctx: RoomsContext, arrival: dt.date, departure: dt.date, adults: int, children: int
) -> list[RoomTypeOffer]:
    """Room types that sleep the party and have a room free (and in order) on every night,
    each with its rate plans' nightly prices, totals and broken restrictions."""
    today = (await settings_for(ctx.session, ctx.clock)).business_date
    if departure <= arrival:
        raise invalid("departure must be after arrival", ["departure"])
    if arrival < today:
        raise DomainError(
            RoomsErrorCode.ARRIVAL_IN_PAST, f"arrival is before {today.isoformat()}",
            field=["arrival"],
        )  # fmt: skip
    if (departure - arrival).days > 90 or adults < 1 or children < 0:
        raise invalid("stays of 1 to 90 nights for at least one adult", ["departure"])
    types = list(
        await ctx.session.scalars(
            select(RoomType)
            .where(RoomType.active.is_(True), RoomType.capacity >= adults + children)
            .order_by(RoomType.code)
        )
    )
    if not types:
        return []
    taken = await occupied_rooms(ctx, arrival, departure) | await out_of_order_rooms(
        ctx, arrival, departure
    )
    free = Counter(
        room.room_type_id
        for room in await ctx.session.scalars(
            select(Room).where(Room.active.is_(True), Room.room_type_id.in_([t.id for t in types]))
        )
        if room.id not in taken
    )
    plans = list(
        await ctx.session.scalars(
            select(RatePlan)
            .where(RatePlan.active.is_(True), RatePlan.room_type_id.in_([t.id for t in types]))
            .order_by(RatePlan.code)
        )
    )
    overrides = await overrides_for(ctx.session, [p.id for p in plans], arrival, departure)
    offers = []
    for room_type in types:
        if free[room_type.id] == 0:
            continue
        rates = [
            RateOffer(plan, quote(plan, arrival, departure, overrides))
            for plan in plans
            if plan.room_type_id == room_type.id
        ]
        offers.append(RoomTypeOffer(room_type, free[room_type.id], rates))
    return offers


@dataclass(frozen=True)
class CalendarDay:
    date: dt.date
    room_type: RoomType
    rooms: int
    sold: int
    out_of_order: int
    # Neither sold nor out of order (a sold room that goes out of order counts once).
    free: int


async def calendar(ctx: RoomsContext, start: dt.date, end: dt.date) -> list[CalendarDay]:
    """Per night from ``start`` to ``end`` (excluded) and room type: rooms, sold, free.

    Two queries whatever the range: rooms per type, and room nights per (type, night).
    Out of order counts the rooms another plugin reports blocked on any night of the
    range (a coarse figure for long ranges); ``free`` leaves out rooms sold or out of
    order, a room that is both once, so it matches what booking finds on one night."""
    if end <= start or (end - start).days > MAX_CALENDAR_DAYS:
        raise invalid(f"a calendar covers 1 to {MAX_CALENDAR_DAYS} days", ["to"])
    types = list(await ctx.session.scalars(select(RoomType).order_by(RoomType.code)))
    rooms = Counter(
        type_id
        for type_id in await ctx.session.scalars(
            select(Room.room_type_id).where(Room.active.is_(True))
        )
    )
    sold_rows = await ctx.session.execute(
        select(Room.room_type_id, RoomNight.night, func.count())
        .join(Room, Room.id == RoomNight.room_id)
        .where(RoomNight.night >= start, RoomNight.night < end)
        .group_by(Room.room_type_id, RoomNight.night)
    )
    sold = {(type_id, night): int(count) for type_id, night, count in sold_rows}
    blocked_ids = await out_of_order_rooms(ctx, start, end)
    blocked_type: dict[int, int] = {}
    blocked_sold: set[tuple[int, dt.date]] = set()
    if blocked_ids:
        blocked_type = dict(
            (await ctx.session.execute(
                select(Room.id, Room.room_type_id).where(Room.id.in_(blocked_ids))
            )).all()
        )  # fmt: skip
        blocked_sold = {
            (room_id, night)
            for room_id, night in await ctx.session.execute(
                select(RoomNight.room_id, RoomNight.night).where(
                    RoomNight.room_id.in_(blocked_ids),
                    RoomNight.night >= start,
                    RoomNight.night < end,
                )
            )
        }

    def day(room_type: RoomType, night: dt.date) -> CalendarDay:
        blocked = [room for room, kind in blocked_type.items() if kind == room_type.id]
        blocked_unsold = sum(1 for room in blocked if (room, night) not in blocked_sold)
        sold_count = sold.get((room_type.id, night), 0)
        free = max(rooms[room_type.id] - sold_count - blocked_unsold, 0)
        return CalendarDay(night, room_type, rooms[room_type.id], sold_count, len(blocked), free)

    return [day(room_type, night) for night in nights(start, end) for room_type in types]
