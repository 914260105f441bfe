"""Tables of pms_rooms: room types and rooms, rate plans, guests, bookings and their
reservations, the room nights that make double booking impossible, folios.

No two stays share a room night: every reservation holds one ``RoomNight`` row
per night in its assigned room, under UNIQUE (room_id, night). Whatever the
code does and however requests race, the database refuses the second.
Money is integer minor units in the property's currency; nights are the
property's local dates.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, IdPK, PropertyScoped


class HotelSettings(PropertyScoped, Base):
    """Per property: times of day, the business date the night audit advances."""

    __tablename__ = "pms_settings"
    __table_args__ = (UniqueConstraint("property_id"),)

    id: Mapped[IdPK]
    check_in_time: Mapped[str] = mapped_column(String(5), default="15:00")
    check_out_time: Mapped[str] = mapped_column(String(5), default="11:00")
    # The night audit closes business date D at this local time on D + 1: late
    # arrivals until then still find their room.
    night_audit_time: Mapped[str] = mapped_column(String(5), default="03:00")
    business_date: Mapped[dt.date] = mapped_column(Date)
    next_booking_number: Mapped[int] = mapped_column(BigInteger, default=1001)
    # A folio's default credit limit (POS charges to the room stop there); 0: none.
    default_credit_limit_minor: Mapped[int] = mapped_column(BigInteger, default=0)


class RoomType(PropertyScoped, Base):
    __tablename__ = "pms_room_types"
    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint("capacity > 0", name="capacity_positive"),
    )

    id: Mapped[IdPK]
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    description: Mapped[str] = mapped_column(Text, default="")
    capacity: Mapped[int] = mapped_column(Integer)  # guests, adults and children together
    beds: Mapped[str] = mapped_column(String(120), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Room(PropertyScoped, Base):
    __tablename__ = "pms_rooms"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        Index("ix_pms_rooms_type", "room_type_id", "number"),
    )

    id: Mapped[IdPK]
    number: Mapped[str] = mapped_column(String(20))
    room_type_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_room_types.id", ondelete="RESTRICT")
    )
    floor: Mapped[str] = mapped_column(String(20), default="")
    features: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RatePlan(PropertyScoped, Base):
    """Nightly prices for one room type, their restrictions and a cancellation policy."""

    __tablename__ = "pms_rate_plans"
    __table_args__ = (
        UniqueConstraint("property_id", "code"),
        CheckConstraint("base_price_minor >= 0", name="price_not_negative"),
        CheckConstraint("min_stay >= 1", name="min_stay_positive"),
        CheckConstraint("max_stay IS NULL OR max_stay >= min_stay", name="max_stay_above_min"),
        CheckConstraint("free_cancellation_days >= 0", name="free_days_not_negative"),
    )

    id: Mapped[IdPK]
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    room_type_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_room_types.id", ondelete="RESTRICT"), index=True
    )
    base_price_minor: Mapped[int] = mapped_column(BigInteger)
    min_stay: Mapped[int] = mapped_column(Integer, default=1)
    max_stay: Mapped[int | None] = mapped_column(Integer)
    # Free until this many days before arrival; later, the fee below.
    free_cancellation_days: Mapped[int] = mapped_column(Integer, default=1)
    # "first_night", "percent" (of the stay, fee_value in basis points), "fixed" (minor).
    cancellation_fee_kind: Mapped[str] = mapped_column(String(20), default="first_night")
    cancellation_fee_value: Mapped[int] = mapped_column(BigInteger, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class RateOverride(PropertyScoped, Base):
    """One date of a rate plan that differs from its defaults."""

    __tablename__ = "pms_rate_overrides"
    __table_args__ = (UniqueConstraint("rate_plan_id", "date"),)

    id: Mapped[IdPK]
    rate_plan_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_rate_plans.id", ondelete="CASCADE")
    )
    date: Mapped[dt.date] = mapped_column(Date)
    price_minor: Mapped[int | None] = mapped_column(BigInteger)
    min_stay: Mapped[int | None] = mapped_column(Integer)
    max_stay: Mapped[int | None] = mapped_column(Integer)
    closed: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_to_arrival: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_to_departure: Mapped[bool] = mapped_column(Boolean, default=False)


class Guest(PropertyScoped, Base):
    __tablename__ = "pms_guests"
    __table_args__ = (
        Index("ix_pms_guests_name", "property_id", "last_name", "first_name", "id"),
        Index("ix_pms_guests_email", "property_id", "email"),
    )

    id: Mapped[IdPK]
    first_name: Mapped[str] = mapped_column(String(100), default="")
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str] = mapped_column(String(320), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    preferences: Mapped[list[str]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class Booking(PropertyScoped, Base):
    """What a guest or a channel booked at once: one or several reservations."""

    __tablename__ = "pms_bookings"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        UniqueConstraint("property_id", "idempotency_key"),
    )

    id: Mapped[IdPK]
    number: Mapped[str] = mapped_column(String(20))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    request_hash: Mapped[str] = mapped_column(String(64))
    guest_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_guests.id", ondelete="RESTRICT")
    )
    channel: Mapped[str] = mapped_column(String(20))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class Reservation(PropertyScoped, Base):
    __tablename__ = "pms_reservations"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        Index("ix_pms_reservations_arrival", "property_id", "arrival", "id"),
        Index("ix_pms_reservations_departure", "property_id", "departure", "id"),
        Index("ix_pms_reservations_status", "property_id", "status", "arrival", "id"),
        Index("ix_pms_reservations_guest", "guest_id", "arrival"),
        Index("ix_pms_reservations_booking", "booking_id", "id"),
        CheckConstraint("departure > arrival", name="departure_after_arrival"),
        CheckConstraint("adults >= 1 AND children >= 0", name="party"),
    )

    id: Mapped[IdPK]
    number: Mapped[str] = mapped_column(String(24))  # "1001-1": booking number and position
    booking_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_bookings.id", ondelete="CASCADE")
    )
    guest_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_guests.id", ondelete="RESTRICT")
    )
    room_type_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_room_types.id", ondelete="RESTRICT")
    )
    rate_plan_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_rate_plans.id", ondelete="RESTRICT")
    )
    # The room its nights are in now (a move changes it for the nights still to come).
    room_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("pms_rooms.id", ondelete="RESTRICT")
    )
    arrival: Mapped[dt.date] = mapped_column(Date)
    departure: Mapped[dt.date] = mapped_column(Date)
    adults: Mapped[int] = mapped_column(Integer)
    children: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(20))
    # {"YYYY-MM-DD": price_minor} for every night, fixed when booked.
    nightly_prices: Mapped[dict[str, int]] = mapped_column(JSON)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    notes: Mapped[str] = mapped_column(Text, default="")
    # No charges from outlets (POS) to this room; 0 credit limit: none.
    no_post: Mapped[bool] = mapped_column(Boolean, default=False)
    credit_limit_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    checked_in_at: Mapped[dt.datetime | None]
    checked_out_at: Mapped[dt.datetime | None]
    canceled_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class RoomNight(PropertyScoped, Base):
    """One room sold for one night. UNIQUE (room_id, night): the double-booking guard."""

    __tablename__ = "pms_room_nights"
    __table_args__ = (
        UniqueConstraint("room_id", "night", name="uq_pms_room_nights_room_night"),
        Index("ix_pms_room_nights_reservation", "reservation_id", "night"),
        Index("ix_pms_room_nights_night", "property_id", "night"),
    )

    id: Mapped[IdPK]
    room_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pms_rooms.id", ondelete="RESTRICT"))
    night: Mapped[dt.date] = mapped_column(Date)
    reservation_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_reservations.id", ondelete="CASCADE")
    )


class ReservationEvent(PropertyScoped, Base):
    """A reservation's history: who did what, when."""

    __tablename__ = "pms_reservation_events"
    __table_args__ = (Index("ix_pms_reservation_events_reservation", "reservation_id", "id"),)

    id: Mapped[IdPK]
    reservation_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_reservations.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(40))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class Folio(PropertyScoped, Base):
    """A reservation's account: charges, payments, refunds, corrections."""

    __tablename__ = "pms_folios"
    __table_args__ = (UniqueConstraint("reservation_id"),)

    id: Mapped[IdPK]
    reservation_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pms_reservations.id", ondelete="CASCADE")
    )
    number: Mapped[str] = mapped_column(String(24))
    status: Mapped[str] = mapped_column(String(10))  # open, closed
    # Kept equal to the sum of its lines, in the same transaction as each line.
    balance_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    closed_at: Mapped[dt.datetime | None]
    close_note: Mapped[str] = mapped_column(Text, default="")


class FolioLine(PropertyScoped, Base):
    """One posting. Charges are positive, payments and refunds' reversals negative."""

    __tablename__ = "pms_folio_lines"
    __table_args__ = (
        # The same posting twice (a night audit run twice, a POS retry) is refused.
        UniqueConstraint("folio_id", "reference"),
        Index("ix_pms_folio_lines_folio", "folio_id", "id"),
        Index("ix_pms_folio_lines_date", "property_id", "business_date"),
    )

    id: Mapped[IdPK]
    folio_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pms_folios.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # charge, payment, refund, correction
    source: Mapped[str] = mapped_column(String(40))  # room, cancellation, no_show, pos, manual
    description: Mapped[str] = mapped_column(String(200))
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    business_date: Mapped[dt.date] = mapped_column(Date)
    reference: Mapped[str] = mapped_column(String(120))
    corrects_line_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("pms_folio_lines.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]
    extra: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
