"""Read-only views of rooms and stays for the plugins that require pms_rooms
(pms_housekeeping, pos_bridge). They read through these functions instead of querying
our tables, and get frozen copies back: only pms_rooms writes its tables."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from plugins.pms_rooms.models import Reservation, Room, RoomNight
from plugins.pms_rooms.service.common import settings_for
from plugins.pms_rooms.service.snapshots import ReservationSnapshot
from plugins.pms_rooms.transitions import ReservationStatus


@dataclass(frozen=True)
class RoomView:
    id: int
    number: str
    floor: str
    room_type_id: int
    active: bool

    @classmethod
    def of(cls, row: Room) -> RoomView:
        return cls(
            id=row.id, number=row.number, floor=row.floor, room_type_id=row.room_type_id,
            active=row.active,
        )  # fmt: skip


async def business_date(session: AsyncSession, clock: Clock) -> dt.date:
    """The hotel's business date: the day the night audit has not closed yet."""
    return (await settings_for(session, clock)).business_date


async def rooms(session: AsyncSession, *, floor: str | None = None) -> list[RoomView]:
    """Every room (on ``floor``, if given), by number."""
    statement = select(Room).order_by(Room.number)
    if floor is not None:
        statement = statement.where(Room.floor == floor)
    return [RoomView.of(row) for row in await session.scalars(statement)]


async def room_by_number(session: AsyncSession, number: str) -> RoomView | None:
    row = await session.scalar(select(Room).where(Room.number == number.strip()))
    return RoomView.of(row) if row is not None else None


async def rooms_by_id(session: AsyncSession, ids: Iterable[int]) -> dict[int, RoomView]:
    wanted = set(ids)
    if not wanted:
        return {}
    rows = await session.scalars(select(Room).where(Room.id.in_(wanted)))
    return {row.id: RoomView.of(row) for row in rows}


async def _by_room(session: AsyncSession, *conditions: object) -> dict[int, ReservationSnapshot]:
    rows = await session.scalars(
        select(Reservation)
        .where(Reservation.room_id.is_not(None), *conditions)  # type: ignore[arg-type]
        .order_by(Reservation.arrival, Reservation.id)
    )
    return {row.room_id: ReservationSnapshot.of(row) for row in rows if row.room_id is not None}


async def in_house_by_room(session: AsyncSession) -> dict[int, ReservationSnapshot]:
    """The stay in house in each occupied room."""
    return await _by_room(session, Reservation.status == ReservationStatus.IN_HOUSE.value)


async def arrivals_by_room(session: AsyncSession, day: dt.date) -> dict[int, ReservationSnapshot]:
    """Confirmed stays due in on ``day`` (or earlier and still expected), by assigned room."""
    return await _by_room(
        session,
        Reservation.status == ReservationStatus.CONFIRMED.value,
        Reservation.arrival <= day,
        Reservation.departure > day,
    )


async def departures_by_room(session: AsyncSession, day: dt.date) -> dict[int, ReservationSnapshot]:
    """In-house stays due out on ``day`` (or overdue), by room."""
    return await _by_room(
        session,
        Reservation.status == ReservationStatus.IN_HOUSE.value,
        Reservation.departure <= day,
    )


async def stays_holding_room(
    session: AsyncSession, room_id: int, start: dt.date, end: dt.date
) -> list[ReservationSnapshot]:
    """The stays holding a night of ``room_id`` from ``start`` to ``end`` (excluded)."""
    rows = await session.scalars(
        select(Reservation)
        .where(
            Reservation.id.in_(
                select(RoomNight.reservation_id).where(
                    RoomNight.room_id == room_id, RoomNight.night >= start, RoomNight.night < end
                )
            )
        )
        .order_by(Reservation.arrival, Reservation.number)
    )
    return [ReservationSnapshot.of(row) for row in rows]
