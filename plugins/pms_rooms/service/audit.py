"""The night audit: closes the business day.

For the business date D, once D is over in the property's time zone: posts
night D's room charge to every in-house folio, marks the reservations due on
D that never arrived as no-shows, and advances the business date to D + 1.
Run twice it does nothing the second time: the date has moved on, and each
posting carries a reference (``room:D``) the folio accepts once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.events import record_event
from plugins.pms_rooms.models import Reservation
from plugins.pms_rooms.service.common import RoomsContext, local_today, settings_for
from plugins.pms_rooms.service.folios import post_line
from plugins.pms_rooms.service.reservations import mark_no_show
from plugins.pms_rooms.transitions import ReservationStatus


@dataclass(frozen=True)
class AuditResult:
    business_date: dt.date | None  # the date closed; None when the day is not over yet
    room_charges: int = 0
    no_shows: int = 0


async def run_night_audit(ctx: RoomsContext) -> AuditResult:
    settings = await settings_for(ctx.session, ctx.clock, for_update=True)
    day = settings.business_date
    if await local_today(ctx.session, ctx.clock) <= day:
        return AuditResult(None)
    charges = 0
    in_house = await ctx.session.scalars(
        select(Reservation)
        .where(
            Reservation.status == ReservationStatus.IN_HOUSE.value,
            Reservation.arrival <= day,
            Reservation.departure > day,
        )
        .order_by(Reservation.id)
    )
    for reservation in list(in_house):
        price = reservation.nightly_prices.get(day.isoformat())
        if price is None:
            continue
        _, posted = await post_line(
            ctx, reservation, kind="charge", source="room",
            description=f"Room, night of {day.isoformat()}", amount_minor=price,
            reference=f"room:{day.isoformat()}", business_date=day,
        )  # fmt: skip
        charges += posted
    no_shows = 0
    due = await ctx.session.scalars(
        select(Reservation.id)
        .where(Reservation.status == ReservationStatus.CONFIRMED.value, Reservation.arrival <= day)
        .order_by(Reservation.id)
    )
    for reservation_id in list(due):
        await mark_no_show(ctx, reservation_id)
        no_shows += 1
    settings.business_date = day + dt.timedelta(days=1)
    record_event(
        ctx.session, "pms_rooms.night_audit",
        {"business_date": day.isoformat(), "room_charges": charges, "no_shows": no_shows},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.session.flush()
    return AuditResult(day, charges, no_shows)
