"""The hotel's daily figures: arrivals, departures, rooms in house, occupancy, room
revenue beside extras, ADR and RevPAR, aggregated in SQL per night.

Nights are the property's dates already (room nights, folio business dates).
Rooms available are the active rooms (out-of-order ones included: pms_rooms
does not own blocks). Room revenue is the night audit's room charges; extras
every other charge posted that business date (outlets, fees, minibar).
ADR = room revenue / rooms sold; RevPAR = room revenue / rooms available.
"""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import Column, ColumnKind, Report, ReportRange, ratio
from plugins.pms_rooms.models import FolioLine, Reservation, Room, RoomNight
from plugins.pms_rooms.transitions import ReservationStatus

C = ColumnKind


def _per_day(rows: Any) -> dict[Any, int]:
    return {day: int(value or 0) for day, value in rows}


def _money(value: Decimal | None) -> int | None:
    return None if value is None else int(value.quantize(Decimal(1), rounding=ROUND_HALF_UP))


async def daily(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    start, end = period.start, period.end
    available = int(await session.scalar(select(func.count(Room.id)).where(Room.active)) or 0)
    sold = _per_day(
        await session.execute(
            select(RoomNight.night, func.count(RoomNight.id))
            .where(RoomNight.night >= start, RoomNight.night <= end)
            .group_by(RoomNight.night)
        )
    )
    canceled = [ReservationStatus.CANCELED.value]
    arrivals = _per_day(
        await session.execute(
            select(Reservation.arrival, func.count(Reservation.id))
            .where(
                Reservation.arrival >= start,
                Reservation.arrival <= end,
                Reservation.status.not_in(canceled),
            )
            .group_by(Reservation.arrival)
        )
    )
    departures = _per_day(
        await session.execute(
            select(Reservation.departure, func.count(Reservation.id))
            .where(
                Reservation.departure >= start,
                Reservation.departure <= end,
                Reservation.status.not_in([*canceled, ReservationStatus.NO_SHOW.value]),
            )
            .group_by(Reservation.departure)
        )
    )

    async def charges(*condition: Any) -> dict[Any, int]:
        return _per_day(
            await session.execute(
                select(FolioLine.business_date, func.sum(FolioLine.amount_minor))
                .where(
                    FolioLine.kind == "charge",
                    FolioLine.business_date >= start,
                    FolioLine.business_date <= end,
                    *condition,
                )
                .group_by(FolioLine.business_date)
            )
        )

    room_revenue = await charges(FolioLine.source == "room")
    extras = await charges(FolioLine.source != "room")
    rows = []
    for day in period.days():
        rooms_sold, revenue = sold.get(day, 0), room_revenue.get(day, 0)
        rows.append({
            "date": day, "arrivals": arrivals.get(day, 0), "departures": departures.get(day, 0),
            "inHouse": rooms_sold, "roomsAvailable": available,
            "occupancy": ratio(rooms_sold, available, 100), "roomRevenue": revenue,
            "extrasRevenue": extras.get(day, 0), "adr": _money(ratio(revenue, rooms_sold)),
            "revpar": _money(ratio(revenue, available)),
        })  # fmt: skip
    return rows


REPORTS = [
    Report(
        name="pms_rooms.daily",
        title="Hotel: daily figures",
        description="Per night: arrivals, departures, rooms in house, occupancy, room "
        "revenue and extras, ADR, RevPAR.",
        columns=(
            Column("date", "Night", C.DATE),
            Column("arrivals", "Arrivals", C.INT),
            Column("departures", "Departures", C.INT),
            Column("inHouse", "In house", C.INT),
            Column("roomsAvailable", "Rooms available", C.INT),
            Column("occupancy", "Occupancy %", C.PERCENT),
            Column("roomRevenue", "Room revenue", C.MONEY),
            Column("extrasRevenue", "Extras", C.MONEY),
            Column("adr", "ADR", C.MONEY),
            Column("revpar", "RevPAR", C.MONEY),
        ),
        run=daily,
    )
]
