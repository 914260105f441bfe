"""What must always hold in pms_rooms' data (``concierge check``): no room night sold
twice, every live stay holds each of its nights and a released one none, and every
folio's balance is the sum of its lines."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.invariants import CheckContext, Invariant
from plugins.pms_rooms.models import Folio, FolioLine, Reservation, Room, RoomNight
from plugins.pms_rooms.transitions import ReservationStatus

LIVE = (ReservationStatus.CONFIRMED.value, ReservationStatus.IN_HOUSE.value)
RELEASED = (ReservationStatus.CANCELED.value, ReservationStatus.NO_SHOW.value)


async def no_night_sold_twice(session: AsyncSession, context: CheckContext) -> list[str]:
    rows = await session.execute(
        select(Room.number, RoomNight.night, func.count())
        .join(Room, Room.id == RoomNight.room_id)
        .group_by(Room.number, RoomNight.night)
        .having(func.count() > 1)
    )
    return [f"room {room}, night {night}: sold {count} times" for room, night, count in rows]


async def stays_hold_their_nights(session: AsyncSession, context: CheckContext) -> list[str]:
    held = dict(
        (
            await session.execute(
                select(RoomNight.reservation_id, func.count()).group_by(RoomNight.reservation_id)
            )
        ).all()
    )
    problems = []
    reservations = await session.execute(
        select(Reservation.id, Reservation.number, Reservation.status, Reservation.arrival,
               Reservation.departure)
        .where(Reservation.status.in_(LIVE + RELEASED))
    )  # fmt: skip
    for reservation_id, number, status, arrival, departure in reservations:
        nights = int(held.get(reservation_id, 0))
        wanted = (departure - arrival).days if status in LIVE else 0
        if nights != wanted:
            problems.append(f"reservation {number} ({status}) holds {nights} nights, not {wanted}")
    return problems


async def folios_balance(session: AsyncSession, context: CheckContext) -> list[str]:
    sums = dict(
        (
            await session.execute(
                select(FolioLine.folio_id, func.sum(FolioLine.amount_minor)).group_by(
                    FolioLine.folio_id
                )
            )
        ).all()
    )
    return [
        f"folio {folio.number}: balance {folio.balance_minor}, its lines sum to "
        f"{int(sums.get(folio.id, 0))} (minor units)"
        for folio in await session.scalars(select(Folio))
        if folio.balance_minor != int(sums.get(folio.id, 0))
    ]


INVARIANTS = [
    Invariant(
        "pms_rooms.no_night_sold_twice", "no room is sold twice for one night", no_night_sold_twice
    ),
    Invariant(
        "pms_rooms.stays_hold_their_nights",
        "a confirmed or in-house stay holds each of its nights; a canceled or no-show one none",
        stays_hold_their_nights,
    ),
    Invariant(
        "pms_rooms.folios_balance",
        "every folio's balance is the sum of its lines",
        folios_balance,
    ),
]
