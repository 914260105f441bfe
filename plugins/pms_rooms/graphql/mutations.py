"""Root mutation fields of pms_rooms: thin, each one service call in one transaction."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from core.graphql import pk_of
from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires
from core.money import decimal_to_minor
from plugins.pms_rooms.channels import BookingChannel
from plugins.pms_rooms.graphql.types import (
    BookingChannelEnum,
    FolioLine,
    Guest,
    HotelSettings,
    RatePlan,
    Reservation,
    Room,
    RoomsError,
    RoomType,
    currency,
)
from plugins.pms_rooms.service import audit, folios, frontdesk, guests, reservations, setup
from plugins.pms_rooms.service.common import RoomsContext, settings_for
from plugins.pms_rooms.service.errors import RoomsErrorCode, invalid

P = TypeVar("P")


def _errors() -> Any:
    return strawberry.field(default_factory=list)


def context_of(info: Info, session: AsyncSession) -> RoomsContext:
    principal = info.context.principal
    return RoomsContext(
        session=session, hooks=info.context.hooks, clock=info.context.clock,
        actor=principal.subject if principal else "anonymous",
    )  # fmt: skip


async def run(info: Info, work: Callable[[RoomsContext], Awaitable[P]], payload: type[P]) -> P:
    """One transaction; a DomainError rolls it back and becomes typed payload errors."""

    async def in_session(session: AsyncSession) -> P:
        return await work(context_of(info, session))

    return await in_transaction(info, in_session, payload, RoomsError, RoomsErrorCode)


def _minor(info: Info, amount: Decimal, field: list[str]) -> int:
    return decimal_to_minor(amount, currency(info), field=field)


def _reservation_id(value: str) -> int:
    return pk_of(value, "Reservation")


# -- inputs -----------------------------------------------------------------------


@strawberry.input
class CreateRoomTypeInput:
    code: str
    name: str
    capacity: int
    beds: str = ""
    description: str = ""


@strawberry.input
class CreateRoomInput:
    number: str
    room_type: str = strawberry.field(description="The room type's code.")
    floor: str = ""
    features: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class CreateRatePlanInput:
    code: str
    name: str
    room_type: str
    price: Decimal = strawberry.field(description="The nightly price, in the property's currency.")
    min_stay: int = 1
    max_stay: int | None = None
    free_cancellation_days: int = 1
    cancellation_fee_kind: str = strawberry.field(
        default="first_night", description="first_night, percent or fixed."
    )
    cancellation_fee_value: Decimal = strawberry.field(
        default=Decimal(0), description="A percentage (e.g. 50) or an amount, by kind."
    )


@strawberry.input
class SetRateOverrideInput:
    rate_plan: str
    from_: dt.date = strawberry.field(name="from")
    to: dt.date = strawberry.field(description="Included.")
    price: Decimal | None = None
    min_stay: int | None = None
    max_stay: int | None = None
    closed: bool | None = strawberry.field(
        default=None, description="Left out: unchanged (false on a new date)."
    )
    closed_to_arrival: bool | None = None
    closed_to_departure: bool | None = None


@strawberry.input
class GuestInput:
    last_name: str
    first_name: str = ""
    email: str = ""
    phone: str = ""
    preferences: list[str] = strawberry.field(default_factory=list)
    note: str = ""

    def spec(self) -> guests.GuestSpec:
        return guests.GuestSpec(
            last_name=self.last_name, first_name=self.first_name, email=self.email,
            phone=self.phone, preferences=tuple(self.preferences), note=self.note,
        )  # fmt: skip


@strawberry.input
class StayInput:
    room_type: str
    rate_plan: str
    arrival: dt.date
    departure: dt.date
    adults: int = 1
    children: int = 0
    room: str | None = strawberry.field(default=None, description="A room number, by hand.")
    notes: str = ""


@strawberry.input
class BookReservationInput:
    idempotency_key: str = strawberry.field(
        description="The client's id for this booking: a retry returns the first booking."
    )
    guest: GuestInput
    stays: list[StayInput] = strawberry.field(description="One per room.")
    channel: BookingChannelEnum = BookingChannel.DIRECT  # type: ignore[valid-type]


@strawberry.input
class ChangeReservationInput:
    reservation: strawberry.ID
    arrival: dt.date | None = None
    departure: dt.date | None = None
    room_type: str | None = None
    rate_plan: str | None = None
    adults: int | None = None
    children: int | None = None


@strawberry.input
class ReservationInput:
    reservation: strawberry.ID


@strawberry.input
class CancelReservationInput:
    reservation: strawberry.ID
    reason: str = ""


@strawberry.input
class CheckOutInput:
    reservation: strawberry.ID
    override_note: str | None = strawberry.field(
        default=None, description="Check out with an open balance, and why."
    )


@strawberry.input
class MoveRoomInput:
    reservation: strawberry.ID
    room: str = strawberry.field(description="The new room's number.")


@strawberry.input
class PostFolioEntryInput:
    reservation: strawberry.ID
    kind: str = strawberry.field(description="charge, payment, refund or correction.")
    amount: Decimal = strawberry.field(description="Positive; the kind gives the sign.")
    description: str
    corrects: strawberry.ID | None = strawberry.field(
        default=None, description="For a correction: the FolioLine it corrects."
    )
    idempotency_key: str | None = None


@strawberry.input
class SetReservationBillingInput:
    reservation: strawberry.ID
    no_post: bool | None = None
    credit_limit: Decimal | None = strawberry.field(default=None, description="0: no limit.")


@strawberry.input
class UpdateGuestInput:
    guest: strawberry.ID
    profile: GuestInput


@strawberry.input
class UpdateHotelSettingsInput:
    check_in_time: str | None = None
    check_out_time: str | None = None
    night_audit_time: str | None = strawberry.field(
        default=None, description="Local time (on the next day) the audit closes a date."
    )
    default_credit_limit: Decimal | None = None


# -- payloads ---------------------------------------------------------------------


@strawberry.type
class RoomTypePayload:
    room_type: RoomType | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class RoomPayload:
    room: Room | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class RatePlanPayload:
    rate_plan: RatePlan | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class BookReservationPayload:
    booking_number: str | None = None
    reservations: list[Reservation] = strawberry.field(default_factory=list)
    created: bool = strawberry.field(
        default=False, description="False when the idempotency key returned an earlier booking."
    )
    errors: list[RoomsError] = _errors()


@strawberry.type
class ReservationPayload:
    reservation: Reservation | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class FolioEntryPayload:
    reservation: Reservation | None = None
    line: FolioLine | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class GuestPayload:
    guest: Guest | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class HotelSettingsPayload:
    settings: HotelSettings | None = None
    errors: list[RoomsError] = _errors()


@strawberry.type
class NightAuditPayload:
    closed_business_date: dt.date | None = strawberry.field(
        default=None, description="The day closed; null before its audit time (nightAuditTime)."
    )
    business_date: dt.date | None = None
    room_charges: int = 0
    no_shows: int = 0
    overstays: int = 0
    errors: list[RoomsError] = _errors()


def _time(value: str, field: str) -> str:
    try:
        return dt.time.fromisoformat(value.strip()).strftime("%H:%M")
    except ValueError:
        raise invalid("a time of day such as 15:00", [field]) from None


@strawberry.type
class RoomsMutation:
    @strawberry.mutation(permission_classes=requires("rooms:write"))
    async def create_room_type(self, info: Info, input: CreateRoomTypeInput) -> RoomTypePayload:
        async def work(ctx: RoomsContext) -> RoomTypePayload:
            row = await setup.create_room_type(
                ctx.session, code=input.code, name=input.name, capacity=input.capacity,
                beds=input.beds, description=input.description,
            )  # fmt: skip
            return RoomTypePayload(room_type=RoomType.from_row(row))

        return await run(info, work, RoomTypePayload)

    @strawberry.mutation(permission_classes=requires("rooms:write"))
    async def create_room(self, info: Info, input: CreateRoomInput) -> RoomPayload:
        async def work(ctx: RoomsContext) -> RoomPayload:
            row = await setup.create_room(
                ctx.session, number=input.number, room_type=input.room_type, floor=input.floor,
                features=input.features,
            )  # fmt: skip
            return RoomPayload(room=Room.from_row(row))

        return await run(info, work, RoomPayload)

    @strawberry.mutation(permission_classes=requires("rates:write"))
    async def create_rate_plan(self, info: Info, input: CreateRatePlanInput) -> RatePlanPayload:
        async def work(ctx: RoomsContext) -> RatePlanPayload:
            fee = input.cancellation_fee_value
            if input.cancellation_fee_kind == "percent":
                # A percentage with up to two decimals, kept in basis points (5000 = 50 %).
                if fee != fee.quantize(Decimal("0.01")) or not 0 <= fee <= 100:
                    raise invalid("a percentage from 0 to 100, two decimals at most",
                                  ["cancellationFeeValue"])  # fmt: skip
                fee_value = int(fee * 100)
            else:
                fee_value = _minor(info, fee, ["cancellationFeeValue"])
            row = await setup.create_rate_plan(
                ctx.session,
                setup.RatePlanSpec(
                    code=input.code, name=input.name, room_type=input.room_type,
                    base_price_minor=_minor(info, input.price, ["price"]),
                    min_stay=input.min_stay, max_stay=input.max_stay,
                    free_cancellation_days=input.free_cancellation_days,
                    cancellation_fee_kind=input.cancellation_fee_kind,
                    cancellation_fee_value=fee_value,
                ),
            )  # fmt: skip
            return RatePlanPayload(rate_plan=RatePlan.from_row(row, currency(info)))

        return await run(info, work, RatePlanPayload)

    @strawberry.mutation(
        description="Set a price or restrictions on every date from `from` to `to`.",
        permission_classes=requires("rates:write"),
    )
    async def set_rate_override(self, info: Info, input: SetRateOverrideInput) -> RatePlanPayload:
        async def work(ctx: RoomsContext) -> RatePlanPayload:
            await setup.set_rate_override(
                ctx.session, rate_plan=input.rate_plan, start=input.from_, end=input.to,
                spec=setup.OverrideSpec(
                    price_minor=(
                        None if input.price is None else _minor(info, input.price, ["price"])
                    ),
                    min_stay=input.min_stay, max_stay=input.max_stay, closed=input.closed,
                    closed_to_arrival=input.closed_to_arrival,
                    closed_to_departure=input.closed_to_departure,
                ),
            )  # fmt: skip
            plan = await setup.rate_plan_by_code(ctx.session, input.rate_plan, ["ratePlan"])
            return RatePlanPayload(rate_plan=RatePlan.from_row(plan, currency(info)))

        return await run(info, work, RatePlanPayload)

    @strawberry.mutation(permission_classes=requires("rooms:write"))
    async def update_hotel_settings(
        self, info: Info, input: UpdateHotelSettingsInput
    ) -> HotelSettingsPayload:
        async def work(ctx: RoomsContext) -> HotelSettingsPayload:
            settings = await settings_for(ctx.session, ctx.clock, for_update=True)
            if input.check_in_time is not None:
                settings.check_in_time = _time(input.check_in_time, "checkInTime")
            if input.check_out_time is not None:
                settings.check_out_time = _time(input.check_out_time, "checkOutTime")
            if input.night_audit_time is not None:
                audit_time = _time(input.night_audit_time, "nightAuditTime")
                if audit_time > "12:00":
                    raise invalid("the audit runs between midnight and noon", ["nightAuditTime"])
                settings.night_audit_time = audit_time
            if input.default_credit_limit is not None:
                limit = _minor(info, input.default_credit_limit, ["defaultCreditLimit"])
                if limit < 0:
                    raise invalid("a credit limit is not negative", ["defaultCreditLimit"])
                settings.default_credit_limit_minor = limit
            await ctx.session.flush()
            return HotelSettingsPayload(settings=HotelSettings.from_row(settings, currency(info)))

        return await run(info, work, HotelSettingsPayload)

    @strawberry.mutation(
        description="Book one or several rooms for a guest: all or none.",
        permission_classes=requires("reservations:write"),
    )
    async def book_reservation(
        self, info: Info, input: BookReservationInput
    ) -> BookReservationPayload:
        async def work(ctx: RoomsContext) -> BookReservationPayload:
            spec = reservations.BookingSpec(
                idempotency_key=input.idempotency_key, guest=input.guest.spec(),
                channel=BookingChannel(input.channel.value),
                stays=[
                    reservations.StaySpec(
                        room_type=s.room_type, rate_plan=s.rate_plan, arrival=s.arrival,
                        departure=s.departure, adults=s.adults, children=s.children,
                        room=s.room, notes=s.notes,
                    )
                    for s in input.stays
                ],
            )  # fmt: skip
            booking, rows, created = await reservations.book(ctx, spec)
            return BookReservationPayload(
                booking_number=booking.number, created=created,
                reservations=[Reservation.from_row(r) for r in rows],
            )  # fmt: skip

        return await run(info, work, BookReservationPayload)

    @strawberry.mutation(
        description="Change dates, room type, rate plan or party of a confirmed reservation.",
        permission_classes=requires("reservations:write"),
    )
    async def change_reservation(
        self, info: Info, input: ChangeReservationInput
    ) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await reservations.change_reservation(
                ctx, _reservation_id(input.reservation), arrival=input.arrival,
                departure=input.departure, room_type=input.room_type,
                rate_plan=input.rate_plan, adults=input.adults, children=input.children,
            )  # fmt: skip
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("reservations:write"))
    async def cancel_reservation(
        self, info: Info, input: CancelReservationInput
    ) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await reservations.cancel_reservation(
                ctx, _reservation_id(input.reservation), reason=input.reason
            )
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("reservations:write"))
    async def mark_no_show(self, info: Info, input: ReservationInput) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await reservations.mark_no_show(ctx, _reservation_id(input.reservation))
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("reservations:write"))
    async def check_in_reservation(self, info: Info, input: ReservationInput) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await frontdesk.check_in(ctx, _reservation_id(input.reservation))
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("reservations:write"))
    async def revert_check_in(self, info: Info, input: ReservationInput) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await frontdesk.revert_check_in(ctx, _reservation_id(input.reservation))
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("reservations:write"))
    async def check_out_reservation(self, info: Info, input: CheckOutInput) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await frontdesk.check_out(
                ctx, _reservation_id(input.reservation), override_note=input.override_note
            )
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(
        description="Move to another room of the same type for the nights still to come.",
        permission_classes=requires("reservations:write"),
    )
    async def move_reservation_room(self, info: Info, input: MoveRoomInput) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            row = await frontdesk.move_room(ctx, _reservation_id(input.reservation), input.room)
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("folios:write"))
    async def post_folio_entry(self, info: Info, input: PostFolioEntryInput) -> FolioEntryPayload:
        async def work(ctx: RoomsContext) -> FolioEntryPayload:
            key = input.idempotency_key
            if key is not None and (not key.strip() or len(key) > 100):
                raise invalid("an idempotency key has 1 to 100 characters", ["idempotencyKey"])
            reservation, line = await folios.record_folio_entry(
                ctx, _reservation_id(input.reservation), kind=input.kind,
                amount_minor=_minor(info, input.amount, ["amount"]),
                description=input.description,
                reference=f"manual:{key or uuid.uuid4().hex}",
                corrects_line_id=(
                    None if input.corrects is None else pk_of(input.corrects, "FolioLine")
                ),
            )  # fmt: skip
            return FolioEntryPayload(
                reservation=Reservation.from_row(reservation),
                line=FolioLine.from_row(line, currency(info)),
            )

        return await run(info, work, FolioEntryPayload)

    @strawberry.mutation(
        description="Whether outlets may charge the room, and up to what balance.",
        permission_classes=requires("folios:write"),
    )
    async def set_reservation_billing(
        self, info: Info, input: SetReservationBillingInput
    ) -> ReservationPayload:
        async def work(ctx: RoomsContext) -> ReservationPayload:
            from plugins.pms_rooms.service.common import lock_reservation

            row = await lock_reservation(
                ctx.session, _reservation_id(input.reservation), field=["reservation"]
            )
            if input.no_post is not None:
                row.no_post = input.no_post
            if input.credit_limit is not None:
                limit = _minor(info, input.credit_limit, ["creditLimit"])
                if limit < 0:
                    raise invalid("a credit limit is not negative", ["creditLimit"])
                row.credit_limit_minor = limit
            await ctx.session.flush()
            return ReservationPayload(reservation=Reservation.from_row(row))

        return await run(info, work, ReservationPayload)

    @strawberry.mutation(permission_classes=requires("guests:write"))
    async def update_guest(self, info: Info, input: UpdateGuestInput) -> GuestPayload:
        async def work(ctx: RoomsContext) -> GuestPayload:
            row = await guests.update_guest(
                ctx.session, pk_of(input.guest, "Guest"), input.profile.spec()
            )
            return GuestPayload(guest=Guest.from_row(row))

        return await run(info, work, GuestPayload)

    @strawberry.mutation(
        description="Close the business day now if its audit time has come (the job does it on "
        "its own).",
        permission_classes=requires("audit:run"),
    )
    async def run_night_audit(self, info: Info) -> NightAuditPayload:
        async def work(ctx: RoomsContext) -> NightAuditPayload:
            result = await audit.run_night_audit(ctx)
            today = (await settings_for(ctx.session, ctx.clock)).business_date
            return NightAuditPayload(
                closed_business_date=result.business_date, business_date=today,
                room_charges=result.room_charges, no_shows=result.no_shows,
                overstays=result.overstays,
            )  # fmt: skip

        return await run(info, work, NightAuditPayload)
