"""Booking, changing, canceling and no-shows.

A booking takes an idempotency key, checked first under an advisory lock on
it: the same request twice (even at once) makes one booking; the same key
with another request is refused. Each reservation holds its room nights from
the moment it is booked (assignment.py), so the hotel never sells a night it
does not have.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from sqlalchemy import select

from core.db import advisory_xact_lock, session_scope
from core.errors import DomainError
from core.idempotency import request_hash
from plugins.pms_rooms.channels import BookingChannel
from plugins.pms_rooms.models import Booking, RatePlan, Reservation, RoomType
from plugins.pms_rooms.service.assignment import claim_room, release_nights
from plugins.pms_rooms.service.common import (
    RoomsContext,
    add_history,
    announce_reservation,
    lock_reservation,
    move_status,
    settings_for,
)
from plugins.pms_rooms.service.errors import RoomsErrorCode, invalid, not_found
from plugins.pms_rooms.service.folios import folio_for, post_line
from plugins.pms_rooms.service.guests import GuestSpec, guest_for_booking
from plugins.pms_rooms.service.rates import cancellation_fee, overrides_for, quote
from plugins.pms_rooms.service.setup import rate_plan_by_code, room_type_by_code
from plugins.pms_rooms.transitions import ReservationStatus

MAX_ROOMS = 20
MAX_NIGHTS = 90


@dataclass(frozen=True)
class StaySpec:
    room_type: str
    rate_plan: str
    arrival: dt.date
    departure: dt.date
    adults: int = 1
    children: int = 0
    room: str | None = None  # a room number, to assign by hand
    notes: str = ""


@dataclass(frozen=True)
class BookingSpec:
    idempotency_key: str
    guest: GuestSpec
    stays: list[StaySpec]
    channel: BookingChannel = BookingChannel.DIRECT

    def request_hash(self) -> str:
        """A digest of everything but the key: a retry must send the same request."""
        return request_hash(self)


@dataclass
class PricedStay:
    spec: StaySpec
    room_type: RoomType
    plan: RatePlan
    prices: dict[str, int] = field(default_factory=dict)


async def _check_dates(
    ctx: RoomsContext, arrival: dt.date, departure: dt.date, path: list[str], *, today: dt.date
) -> None:
    if departure <= arrival:
        raise invalid("departure must be after arrival", [*path, "departure"])
    if arrival < today:
        raise DomainError(
            RoomsErrorCode.ARRIVAL_IN_PAST,
            f"arrival {arrival.isoformat()} is before the business date {today.isoformat()}",
            field=[*path, "arrival"],
        )  # fmt: skip
    if (departure - arrival).days > MAX_NIGHTS:
        raise invalid(f"a stay has at most {MAX_NIGHTS} nights", [*path, "departure"])
    if (arrival - today).days > 3 * 366:
        raise invalid("arrivals are taken up to three years ahead", [*path, "arrival"])


async def price_stay(
    ctx: RoomsContext, spec: StaySpec, path: list[str], *, today: dt.date
) -> PricedStay:
    """Check one stay (dates, party, type, plan, restrictions) and price it."""
    await _check_dates(ctx, spec.arrival, spec.departure, path, today=today)
    room_type = await room_type_by_code(ctx.session, spec.room_type, [*path, "roomType"])
    if not room_type.active:
        raise not_found(f"room type {spec.room_type}", [*path, "roomType"])
    plan = await rate_plan_by_code(ctx.session, spec.rate_plan, [*path, "ratePlan"])
    if plan.room_type_id != room_type.id:
        raise invalid(f"rate plan {plan.code} is not for {room_type.code}", [*path, "ratePlan"])
    if len(spec.notes) > 2000:
        raise invalid("notes have at most 2000 characters", [*path, "notes"])
    if spec.adults < 1 or spec.children < 0:
        raise invalid("a party has at least one adult", [*path, "adults"])
    if spec.adults + spec.children > room_type.capacity:
        raise DomainError(
            RoomsErrorCode.CAPACITY_EXCEEDED,
            f"{room_type.code} sleeps {room_type.capacity}, "
            f"{spec.adults + spec.children} asked", field=[*path, "adults"],
        )  # fmt: skip
    overrides = await overrides_for(ctx.session, [plan.id], spec.arrival, spec.departure)
    offer = quote(plan, spec.arrival, spec.departure, overrides)
    if offer.broken:
        raise DomainError(
            RoomsErrorCode.RESTRICTION, f"{plan.code}: " + "; ".join(offer.broken),
            field=[*path, "arrival"],
        )  # fmt: skip
    prices = {night.isoformat(): price for night, price in offer.prices.items()}
    return PricedStay(spec, room_type, plan, prices)


async def book(ctx: RoomsContext, spec: BookingSpec) -> tuple[Booking, list[Reservation], bool]:
    """Book every stay of ``spec`` or none; returns (booking, reservations, created)."""
    key = spec.idempotency_key.strip()
    if not key or len(key) > 120:
        raise invalid("the idempotency key has 1 to 120 characters", ["idempotencyKey"])
    scope = session_scope(ctx.session)
    await advisory_xact_lock(ctx.session, f"pms_rooms.book:{scope.property_id}:{key}")
    request_hash = spec.request_hash()
    previous = await ctx.session.scalar(select(Booking).where(Booking.idempotency_key == key))
    if previous is not None:
        if previous.request_hash != request_hash:
            raise DomainError(
                RoomsErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"idempotency key {key!r} was used for booking {previous.number} with "
                "another request", field=["idempotencyKey"],
            )  # fmt: skip
        rows = await ctx.session.scalars(
            select(Reservation)
            .where(Reservation.booking_id == previous.id)
            .order_by(Reservation.id)
        )
        return previous, list(rows), False
    if not spec.stays:
        raise invalid("a booking needs at least one stay", ["stays"])
    if len(spec.stays) > MAX_ROOMS:
        raise invalid(f"at most {MAX_ROOMS} rooms per booking", ["stays"])
    settings = await settings_for(ctx.session, ctx.clock, for_update=True)
    today = settings.business_date
    priced = [
        await price_stay(ctx, stay, ["stays", str(i)], today=today)
        for i, stay in enumerate(spec.stays)
    ]
    guest = await guest_for_booking(ctx.session, spec.guest, ctx.clock)
    number = str(settings.next_booking_number)
    settings.next_booking_number += 1
    booking = Booking(
        number=number, idempotency_key=key, request_hash=request_hash, guest_id=guest.id,
        channel=spec.channel.value, created_by=ctx.actor[:80], created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(booking)
    await ctx.session.flush()
    reservations = []
    for index, stay in enumerate(priced):
        reservation = Reservation(
            number=f"{number}-{index + 1}", booking_id=booking.id, guest_id=guest.id,
            room_type_id=stay.room_type.id, rate_plan_id=stay.plan.id, room_id=None,
            arrival=stay.spec.arrival, departure=stay.spec.departure, adults=stay.spec.adults,
            children=stay.spec.children, status=ReservationStatus.CONFIRMED.value,
            channel=spec.channel.value, nightly_prices=stay.prices,
            total_minor=sum(stay.prices.values()), notes=stay.spec.notes.strip(),
            no_post=False, credit_limit_minor=settings.default_credit_limit_minor,
            created_at=ctx.clock.now(),
        )  # fmt: skip
        ctx.session.add(reservation)
        await ctx.session.flush()
        room_id = None
        if stay.spec.room is not None:
            room_id = await _room_id(ctx, stay.spec.room, ["stays", str(index), "room"])
        try:
            room = await claim_room(
                ctx, reservation, stay.spec.arrival, stay.spec.departure, room_id=room_id
            )
        except DomainError as exc:
            exc.field = ["stays", str(index), *(exc.field or [])[-1:]]
            raise
        reservation.room_id = room.id
        await folio_for(ctx.session, reservation)
        add_history(ctx, reservation, "booked", f"room {room.number}, {len(stay.prices)} nights")
        reservations.append(reservation)
    for reservation in reservations:
        await announce_reservation(
            ctx, reservation, "pms_rooms_reservation_created", "reservation_created"
        )
    return booking, reservations, True


async def _room_id(ctx: RoomsContext, number: str, field: list[str]) -> int:
    from plugins.pms_rooms.models import Room

    room = await ctx.session.scalar(select(Room).where(Room.number == number.strip()))
    if room is None:
        raise not_found(f"room {number}", field)
    return room.id


async def change_reservation(
    ctx: RoomsContext,
    reservation_id: int,
    *,
    arrival: dt.date | None,
    departure: dt.date | None,
    room_type: str | None,
    rate_plan: str | None,
    adults: int | None,
    children: int | None,
) -> Reservation:
    """Change a confirmed reservation's dates, room type, plan or party, re-checking
    availability and re-pricing; it keeps its room when that room is still free."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    if reservation.status != ReservationStatus.CONFIRMED.value:
        raise DomainError(
            RoomsErrorCode.INVALID_TRANSITION,
            f"reservation {reservation.number} is {reservation.status.replace('_', ' ')}: only "
            "a confirmed reservation changes (move an in-house guest's room instead)",
            field=["reservation"],
        )  # fmt: skip
    current_type = await ctx.session.get(RoomType, reservation.room_type_id)
    current_plan = await ctx.session.get(RatePlan, reservation.rate_plan_id)
    assert current_type is not None and current_plan is not None
    type_code = room_type or current_type.code
    if room_type is not None and room_type != current_type.code and rate_plan is None:
        raise invalid("a new room type needs a rate plan for it", ["ratePlan"])
    spec = StaySpec(
        room_type=type_code, rate_plan=rate_plan or current_plan.code,
        arrival=arrival or reservation.arrival, departure=departure or reservation.departure,
        adults=reservation.adults if adults is None else adults,
        children=reservation.children if children is None else children,
    )  # fmt: skip
    today = (await settings_for(ctx.session, ctx.clock)).business_date
    priced = await price_stay(ctx, spec, [], today=today)
    before = (reservation.arrival, reservation.departure, current_type.code, reservation.room_id)
    old_room = reservation.room_id
    await release_nights(ctx, reservation)
    reservation.room_type_id = priced.room_type.id
    reservation.rate_plan_id = priced.plan.id
    reservation.arrival, reservation.departure = spec.arrival, spec.departure
    reservation.adults, reservation.children = spec.adults, spec.children
    reservation.nightly_prices = priced.prices
    reservation.total_minor = sum(priced.prices.values())
    room = await claim_room(
        ctx, reservation, spec.arrival, spec.departure,
        prefer=[old_room] if old_room is not None else [],
    )  # fmt: skip
    reservation.room_id = room.id
    add_history(
        ctx, reservation, "changed",
        f"{before[0]}..{before[1]} {before[2]} -> {spec.arrival}..{spec.departure} "
        f"{priced.room_type.code}, room {room.number}",
    )  # fmt: skip
    await announce_reservation(
        ctx, reservation, "pms_rooms_reservation_changed", "reservation_changed"
    )
    return reservation


async def cancel_reservation(ctx: RoomsContext, reservation_id: int, *, reason: str) -> Reservation:
    """Cancel a confirmed reservation: its nights are released, the policy's fee (if any)
    is charged to its folio."""
    if len(reason) > 500:
        raise invalid("a reason has at most 500 characters", ["reason"])
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    move_status(reservation, ReservationStatus.CANCELED)
    reservation.canceled_at = ctx.clock.now()
    today = (await settings_for(ctx.session, ctx.clock)).business_date
    plan = await ctx.session.get(RatePlan, reservation.rate_plan_id)
    assert plan is not None
    fee = cancellation_fee(plan, reservation.nightly_prices, (reservation.arrival - today).days)
    if fee:
        await post_line(
            ctx, reservation, kind="charge", source="cancellation",
            description=f"Cancellation fee ({plan.code})", amount_minor=fee,
            reference="cancellation", check_open=False,
        )  # fmt: skip
    await release_nights(ctx, reservation)
    add_history(ctx, reservation, "canceled", reason.strip() + (f" fee {fee}" if fee else ""))
    await announce_reservation(
        ctx, reservation, "pms_rooms_reservation_canceled", "reservation_canceled", fee_minor=fee
    )
    return reservation


async def mark_no_show(ctx: RoomsContext, reservation_id: int) -> Reservation:
    """The guest did not come: the arrival date has passed or is today; the nights are
    released and the first night is charged (the usual no-show fee)."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    today = (await settings_for(ctx.session, ctx.clock)).business_date
    if reservation.arrival > today:
        raise DomainError(
            RoomsErrorCode.ARRIVAL_NOT_REACHED,
            f"reservation {reservation.number} arrives {reservation.arrival.isoformat()}",
            field=["reservation"],
        )  # fmt: skip
    move_status(reservation, ReservationStatus.NO_SHOW)
    prices = reservation.nightly_prices
    fee = prices[min(prices)] if prices else 0
    if fee:
        await post_line(
            ctx, reservation, kind="charge", source="no_show", description="No-show fee",
            amount_minor=fee, reference="no_show", check_open=False,
        )  # fmt: skip
    await release_nights(ctx, reservation)
    add_history(ctx, reservation, "no_show", f"fee {fee}")
    await announce_reservation(
        ctx, reservation, "pms_rooms_reservation_no_show", "reservation_no_show", fee_minor=fee
    )
    return reservation
