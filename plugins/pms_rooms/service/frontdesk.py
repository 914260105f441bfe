"""The front desk: check-in (and its revert), check-out, early departures, room moves."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.errors import DomainError
from plugins.pms_rooms.models import FolioLine, Guest, Reservation, Room, RoomNight
from plugins.pms_rooms.service.assignment import claim_room, out_of_order_rooms, release_nights
from plugins.pms_rooms.service.common import (
    RoomsContext,
    add_history,
    announce_reservation,
    invalid_transition,
    local_today,
    lock_reservation,
    move_status,
    settings_for,
)
from plugins.pms_rooms.service.errors import RoomsErrorCode, invalid, not_found
from plugins.pms_rooms.service.folios import _locked_folio, net_charges, post_line
from plugins.pms_rooms.service.snapshots import ReservationSnapshot
from plugins.pms_rooms.transitions import ReservationStatus


async def _room(ctx: RoomsContext, reservation: Reservation) -> Room:
    room = await ctx.session.get(Room, reservation.room_id) if reservation.room_id else None
    if room is None:
        raise DomainError(
            RoomsErrorCode.INVALID_INPUT, f"reservation {reservation.number} has no room",
            field=["reservation"],
        )  # fmt: skip
    return room


async def check_in(ctx: RoomsContext, reservation_id: int) -> Reservation:
    """Check a confirmed reservation in: its arrival date is the business date (or has
    passed, the stay not yet over), its room is in order and, when a plugin answers
    (pms_housekeeping), ready."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    if reservation.status != ReservationStatus.CONFIRMED.value:
        raise invalid_transition(reservation, ReservationStatus.IN_HOUSE)
    today = (await settings_for(ctx.session, ctx.clock)).business_date
    if reservation.arrival > today:
        raise DomainError(
            RoomsErrorCode.ARRIVAL_NOT_REACHED,
            f"reservation {reservation.number} arrives {reservation.arrival.isoformat()}, the "
            f"business date is {today.isoformat()}", field=["reservation"],
        )  # fmt: skip
    if reservation.departure <= today:
        raise invalid_transition(reservation, ReservationStatus.IN_HOUSE, "its stay is over")
    room = await _room(ctx, reservation)
    if room.id in await out_of_order_rooms(ctx, today, today + dt.timedelta(days=1)):
        raise DomainError(
            RoomsErrorCode.ROOM_OUT_OF_ORDER, f"room {room.number} is out of order",
            field=["reservation"],
        )  # fmt: skip
    occupant = await ctx.session.scalar(
        select(Reservation.number).where(
            Reservation.room_id == room.id,
            Reservation.status == ReservationStatus.IN_HOUSE.value,
            Reservation.id != reservation.id,
        )
    )
    if occupant is not None:  # a guest due out who has not checked out yet
        raise DomainError(
            RoomsErrorCode.ROOM_OCCUPIED,
            f"room {room.number} still has reservation {occupant} in house: check it out or "
            "move this one", field=["reservation"], room=room.number,
        )  # fmt: skip
    answers = await ctx.ask("pms_rooms_room_ready", room_id=room.id, room_number=room.number)
    if any(answer is False for answer in answers):
        raise DomainError(
            RoomsErrorCode.ROOM_NOT_READY, f"room {room.number} is not ready yet",
            field=["reservation"], room=room.number,
        )  # fmt: skip
    move_status(reservation, ReservationStatus.IN_HOUSE)
    reservation.checked_in_at = ctx.clock.now()
    add_history(ctx, reservation, "checked_in", f"room {room.number}")
    await announce_reservation(
        ctx, reservation, "pms_rooms_reservation_checked_in", "reservation_checked_in",
        room_number=room.number,
    )  # fmt: skip
    return reservation


async def revert_check_in(ctx: RoomsContext, reservation_id: int) -> Reservation:
    """Undo a check-in made by mistake, on the business date it was made and before the
    night audit charged a night."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    if reservation.status != ReservationStatus.IN_HOUSE.value:
        raise invalid_transition(reservation, ReservationStatus.CONFIRMED)
    folio = await _locked_folio(ctx.session, reservation)
    charged = await ctx.session.scalar(
        select(FolioLine.id).where(FolioLine.folio_id == folio.id, FolioLine.source == "room")
    )
    if charged is not None:
        raise invalid_transition(
            reservation, ReservationStatus.CONFIRMED, "a night has been charged"
        )
    room = await _room(ctx, reservation)
    move_status(reservation, ReservationStatus.CONFIRMED)
    reservation.checked_in_at = None
    add_history(ctx, reservation, "check_in_reverted", f"room {room.number}")
    await announce_reservation(
        ctx, reservation, "pms_rooms_check_in_reverted", "check_in_reverted",
        room_number=room.number,
    )  # fmt: skip
    return reservation


async def check_out(
    ctx: RoomsContext, reservation_id: int, *, override_note: str | None = None
) -> Reservation:
    """Check out: the folio balance is zero, or ``override_note`` says why it may stay open
    (the balance goes to the invoice unpaid). Before the departure date this is an early
    departure: the remaining nights are released. The folio closes."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    if reservation.status != ReservationStatus.IN_HOUSE.value:
        raise invalid_transition(reservation, ReservationStatus.CHECKED_OUT)
    folio = await _locked_folio(ctx.session, reservation)
    note = (override_note or "").strip()
    if len(note) > 500:
        raise invalid("a note has at most 500 characters", ["overrideNote"])
    business_date = (await settings_for(ctx.session, ctx.clock)).business_date
    # Between midnight and the night audit the business date still names yesterday:
    # a guest leaving now has slept that night, so it is charged here (the audit's own
    # reference, so it is never charged twice) and only later nights are released.
    today = max(business_date, await local_today(ctx.session, ctx.clock))
    slept = business_date.isoformat()
    if today > business_date and slept in reservation.nightly_prices:
        await post_line(
            ctx, reservation, kind="charge", source="room",
            description=f"Room, night of {slept}", amount_minor=reservation.nightly_prices[slept],
            reference=f"room:{slept}", business_date=business_date,
        )  # fmt: skip
    if folio.balance_minor != 0 and not note:
        raise DomainError(
            RoomsErrorCode.OPEN_BALANCE,
            f"folio {folio.number} has a balance of {folio.balance_minor} (minor units): settle "
            "it, or check out with an override note", field=["reservation"],
        )  # fmt: skip
    room = await _room(ctx, reservation)
    if today < reservation.departure:
        # Nights from tonight on are free again (all of them for a guest leaving on the
        # day they came); the departure cannot move before the first night's morning.
        released = await release_nights(ctx, reservation, from_night=today)
        if released:
            reservation.departure = max(today, reservation.arrival + dt.timedelta(days=1))
            add_history(ctx, reservation, "early_departure", f"{len(released)} nights released")
    move_status(reservation, ReservationStatus.CHECKED_OUT)
    reservation.checked_out_at = ctx.clock.now()
    folio.status = "closed"
    folio.closed_at = ctx.clock.now()
    folio.close_note = note
    add_history(ctx, reservation, "checked_out", note or f"room {room.number}")
    guest = await ctx.session.get(Guest, reservation.guest_id)
    await announce_reservation(
        ctx, reservation, "pms_rooms_reservation_checked_out", "reservation_checked_out",
        room_number=room.number, balance_minor=folio.balance_minor,
        payload_extra={
            # What a loyalty programme or a CRM needs without a lookup: who stayed and
            # what the stay was worth (charges net of corrections; payments aside).
            "guest_email": guest.email if guest is not None else "",
            "charges_minor": await net_charges(ctx.session, folio),
        },
    )  # fmt: skip
    return reservation


async def move_room(ctx: RoomsContext, reservation_id: int, room_number: str) -> Reservation:
    """Move a reservation to another room of its type for the nights still to come (all of
    them before arrival; from tonight on for an in-house guest)."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    if reservation.status not in (
        ReservationStatus.CONFIRMED.value,
        ReservationStatus.IN_HOUSE.value,
    ):
        raise DomainError(
            RoomsErrorCode.INVALID_TRANSITION,
            f"reservation {reservation.number} is {reservation.status.replace('_', ' ')}: only "
            "a confirmed or in-house reservation moves", field=["reservation"],
        )  # fmt: skip
    room = await ctx.session.scalar(select(Room).where(Room.number == room_number.strip()))
    if room is None:
        raise not_found(f"room {room_number}", ["room"])
    if room.id == reservation.room_id:
        raise invalid(f"the reservation is in room {room.number} already", ["room"])
    today = (await settings_for(ctx.session, ctx.clock)).business_date
    start = max(today, reservation.arrival)
    if start >= reservation.departure:
        raise invalid("no nights are left to move", ["reservation"])
    old = await _room(ctx, reservation)
    # The new room first, then the old one given back: two guests swapping rooms find
    # each other's nights still held and are refused at once, instead of each waiting
    # on the other's uncommitted release (a deadlock on PostgreSQL).
    await claim_room(ctx, reservation, start, reservation.departure, room_id=room.id)
    await release_nights(ctx, reservation, from_night=start, room_id=old.id)
    reservation.room_id = room.id
    add_history(ctx, reservation, "moved", f"room {old.number} -> {room.number} from {start}")
    await announce_reservation(
        ctx, reservation, "pms_rooms_reservation_changed", "reservation_changed",
        from_room=old.number, to_room=room.number,
    )  # fmt: skip
    await ctx.announce(
        "pms_rooms_room_moved", reservation=ReservationSnapshot.of(reservation),
        from_room_id=old.id, from_room_number=old.number, actor=ctx.actor,
    )  # fmt: skip
    return reservation


async def stay_rooms(ctx: RoomsContext, reservation_id: int) -> list[tuple[dt.date, int]]:
    rows = await ctx.session.execute(
        select(RoomNight.night, RoomNight.room_id)
        .where(RoomNight.reservation_id == reservation_id)
        .order_by(RoomNight.night)
    )
    return [(night, room_id) for night, room_id in rows]
