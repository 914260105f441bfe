"""Hook implementations of pms_rooms: its GraphQL, permissions, jobs, seeds, and the folio
hooks it offers to outlets (hookspecs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core import hookimpl
from core.db import Scope
from core.graphql import GraphQLContribution
from core.jobs import Job, JobContext
from core.permissions import Permission
from plugins.pms_rooms.models import Folio, Guest
from plugins.pms_rooms.service.audit import run_night_audit
from plugins.pms_rooms.service.common import RoomsContext, settings_for
from plugins.pms_rooms.service.folios import (
    in_house_by_room,
    post_outlet_charge,
    postings_by_reference,
    void_outlet_charge,
)

# How many business days one run of the job closes, when a property has fallen behind.
AUDIT_CATCH_UP_DAYS = 31


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from plugins.pms_rooms.graphql import contribution

    return contribution()


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission("rooms:read", "See room types and rooms"),
        Permission("rooms:write", "Create and change room types and rooms"),
        Permission("rates:read", "See rate plans, prices and restrictions"),
        Permission("rates:write", "Create rate plans, set prices and restrictions"),
        Permission("reservations:read", "See reservations, bookings and the front desk lists"),
        Permission("reservations:write", "Book, change, cancel, check in and out, move rooms"),
        Permission("guests:read", "See guest profiles and their stays"),
        Permission("guests:write", "Change guest profiles"),
        Permission("folios:read", "See folios and invoices"),
        Permission("folios:write", "Post charges, payments, refunds and corrections"),
        Permission("audit:run", "Run the night audit by hand"),
    ]


async def _night_audit(context: JobContext) -> int:
    async def close_days(tenant_id: int, property_id: int) -> int:
        closed = 0
        for _ in range(AUDIT_CATCH_UP_DAYS):
            async with context.transaction(Scope.tenant(tenant_id, property_id)) as session:
                ctx = RoomsContext(
                    session=session, hooks=await context.hooks_for(session, property_id),
                    clock=context.clock, actor="job:night_audit",
                )  # fmt: skip
                result = await run_night_audit(ctx)
            if result.business_date is None:
                break
            closed += 1
        return closed

    return await context.for_each_property("pms_rooms", close_days, what="night audit")


@hookimpl
def concierge_jobs() -> list[Job]:
    return [
        Job(
            name="pms_rooms.night_audit",
            interval=dt.timedelta(minutes=10),
            run=_night_audit,
            description="Close each business day at its audit time: room charges, "
            "overstays, no-shows, the next business date.",
        )
    ]


@hookimpl
async def concierge_plugin_enabled(session, property, clock) -> None:
    await settings_for(session, clock)


@hookimpl
async def concierge_demo_data(session, property, clock, hooks) -> None:
    from plugins.pms_rooms.demo import fill_demo_data

    await fill_demo_data(session, property, clock, hooks)


# -- the folio hooks this plugin offers (hookspecs.py) ---------------------------------


@hookimpl
async def pms_rooms_find_in_house_guest(session, room_number, last_name) -> dict[str, Any] | None:
    reservation = await in_house_by_room(session, room_number, last_name)
    if reservation is None:
        return None
    guest = await session.get(Guest, reservation.guest_id)
    folio = await session.scalar(select(Folio).where(Folio.reservation_id == reservation.id))
    return {
        "reservation_id": reservation.id, "reservation_number": reservation.number,
        "guest_name": f"{guest.first_name} {guest.last_name}".strip(),
        "departure": reservation.departure, "balance_minor": folio.balance_minor if folio else 0,
        "credit_limit_minor": reservation.credit_limit_minor, "no_post": reservation.no_post,
    }  # fmt: skip


@hookimpl
async def pms_rooms_post_charge(
    session, reservation_id, amount_minor, description, reference, source, actor, clock, hooks
) -> dict[str, Any]:
    ctx = RoomsContext(session=session, hooks=hooks, clock=clock, actor=actor)
    line = await post_outlet_charge(
        ctx, reservation_id, amount_minor=amount_minor, description=description,
        reference=reference, source=source,
    )  # fmt: skip
    folio = await session.get(Folio, line.folio_id)
    assert folio is not None
    return {"line_id": line.id, "folio_id": line.folio_id, "balance_minor": folio.balance_minor}


@hookimpl
async def pms_rooms_void_charge(
    session, reservation_id, amount_minor, description, reference, voids_reference, source,
    actor, clock, hooks,
) -> dict[str, Any]:  # fmt: skip
    ctx = RoomsContext(session=session, hooks=hooks, clock=clock, actor=actor)
    line = await void_outlet_charge(
        ctx, reservation_id, amount_minor=amount_minor, description=description,
        reference=reference, voids_reference=voids_reference, source=source,
    )  # fmt: skip
    folio = await session.get(Folio, line.folio_id)
    assert folio is not None
    return {"line_id": line.id, "folio_id": line.folio_id, "balance_minor": folio.balance_minor}


@hookimpl
async def pms_rooms_postings(session, references) -> dict[str, int]:
    return await postings_by_reference(session, references)


@hookimpl
def concierge_reports() -> list:
    from plugins.pms_rooms.service.reports import REPORTS

    return REPORTS


@hookimpl
def concierge_invariants() -> list:
    from plugins.pms_rooms.invariants import INVARIANTS

    return INVARIANTS
