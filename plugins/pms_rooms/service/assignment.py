"""Room nights: which room each reservation sleeps in, night by night.

Claiming a room is one INSERT of all its nights with ON CONFLICT DO NOTHING
against UNIQUE (room_id, night): if fewer rows went in than nights asked for,
another stay holds one of them, the rows that did go in are taken back and the
next room is tried. On PostgreSQL a concurrent claim of the same night waits
for the other transaction and then skips; on SQLite writers run one at a
time. Either way two stays never share a room night, and nobody gets an
internal error for losing the race.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import delete, select

from core.db import session_scope, upsert_insert
from core.errors import DomainError
from plugins.pms_rooms.models import Reservation, Room, RoomNight
from plugins.pms_rooms.service.common import RoomsContext, nights
from plugins.pms_rooms.service.errors import RoomsErrorCode, not_found


async def out_of_order_rooms(ctx: RoomsContext, start: dt.date, end: dt.date) -> set[int]:
    """Rooms another plugin (pms_housekeeping) has out of order on a night in [start, end)."""
    blocked: set[int] = set()
    for answer in await ctx.ask("pms_rooms_rooms_out_of_order", start=start, end=end):
        blocked.update(answer or ())  # type: ignore[arg-type]
    return blocked


async def occupied_rooms(ctx: RoomsContext, start: dt.date, end: dt.date) -> set[int]:
    rows = await ctx.session.scalars(
        select(RoomNight.room_id).where(RoomNight.night >= start, RoomNight.night < end).distinct()
    )
    return set(rows)


async def free_rooms(
    ctx: RoomsContext, room_type_id: int | None, start: dt.date, end: dt.date
) -> list[Room]:
    """Active rooms (of the type, if given) free on every night in [start, end) and not out
    of order, by number."""
    statement = select(Room).where(Room.active.is_(True)).order_by(Room.number)
    if room_type_id is not None:
        statement = statement.where(Room.room_type_id == room_type_id)
    taken = await occupied_rooms(ctx, start, end) | await out_of_order_rooms(ctx, start, end)
    return [room for room in await ctx.session.scalars(statement) if room.id not in taken]


async def _claim(
    ctx: RoomsContext, reservation: Reservation, room_id: int, wanted: list[dt.date]
) -> bool:
    """Insert the room's nights for the reservation, all or none."""
    if not wanted:
        return True
    scope = session_scope(ctx.session)
    result = await ctx.session.execute(
        upsert_insert(ctx.session, RoomNight)
        .values([
            {"tenant_id": scope.tenant_id, "property_id": scope.property_id, "room_id": room_id,
             "night": night, "reservation_id": reservation.id}
            for night in wanted
        ])
        .on_conflict_do_nothing(index_elements=["room_id", "night"])
    )  # fmt: skip
    if result.rowcount == len(wanted):
        return True
    if result.rowcount == 0:
        return False
    await ctx.session.execute(
        delete(RoomNight).where(
            RoomNight.reservation_id == reservation.id,
            RoomNight.room_id == room_id,
            RoomNight.night.in_(wanted),
        )
    )
    return False


async def claim_room(
    ctx: RoomsContext,
    reservation: Reservation,
    start: dt.date,
    end: dt.date,
    *,
    room_id: int | None = None,
    prefer: Iterable[int] = (),
) -> Room:
    """Give ``reservation`` a room for the nights [start, end): ``room_id`` if given (it
    must be of the reservation's type, free and in order), else the first free room of
    its type, trying ``prefer`` first. NOT_AVAILABLE when none is."""
    wanted = nights(start, end)
    if room_id is not None:
        room = await ctx.session.get(Room, room_id)
        if room is None or not room.active:
            raise not_found("room", ["room"])
        if room.room_type_id != reservation.room_type_id:
            raise DomainError(
                RoomsErrorCode.INVALID_INPUT,
                f"room {room.number} is not of the reservation's room type", field=["room"],
            )  # fmt: skip
        if room.id in await out_of_order_rooms(ctx, start, end):
            raise DomainError(
                RoomsErrorCode.ROOM_OUT_OF_ORDER, f"room {room.number} is out of order then",
                field=["room"],
            )  # fmt: skip
        if not await _claim(ctx, reservation, room.id, wanted):
            raise DomainError(
                RoomsErrorCode.NOT_AVAILABLE,
                f"room {room.number} is taken on one of those nights", field=["room"],
            )  # fmt: skip
        return room
    candidates = await free_rooms(ctx, reservation.room_type_id, start, end)
    preferred = set(prefer)
    candidates.sort(key=lambda room: (room.id not in preferred, room.number))
    for room in candidates:
        if await _claim(ctx, reservation, room.id, wanted):
            return room
    raise DomainError(
        RoomsErrorCode.NOT_AVAILABLE,
        f"no room of this type is free from {start.isoformat()} to {end.isoformat()}",
        field=["roomType"],
    )  # fmt: skip


async def release_nights(
    ctx: RoomsContext,
    reservation: Reservation,
    *,
    from_night: dt.date | None = None,
    room_id: int | None = None,
) -> list[tuple[int, dt.date]]:
    """Give back the reservation's nights (from ``from_night`` on, in ``room_id`` only if
    given); returns (room, night)."""
    statement = select(RoomNight).where(RoomNight.reservation_id == reservation.id)
    if from_night is not None:
        statement = statement.where(RoomNight.night >= from_night)
    if room_id is not None:
        statement = statement.where(RoomNight.room_id == room_id)
    rows = list(await ctx.session.scalars(statement.order_by(RoomNight.night)))
    for row in rows:
        await ctx.session.delete(row)
    await ctx.session.flush()
    released = [(row.room_id, row.night) for row in rows]
    if released:
        by_room: dict[int, list[dt.date]] = {}
        for room_id, night in released:
            by_room.setdefault(room_id, []).append(night)
        for room_id, room_nights in by_room.items():
            await ctx.announce(
                "pms_rooms_room_nights_released", room_id=room_id, nights=room_nights,
                reservation_id=reservation.id,
            )  # fmt: skip
    return released
