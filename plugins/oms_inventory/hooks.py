"""Hook implementations of oms_inventory: its GraphQL, permissions, jobs, seeds, and the
stock hooks it offers to order plugins (hookspecs.py)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from core import hookimpl
from core.db import Scope
from core.graphql import GraphQLContribution
from core.jobs import Job, JobContext
from core.permissions import Permission
from plugins.oms_inventory.models import Location, Variant
from plugins.oms_inventory.service import allocation, catalog, stock


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from plugins.oms_inventory.graphql import contribution

    return contribution()


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission("catalog:read", "See products, variants and prices"),
        Permission("catalog:write", "Create and change products, variants and prices"),
        Permission("inventory:read", "See locations, stock levels and the stock ledger"),
        Permission("inventory:write", "Receive, adjust, transfer, allocate and hold stock"),
        Permission("purchasing:read", "See reorder rules and purchase orders"),
        Permission("purchasing:write", "Set reorder rules, place and receive purchase orders"),
    ]


async def _release_expired_holds(context: JobContext) -> int:
    released = 0
    for tenant_id, property_id in await context.properties_with_plugin("oms_inventory"):
        async with context.transaction(Scope.tenant(tenant_id, property_id)) as session:
            released += await allocation.release_expired_holds(session, clock=context.clock)
    return released


@hookimpl
def concierge_jobs() -> list[Job]:
    return [
        Job(
            name="oms_inventory.release_expired_holds",
            interval=dt.timedelta(minutes=1),
            run=_release_expired_holds,
            description="Give back the stock of cart holds past their expiry.",
        )
    ]


@hookimpl
async def concierge_plugin_enabled(session, property, clock) -> None:
    await catalog.settings_for(session)
    if await session.scalar(select(Location.id).limit(1)) is None:
        await catalog.create_location(
            session, code="MAIN", name="Main stock room", priority=10, clock=clock
        )


@hookimpl
async def concierge_demo_data(session, property, clock) -> None:
    from plugins.oms_inventory.demo import fill_demo_data

    await fill_demo_data(session, property, clock)


# -- the stock hooks this plugin offers (hookspecs.py) --------------------------------


@hookimpl
async def oms_inventory_allocate(session, reference, lines, hold_key, actor, clock):
    taken = await allocation.allocate(
        session,
        reference=reference,
        lines=[allocation.LineRequest(sku, quantity) for sku, quantity in lines],
        hold_key=hold_key,
        actor=actor,
        clock=clock,
    )
    return await allocation.describe_taken(session, taken)


@hookimpl
async def oms_inventory_release(session, reference, actor, clock) -> int:
    return await allocation.release(session, reference=reference, actor=actor, clock=clock)


@hookimpl
async def oms_inventory_ship(session, reference, lines, location, actor, clock):
    location_id = None
    if location is not None:
        location_id = (await catalog.location_by_code(session, location, field=["location"])).id
    shipped = await allocation.ship(
        session,
        reference=reference,
        lines=None if lines is None else [allocation.LineRequest(s, q) for s, q in lines],
        location_id=location_id,
        actor=actor,
        clock=clock,
    )
    return await allocation.describe_taken(session, shipped)


@hookimpl
async def oms_inventory_return(
    session, sku, location, quantity, restock, reference, actor, clock
) -> bool:
    await stock.return_stock(
        session, sku=sku, location_code=location, quantity=quantity, restock=restock,
        reference=reference, actor=actor, clock=clock,
    )  # fmt: skip
    return True


@hookimpl
async def oms_inventory_prices(session, skus) -> dict[str, dict[str, Any]]:
    rows = await session.scalars(select(Variant).where(Variant.sku.in_(list(skus))))
    return {
        v.sku: {
            "name": v.name, "price_minor": v.price_minor, "currency": v.currency,
            "active": v.active,
        }
        for v in rows
    }  # fmt: skip


@hookimpl
def concierge_reports() -> list:
    from plugins.oms_inventory.service.reports import REPORTS

    return REPORTS


@hookimpl
def concierge_invariants() -> list:
    from plugins.oms_inventory.invariants import INVARIANTS

    return INVARIANTS
