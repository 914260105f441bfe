"""The night audit: closes the business day.

Business date D closes once the property's local clock reaches the audit time
(03:00 by default) on D + 1, so guests arriving late on D still find their
room. Closing D posts night D's room charge to every in-house folio, extends
guests who stayed past their departure by the night (or notes that their
room is sold), marks the reservations due by D that never arrived as
no-shows, and advances the business date to D + 1. Run twice it does nothing
the second time: the date has moved on, and each posting carries a reference
(``room:D``) the folio accepts once.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from core.events import record_event
from plugins.pms_rooms.models import Reservation, Room
from plugins.pms_rooms.service.assignment import _claim
from plugins.pms_rooms.service.common import (
    RoomsContext,
    add_history,
    local_now,
    lock_reservation,
    settings_for,
)
from plugins.pms_rooms.service.folios import post_line
from plugins.pms_rooms.service.reservations import mark_no_show
from plugins.pms_rooms.transitions import ReservationStatus


@dataclass(frozen=True)
class AuditResult:
    business_date: dt.date | None  # the date closed; None when it is not time yet
    room_charges: int = 0
    no_shows: int = 0
    overstays: int = 0


async def _extend_overstay(ctx: RoomsContext, reservation: Reservation, day: dt.date) -> bool:
    """A guest still in house after their departure date stays night ``day`` too, at their
    last night's price; the room night is held when the room is free. Returns whether it
    was."""
    room = await ctx.session.get(Room, reservation.room_id) if reservation.room_id else None
    held = room is not None and await _claim(ctx, reservation, room.id, [day])
    # Charged either way: the guest slept there. Without the room night (sold to the next
    # guest, who could not check in) the desk is told to sort it out.
    prices = dict(reservation.nightly_prices)
    prices[day.isoformat()] = prices[max(prices)] if prices else 0
    reservation.nightly_prices = prices
    reservation.total_minor = sum(prices.values())
    reservation.departure = day + dt.timedelta(days=1)
    detail = f"extended to {reservation.departure.isoformat()}"
    if not held:
        detail += (
            f"; room {room.number if room else '?'} is sold to another stay that night: "
            "move one of them"
        )
    add_history(ctx, reservation, "overstay", detail)
    return held


async def run_night_audit(ctx: RoomsContext) -> AuditResult:
    """Close the business date if its audit time has come; see the module docstring."""
    settings = await settings_for(ctx.session, ctx.clock, for_update=True)
    day = settings.business_date
    closes_at = dt.datetime.combine(
        day + dt.timedelta(days=1), dt.time.fromisoformat(settings.night_audit_time)
    )
    now = await local_now(ctx.session, ctx.clock)
    if now.replace(tzinfo=None) < closes_at:
        return AuditResult(None)
    charges = overstays = 0
    in_house = (
        await ctx.session.scalars(
            select(Reservation.id)
            .where(
                Reservation.status == ReservationStatus.IN_HOUSE.value,
                Reservation.arrival <= day,
            )
            .order_by(Reservation.id)
        )
    ).all()
    for reservation_id in in_house:
        # Under its lock: a check-out that committed meanwhile is seen, not charged.
        reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
        if reservation.status != ReservationStatus.IN_HOUSE.value:
            continue
        if reservation.departure <= day:
            await _extend_overstay(ctx, reservation, day)
            overstays += 1
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
        {"business_date": day.isoformat(), "room_charges": charges, "no_shows": no_shows,
         "overstays": overstays},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.session.flush()
    return AuditResult(day, charges, no_shows, overstays)
