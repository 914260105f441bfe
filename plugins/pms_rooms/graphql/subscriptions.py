"""Live front desk: reservations as their status changes, folio postings as they land."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from core.graphql.permissions import requires
from core.graphql.subscriptions import changed_rows
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
        rows = changed_rows(
            info, RESERVATION_EVENTS, models.Reservation, "reservation_id",
            match={"number": number},
        )  # fmt: skip
        async for row in rows:
            yield Reservation.from_row(row)

    @strawberry.subscription(
        permission_classes=requires("folios:read"),
        description="Every new folio line at this property: room nights, outlets' charges, "
        "payments, refunds, corrections.",
    )
    async def folio_posted(self, info: Info) -> AsyncGenerator[FolioLine, None]:
        rows = changed_rows(info, ("pms_rooms.folio_posted",), models.FolioLine, "line_id")
        async for row in rows:
            yield FolioLine.from_row(row, currency(info))
