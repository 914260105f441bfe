"""Root query fields of pms_rooms."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from core.db import contains_pattern, escape_like
from core.graphql import Connection, Money, as_client_error, paginate, pk_of
from core.graphql.permissions import public, requires
from plugins.pms_rooms import models
from plugins.pms_rooms.graphql.mutations import context_of
from plugins.pms_rooms.graphql.types import (
    AvailabilityDay,
    Guest,
    HotelSettings,
    NightPrice,
    RateOffer,
    RatePlan,
    Reservation,
    ReservationStatusEnum,
    Room,
    RoomType,
    RoomTypeOffer,
    currency,
)
from plugins.pms_rooms.service import availability as availability_service
from plugins.pms_rooms.service.common import settings_for
from plugins.pms_rooms.transitions import ReservationStatus


@strawberry.input
class RoomFilter:
    room_type: str | None = strawberry.field(default=None, description="A room type code.")
    floor: str | None = None


@strawberry.input(description="Every given condition must hold.")
class ReservationFilter:
    status: list[ReservationStatusEnum] | None = None  # type: ignore[valid-type]
    arrival_from: dt.date | None = strawberry.field(default=None, description="Inclusive.")
    arrival_to: dt.date | None = strawberry.field(default=None, description="Inclusive.")
    guest: strawberry.ID | None = None
    search: str | None = strawberry.field(
        default=None, description="A reservation or booking number, or the guest's last name."
    )


@strawberry.input
class GuestFilter:
    search: str | None = strawberry.field(default=None, description="In names and e-mail.")


async def _business_date(info: Info) -> dt.date:
    async with info.context.db() as session:
        return (await settings_for(session, info.context.clock)).business_date


async def _front_desk_list(info: Info, *conditions) -> list[Reservation]:
    async with info.context.db() as session:
        rows = await session.scalars(
            select(models.Reservation).where(*conditions).order_by(models.Reservation.number)
        )
        return [Reservation.from_row(r) for r in rows]


@strawberry.type
class RoomsQuery:
    @strawberry.field(permission_classes=requires("reservations:read"))
    async def hotel_settings(self, info: Info) -> HotelSettings:
        async with info.context.db() as session:
            row = await settings_for(session, info.context.clock)
            return HotelSettings.from_row(row, currency(info))

    @strawberry.field(permission_classes=requires("rooms:read"))
    async def room_types(self, info: Info) -> list[RoomType]:
        async with info.context.db() as session:
            rows = await session.scalars(select(models.RoomType).order_by(models.RoomType.code))
            return [RoomType.from_row(r) for r in rows]

    @strawberry.field(permission_classes=requires("rooms:read"))
    async def rooms(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: RoomFilter | None = None,
    ) -> Connection[Room]:
        statement = select(models.Room)
        if filter and filter.room_type:
            statement = statement.where(
                models.Room.room_type_id.in_(
                    select(models.RoomType.id).where(models.RoomType.code == filter.room_type)
                )
            )
        if filter and filter.floor:
            statement = statement.where(models.Room.floor == filter.floor)
        page = await paginate(
            info, statement, sort_key=models.Room.number, pk=models.Room.id, first=first,
            after=after,
        )  # fmt: skip
        return page.to_connection(Room.from_row)

    @strawberry.field(permission_classes=requires("rates:read"))
    async def rate_plans(self, info: Info) -> list[RatePlan]:
        async with info.context.db() as session:
            rows = await session.scalars(select(models.RatePlan).order_by(models.RatePlan.code))
            money = currency(info)
            return [RatePlan.from_row(r, money) for r in rows]

    @strawberry.field(
        description="Room types with a room free on every night, their prices and the "
        "restrictions that apply: a booking engine's question (a publishable key will do).",
        permission_classes=public(),
    )
    async def availability(
        self, info: Info, arrival: dt.date, departure: dt.date, adults: int = 1, children: int = 0
    ) -> list[RoomTypeOffer]:
        money = currency(info)
        with as_client_error():
            async with info.context.db() as session:
                offers = await availability_service.availability(
                    context_of(info, session), arrival, departure, adults, children
                )
        return [
            RoomTypeOffer(
                room_type_code=o.room_type.code, room_type_name=o.room_type.name,
                description=o.room_type.description, capacity=o.room_type.capacity,
                beds=o.room_type.beds, free_rooms=o.free_rooms,
                rates=[
                    RateOffer(
                        rate_plan_code=r.plan.code, rate_plan_name=r.plan.name,
                        nights=[
                            NightPrice(date=d, price=Money.from_minor(p, money))
                            for d, p in sorted(r.quote.prices.items())
                        ],
                        total=Money.from_minor(r.quote.total, money),
                        restrictions=r.quote.broken, bookable=not r.quote.broken,
                        free_cancellation_days=r.plan.free_cancellation_days,
                        cancellation_fee_kind=r.plan.cancellation_fee_kind,
                    )
                    for r in o.rates
                ],
            )
            for o in offers
        ]  # fmt: skip

    @strawberry.field(
        description="Rooms, sold and free per night and room type, from `from` to `to` "
        "(excluded; up to 400 days).",
        permission_classes=requires("reservations:read"),
    )
    async def availability_calendar(
        self,
        info: Info,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date | None = None,
    ) -> list[AvailabilityDay]:
        with as_client_error():
            async with info.context.db() as session:
                days = await availability_service.calendar(
                    context_of(info, session), from_, to or from_ + dt.timedelta(days=30)
                )
        return [
            AvailabilityDay(
                date=d.date, room_type_code=d.room_type.code, rooms=d.rooms, sold=d.sold,
                out_of_order=d.out_of_order, free=d.free,
            )
            for d in days
        ]  # fmt: skip

    @strawberry.field(permission_classes=requires("reservations:read"))
    async def reservations(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ReservationFilter | None = None,
    ) -> Connection[Reservation]:
        r = models.Reservation
        statement = select(r)
        if filter:
            if filter.status:
                statement = statement.where(r.status.in_([s.value for s in filter.status]))
            if filter.arrival_from:
                statement = statement.where(r.arrival >= filter.arrival_from)
            if filter.arrival_to:
                statement = statement.where(r.arrival <= filter.arrival_to)
            if filter.guest is not None:
                statement = statement.where(r.guest_id == pk_of(filter.guest, "Guest"))
            if filter.search and filter.search.strip():
                text = filter.search.strip()
                guests = select(models.Guest.id).where(
                    func.lower(models.Guest.last_name).like(contains_pattern(text), escape="\\")
                )
                booking = escape_like(text)
                statement = statement.where(
                    (r.number == text)
                    | r.number.like(f"{booking}-%", escape="\\")
                    | r.guest_id.in_(guests)
                )
        page = await paginate(
            info, statement, sort_key=r.arrival, pk=r.id, first=first, after=after
        )
        return page.to_connection(Reservation.from_row)

    @strawberry.field(permission_classes=requires("reservations:read"))
    async def reservation_by_number(self, info: Info, number: str) -> Reservation | None:
        async with info.context.db() as session:
            row = await session.scalar(
                select(models.Reservation).where(models.Reservation.number == number.strip())
            )
            return Reservation.from_row(row) if row is not None else None

    @strawberry.field(
        description="Reservations arriving on the business date (or `date`): still to come, "
        "or already checked in.",
        permission_classes=requires("reservations:read"),
    )
    async def arrivals(self, info: Info, date: dt.date | None = None) -> list[Reservation]:
        day = date or await _business_date(info)
        r = models.Reservation
        return await _front_desk_list(
            info, r.arrival == day, r.status.in_(["confirmed", "in_house"])
        )

    @strawberry.field(
        description="Reservations departing on the business date (or `date`): in house, or "
        "already checked out that day.",
        permission_classes=requires("reservations:read"),
    )
    async def departures(self, info: Info, date: dt.date | None = None) -> list[Reservation]:
        day = date or await _business_date(info)
        r = models.Reservation
        return await _front_desk_list(
            info, r.departure == day, r.status.in_(["in_house", "checked_out"])
        )

    @strawberry.field(
        description="Guests in house now.", permission_classes=requires("reservations:read")
    )
    async def in_house(self, info: Info) -> list[Reservation]:
        return await _front_desk_list(
            info, models.Reservation.status == ReservationStatus.IN_HOUSE.value
        )

    @strawberry.field(permission_classes=requires("guests:read"))
    async def guests(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: GuestFilter | None = None,
    ) -> Connection[Guest]:
        g = models.Guest
        statement = select(g)
        if filter and filter.search and filter.search.strip():
            pattern = contains_pattern(filter.search)
            statement = statement.where(
                func.lower(g.last_name).like(pattern, escape="\\")
                | func.lower(g.first_name).like(pattern, escape="\\")
                | g.email.like(pattern, escape="\\")
            )
        page = await paginate(
            info, statement, sort_key=g.last_name, pk=g.id, first=first, after=after
        )
        return page.to_connection(Guest.from_row)
