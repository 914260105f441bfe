"""Demo data for pms_rooms: a small resort's rooms and rates, guests in house, arriving,
booked ahead and canceled, made through the service as the front desk would."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.plugins import HookRelay
from core.tenancy import Property
from plugins.pms_rooms.channels import BookingChannel
from plugins.pms_rooms.service import folios, frontdesk, reservations, setup
from plugins.pms_rooms.service.common import RoomsContext, settings_for
from plugins.pms_rooms.service.guests import GuestSpec


async def fill_demo_data(
    session: AsyncSession, property: Property, clock: Clock, hooks: HookRelay
) -> None:
    ctx = RoomsContext(session=session, hooks=hooks, clock=clock, actor="demo")
    await setup.create_room_type(
        session, code="DBL", name="Double room", capacity=2, beds="1 queen",
        description="Garden view, 22 m²",
    )  # fmt: skip
    await setup.create_room_type(
        session, code="STE", name="Sea-view suite", capacity=4, beds="1 king, 1 sofa bed",
        description="Balcony over the bay, 48 m²",
    )  # fmt: skip
    for floor in (1, 2):
        for n in range(1, 5):
            await setup.create_room(
                session, number=f"{floor}0{n}", room_type="DBL", floor=str(floor),
                features=["garden view"],
            )  # fmt: skip
    for n in (1, 2):
        await setup.create_room(
            session, number=f"30{n}", room_type="STE", floor="3", features=["sea view", "balcony"]
        )
    await setup.create_rate_plan(
        session, setup.RatePlanSpec(code="BAR-DBL", name="Best available", room_type="DBL",
                                    base_price_minor=14_000, free_cancellation_days=2),
    )  # fmt: skip
    await setup.create_rate_plan(
        session, setup.RatePlanSpec(code="BAR-STE", name="Best available", room_type="STE",
                                    base_price_minor=32_000, min_stay=2,
                                    free_cancellation_days=7, cancellation_fee_kind="percent",
                                    cancellation_fee_value=5_000),
    )  # fmt: skip
    today = (await settings_for(session, clock)).business_date

    def day(offset: int) -> dt.date:
        return today + dt.timedelta(days=offset)

    async def book(
        key: str, guest: GuestSpec, plan: str, kind: str, start: int, nights: int, **kw
    ) -> list:
        _, rows, _ = await reservations.book(
            ctx,
            reservations.BookingSpec(
                idempotency_key=f"demo-{key}", guest=guest,
                stays=[reservations.StaySpec(room_type=kind, rate_plan=plan, arrival=day(start),
                                             departure=day(start + nights), **kw)],
                channel=BookingChannel.BOOKING_ENGINE,
            ),
        )  # fmt: skip
        return rows

    # In house since today, with a minibar charge and a deposit.
    [in_house] = await book(
        "1", GuestSpec("Lovelace", "Ada", "ada@example.com", preferences=("high floor",)),
        "BAR-DBL", "DBL", 0, 3, adults=2,
    )  # fmt: skip
    await frontdesk.check_in(ctx, in_house.id)
    await folios.record_folio_entry(
        ctx, in_house.id, kind="charge", amount_minor=1_250, description="Minibar",
        reference="demo:minibar",
    )  # fmt: skip
    await folios.record_folio_entry(
        ctx, in_house.id, kind="payment", amount_minor=20_000, description="Deposit (card)",
        reference="demo:deposit",
    )  # fmt: skip
    # Arriving today, a family in a suite.
    await book("2", GuestSpec("Hopper", "Grace", "grace@example.com"), "BAR-STE", "STE", 0, 4,
               adults=2, children=2)  # fmt: skip
    # Booked ahead.
    await book("3", GuestSpec("Turing", "Alan", "alan@example.com"), "BAR-DBL", "DBL", 5, 2)
    # Canceled well ahead: free.
    [canceled] = await book(
        "4", GuestSpec("Liskov", "Barbara", "barbara@example.com"), "BAR-DBL", "DBL", 20, 2
    )
    await reservations.cancel_reservation(ctx, canceled.id, reason="plans changed")
