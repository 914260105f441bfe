"""GraphQL types of pms_rooms. Children load through loaders.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Annotated, ClassVar

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.graphql import Connection, Error, Money, load_nodes, paginate
from core.graphql.permissions import requires
from plugins.pms_rooms import models
from plugins.pms_rooms.channels import BookingChannel
from plugins.pms_rooms.graphql import loaders
from plugins.pms_rooms.service.errors import RoomsErrorCode
from plugins.pms_rooms.transitions import ReservationStatus

RoomsErrorCodeEnum = strawberry.enum(RoomsErrorCode, name="RoomsErrorCode")
ReservationStatusEnum = strawberry.enum(ReservationStatus, name="ReservationStatus")
BookingChannelEnum = strawberry.enum(BookingChannel, name="BookingChannel")


def currency(info: Info) -> str:
    return info.context.property.currency


@strawberry.type(description="A failure of a rooms, reservations or folio operation.")
class RoomsError(Error):
    code: RoomsErrorCodeEnum  # type: ignore[valid-type]
    room: str | None = strawberry.field(default=None, description="The room at fault, if one.")


@strawberry.type(description="A kind of room: what is sold; rooms of the kind are assigned.")
class RoomType(relay.Node):
    read_permission: ClassVar[str | None] = "rooms:read"

    id: relay.NodeID[int]
    code: str
    name: str
    description: str
    capacity: int
    beds: str
    active: bool

    @classmethod
    def from_row(cls, row: models.RoomType) -> RoomType:
        return cls(
            id=row.id, code=row.code, name=row.name, description=row.description,
            capacity=row.capacity, beds=row.beds, active=row.active,
        )  # fmt: skip

    @strawberry.field
    async def rooms(self, info: Info) -> list[Room]:
        return [Room.from_row(r) for r in await loaders.rooms_of_type(info).load(self.id)]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.RoomType, node_ids, cls.from_row)


@strawberry.type(description="A room: a number, on a floor, of a room type.")
class Room(relay.Node):
    read_permission: ClassVar[str | None] = "rooms:read"

    id: relay.NodeID[int]
    number: str
    floor: str
    features: list[str]
    active: bool
    room_type_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Room) -> Room:
        return cls(
            id=row.id, number=row.number, floor=row.floor, features=list(row.features),
            active=row.active, room_type_id=row.room_type_id,
        )  # fmt: skip

    @strawberry.field
    async def room_type(self, info: Info) -> RoomType:
        return RoomType.from_row(await loaders.room_type(info).load(self.room_type_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Room, node_ids, cls.from_row)


@strawberry.type(description="One date of a rate plan that differs from its defaults.")
class RateOverride:
    date: dt.date
    price: Money | None
    min_stay: int | None
    max_stay: int | None
    closed: bool
    closed_to_arrival: bool
    closed_to_departure: bool


@strawberry.type(description="Nightly prices for a room type, restrictions, cancellation policy.")
class RatePlan(relay.Node):
    read_permission: ClassVar[str | None] = "rates:read"

    id: relay.NodeID[int]
    code: str
    name: str
    base_price: Money
    min_stay: int
    max_stay: int | None
    free_cancellation_days: int = strawberry.field(
        description="Canceling at least this many days before arrival is free."
    )
    cancellation_fee_kind: str = strawberry.field(description="first_night, percent or fixed.")
    cancellation_fee_value: int = strawberry.field(
        description="Basis points for percent, minor units for fixed."
    )
    active: bool
    room_type_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.RatePlan, currency: str) -> RatePlan:
        return cls(
            id=row.id, code=row.code, name=row.name,
            base_price=Money.from_minor(row.base_price_minor, currency), min_stay=row.min_stay,
            max_stay=row.max_stay, free_cancellation_days=row.free_cancellation_days,
            cancellation_fee_kind=row.cancellation_fee_kind,
            cancellation_fee_value=row.cancellation_fee_value, active=row.active,
            room_type_id=row.room_type_id,
        )  # fmt: skip

    @strawberry.field
    async def room_type(self, info: Info) -> RoomType:
        return RoomType.from_row(await loaders.room_type(info).load(self.room_type_id))

    @strawberry.field(description="Overrides from `from` to `to`, both included.")
    async def overrides(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date | None = None,
    ) -> list[RateOverride]:
        to = to or from_ + dt.timedelta(days=31)
        async with info.context.db() as session:
            rows = await session.scalars(
                select(models.RateOverride)
                .where(
                    models.RateOverride.rate_plan_id == self.id,
                    models.RateOverride.date >= from_,
                    models.RateOverride.date <= min(to, from_ + dt.timedelta(days=400)),
                )
                .order_by(models.RateOverride.date)
            )
            money = currency(info)
            return [
                RateOverride(
                    date=r.date, min_stay=r.min_stay, max_stay=r.max_stay, closed=r.closed,
                    price=None if r.price_minor is None else Money.from_minor(r.price_minor, money),
                    closed_to_arrival=r.closed_to_arrival,
                    closed_to_departure=r.closed_to_departure,
                )
                for r in rows
            ]  # fmt: skip

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        money = currency(info)
        return await load_nodes(
            info, models.RatePlan, node_ids, lambda row: cls.from_row(row, money)
        )


@strawberry.type(description="A guest's profile; their stays are their reservations.")
class Guest(relay.Node):
    read_permission: ClassVar[str | None] = "guests:read"

    id: relay.NodeID[int]
    first_name: str
    last_name: str
    email: str
    phone: str
    preferences: list[str]
    note: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.Guest) -> Guest:
        return cls(
            id=row.id, first_name=row.first_name, last_name=row.last_name, email=row.email,
            phone=row.phone, preferences=list(row.preferences), note=row.note,
            created_at=row.created_at,
        )  # fmt: skip

    @strawberry.field(
        description="Stay history, latest arrival first (needs reservations:read).",
        permission_classes=requires("reservations:read"),
    )
    async def stays(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Reservation] | None:
        statement = select(models.Reservation).where(models.Reservation.guest_id == self.id)
        page = await paginate(
            info, statement, sort_key=models.Reservation.arrival, pk=models.Reservation.id,
            first=first, after=after, descending=True,
        )  # fmt: skip
        return page.to_connection(Reservation.from_row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Guest, node_ids, cls.from_row)


@strawberry.type(description="One night of a stay: its price and the room it is in.")
class StayNight:
    date: dt.date
    price: Money
    room_number: str | None


@strawberry.type(description="One entry of a reservation's history.")
class ReservationHistoryEntry:
    kind: str
    detail: str
    actor: str
    created_at: dt.datetime


@strawberry.type(description="One posting on a folio: charges positive, payments negative.")
class FolioLine(relay.Node):
    read_permission: ClassVar[str | None] = "folios:read"

    id: relay.NodeID[int]
    kind: str = strawberry.field(description="charge, payment, refund or correction.")
    source: str = strawberry.field(description="room, cancellation, no_show, pos or manual.")
    description: str
    amount: Money
    business_date: dt.date
    reference: str
    actor: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.FolioLine, currency: str) -> FolioLine:
        return cls(
            id=row.id, kind=row.kind, source=row.source, description=row.description,
            amount=Money.from_minor(row.amount_minor, currency),
            business_date=row.business_date, reference=row.reference, actor=row.actor,
            created_at=row.created_at,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        money = currency(info)
        return await load_nodes(
            info, models.FolioLine, node_ids, lambda row: cls.from_row(row, money)
        )


@strawberry.type(description="A folio's invoice: what was charged, paid and is still owed.")
class Invoice:
    number: str
    issued_at: dt.datetime | None = strawberry.field(description="When the folio closed.")
    guest_name: str
    charges: Money
    payments: Money
    balance: Money
    lines: list[FolioLine]


@strawberry.type(description="A reservation's account.")
class Folio(relay.Node):
    read_permission: ClassVar[str | None] = "folios:read"

    id: relay.NodeID[int]
    number: str
    status: str = strawberry.field(description="open or closed.")
    balance: Money = strawberry.field(description="Charges less payments: what is owed.")
    closed_at: dt.datetime | None
    close_note: str
    reservation_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Folio, currency: str) -> Folio:
        return cls(
            id=row.id, number=row.number, status=row.status,
            balance=Money.from_minor(row.balance_minor, currency), closed_at=row.closed_at,
            close_note=row.close_note, reservation_id=row.reservation_id,
        )  # fmt: skip

    @strawberry.field
    async def lines(self, info: Info) -> list[FolioLine]:
        money = currency(info)
        return [
            FolioLine.from_row(r, money) for r in await loaders.lines_of_folio(info).load(self.id)
        ]

    @strawberry.field
    async def invoice(self, info: Info) -> Invoice:
        money = currency(info)
        rows = await loaders.lines_of_folio(info).load(self.id)
        reservation = await loaders.reservation(info).load(self.reservation_id)
        guest = await loaders.guest(info).load(reservation.guest_id)
        # Charges net of corrections; payments net of refunds; balance = the two apart.
        charges = sum(r.amount_minor for r in rows if r.kind in ("charge", "correction"))
        paid = -sum(r.amount_minor for r in rows if r.kind in ("payment", "refund"))
        return Invoice(
            number=self.number, issued_at=self.closed_at,
            guest_name=f"{guest.first_name} {guest.last_name}".strip(),
            charges=Money.from_minor(charges, money), payments=Money.from_minor(paid, money),
            balance=Money.from_minor(charges - paid, money),
            lines=[FolioLine.from_row(r, money) for r in rows],
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        money = currency(info)
        return await load_nodes(info, models.Folio, node_ids, lambda row: cls.from_row(row, money))


@strawberry.type(description="One room type for one stay: dates, party, prices, room.")
class Reservation(relay.Node):
    read_permission: ClassVar[str | None] = "reservations:read"

    id: relay.NodeID[int]
    number: str
    status: ReservationStatusEnum  # type: ignore[valid-type]
    arrival: dt.date
    departure: dt.date
    adults: int
    children: int
    channel: BookingChannelEnum  # type: ignore[valid-type]
    notes: str
    no_post: bool = strawberry.field(description="Outlets may not charge this room.")
    checked_in_at: dt.datetime | None
    checked_out_at: dt.datetime | None
    canceled_at: dt.datetime | None
    created_at: dt.datetime
    total_minor: strawberry.Private[int]
    credit_limit_minor: strawberry.Private[int]
    nightly_prices: strawberry.Private[dict[str, int]]
    guest_id: strawberry.Private[int]
    booking_id: strawberry.Private[int]
    room_type_id: strawberry.Private[int]
    rate_plan_id: strawberry.Private[int]
    room_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Reservation) -> Reservation:
        return cls(
            id=row.id, number=row.number, status=ReservationStatus(row.status),
            arrival=row.arrival, departure=row.departure, adults=row.adults,
            children=row.children, channel=BookingChannel(row.channel), notes=row.notes,
            no_post=row.no_post, checked_in_at=row.checked_in_at,
            checked_out_at=row.checked_out_at, canceled_at=row.canceled_at,
            created_at=row.created_at, total_minor=row.total_minor,
            credit_limit_minor=row.credit_limit_minor, nightly_prices=dict(row.nightly_prices),
            guest_id=row.guest_id, booking_id=row.booking_id, room_type_id=row.room_type_id,
            rate_plan_id=row.rate_plan_id, room_id=row.room_id,
        )  # fmt: skip

    @strawberry.field
    def total(self, info: Info) -> Money:
        return Money.from_minor(self.total_minor, currency(info))

    @strawberry.field(description="0: no limit.")
    def credit_limit(self, info: Info) -> Money:
        return Money.from_minor(self.credit_limit_minor, currency(info))

    @strawberry.field
    async def booking_number(self, info: Info) -> str:
        return (await loaders.booking(info).load(self.booking_id)).number

    @strawberry.field(
        description="Needs guests:read (null otherwise).",
        permission_classes=requires("guests:read"),
    )
    async def guest(self, info: Info) -> Guest | None:
        return Guest.from_row(await loaders.guest(info).load(self.guest_id))

    @strawberry.field
    async def room_type(self, info: Info) -> RoomType:
        return RoomType.from_row(await loaders.room_type(info).load(self.room_type_id))

    @strawberry.field(
        description="Needs rates:read (null otherwise).", permission_classes=requires("rates:read")
    )
    async def rate_plan(self, info: Info) -> RatePlan | None:
        return RatePlan.from_row(
            await loaders.rate_plan(info).load(self.rate_plan_id), currency(info)
        )

    @strawberry.field(description="The room it is in now, or was last in.")
    async def room(self, info: Info) -> Room | None:
        if self.room_id is None:
            return None
        return Room.from_row(await loaders.room(info).load(self.room_id))

    @strawberry.field(description="Every night with its price and room (none once released).")
    async def nights(self, info: Info) -> list[StayNight]:
        held = {
            row.night: row.room_id
            for row in await loaders.nights_of_reservation(info).load(self.id)
        }
        rooms = {
            room_id: room.number
            for room_id, room in zip(
                set(held.values()),
                await loaders.room(info).load_many(list(set(held.values()))),
                strict=True,
            )
        }
        money = currency(info)
        return [
            StayNight(
                date=dt.date.fromisoformat(night),
                price=Money.from_minor(price, money),
                room_number=rooms.get(held.get(dt.date.fromisoformat(night))),  # type: ignore[arg-type]
            )
            for night, price in sorted(self.nightly_prices.items())
        ]

    @strawberry.field
    async def history(self, info: Info) -> list[ReservationHistoryEntry]:
        return [
            ReservationHistoryEntry(
                kind=r.kind, detail=r.detail, actor=r.actor, created_at=r.created_at
            )
            for r in await loaders.history_of_reservation(info).load(self.id)
        ]

    @strawberry.field(
        description="Needs folios:read (null otherwise).",
        permission_classes=requires("folios:read"),
    )
    async def folio(self, info: Info) -> Folio | None:
        row = await loaders.folio_of_reservation(info).load(self.id)
        return Folio.from_row(row, currency(info)) if row is not None else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Reservation, node_ids, cls.from_row)


@strawberry.type(description="The hotel's times and business date.")
class HotelSettings:
    check_in_time: str
    check_out_time: str
    night_audit_time: str = strawberry.field(
        description="The local time on the next day at which the night audit closes a "
        "business date."
    )
    business_date: dt.date = strawberry.field(
        description="The day the front desk works in; the night audit advances it."
    )
    default_credit_limit: Money

    @classmethod
    def from_row(cls, row: models.HotelSettings, currency: str) -> HotelSettings:
        return cls(
            check_in_time=row.check_in_time, check_out_time=row.check_out_time,
            night_audit_time=row.night_audit_time,
            business_date=row.business_date,
            default_credit_limit=Money.from_minor(row.default_credit_limit_minor, currency),
        )  # fmt: skip


# -- availability (public: plain types, no Node a booking engine could not read) --------


@strawberry.type(description="A night's price on an offered rate.")
class NightPrice:
    date: dt.date
    price: Money


@strawberry.type(description="A rate plan offered for the stay asked about.")
class RateOffer:
    rate_plan_code: str
    rate_plan_name: str
    nights: list[NightPrice]
    total: Money
    restrictions: list[str] = strawberry.field(
        description="Restrictions the stay breaks on this rate; empty: bookable."
    )
    bookable: bool
    free_cancellation_days: int
    cancellation_fee_kind: str


@strawberry.type(description="A room type with a room free on every night of the stay.")
class RoomTypeOffer:
    room_type_code: str
    room_type_name: str
    description: str
    capacity: int
    beds: str
    free_rooms: int
    rates: list[RateOffer]


@strawberry.type(description="One night and room type of the availability calendar.")
class AvailabilityDay:
    date: dt.date
    room_type_code: str
    rooms: int
    sold: int
    out_of_order: int
    free: int
