"""Live front desk: reservations as their status changes, folio postings as they land."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from core.graphql.permissions import requires
from core.graphql.subscriptions import property_events
from plugins.pms_rooms import models
from plugins.pms_rooms.graphql.types import FolioLine, Reservation, currency

RESERVATION_EVENTS = tuple(
    f"pms_rooms.{name}"
    for name in (
        "reservation_created", "reservation_changed", "reservation_canceled",
        "reservation_no_show", "reservation_checked_in", "check_in_reverted",
        "reservation_checked_out",
    )
)  # fmt: skip


@strawberry.type
class RoomsSubscription:
    @strawberry.subscription(
        permission_classes=requires("reservations:read"),
        description="Reservations as they are booked, changed, canceled, checked in and out. "
        "`number` follows one reservation.",
    )
    async def reservation_changed(
        self, info: Info, number: str | None = None
    ) -> AsyncGenerator[Reservation, None]:
        async for event in property_events(info, RESERVATION_EVENTS):
            if number is not None and event.payload.get("number") != number:
                continue
            async with info.context.db() as session:
                row = await session.get(models.Reservation, event.payload["reservation_id"])
            if row is not None:
                yield Reservation.from_row(row)

    @strawberry.subscription(
        permission_classes=requires("folios:read"),
        description="Every new folio line at this property: room nights, outlets' charges, "
        "payments, refunds, corrections.",
    )
    async def folio_posted(self, info: Info) -> AsyncGenerator[FolioLine, None]:
        async for event in property_events(info, ("pms_rooms.folio_posted",)):
            async with info.context.db() as session:
                row = await session.get(models.FolioLine, event.payload["line_id"])
            if row is not None:
                yield FolioLine.from_row(row, currency(info))
