"""Hook implementations of oms_orders: its GraphQL, permissions, jobs and seeds."""

from __future__ import annotations

import datetime as dt
from typing import Any

from core import hookimpl
from core.db import Scope
from core.graphql import GraphQLContribution
from core.jobs import Job, JobContext
from core.permissions import Permission
from plugins.oms_orders.service import pos
from plugins.oms_orders.service.common import OrderContext, settings_for
from plugins.oms_orders.service.lifecycle import expire_unpaid_orders


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from plugins.oms_orders.graphql import contribution

    return contribution()


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission(
            "orders:read", "See orders with their lines, timeline, payments, shipments, returns"
        ),
        Permission("orders:write", "Place, confirm, cancel and annotate orders"),
        Permission("payments:write", "Record payments and give refunds"),
        Permission("fulfilments:write", "Ship orders and update tracking"),
        Permission("returns:write", "Request and receive returns"),
        Permission("customers:read", "See customers and their order history"),
        Permission("customers:write", "Create and change customers"),
        Permission("orders:configure", "Change numbering, tax and expiry of orders"),
    ]


async def _expire_unpaid_orders(context: JobContext) -> int:
    async def expire(tenant_id: int, property_id: int) -> int:
        async with context.transaction(Scope.tenant(tenant_id, property_id)) as session:
            ctx = OrderContext(
                session=session, hooks=await context.hooks_for(session, property_id),
                clock=context.clock, actor="job:order_expiry",
            )  # fmt: skip
            return await expire_unpaid_orders(ctx)

    return await context.for_each_property("oms_orders", expire, what="order expiry")


@hookimpl
def concierge_jobs() -> list[Job]:
    return [
        Job(
            name="oms_orders.expire_unpaid_orders",
            interval=dt.timedelta(minutes=1),
            run=_expire_unpaid_orders,
            description="Expire unconfirmed unpaid orders past their deadline, releasing stock.",
        )
    ]


@hookimpl
async def concierge_plugin_enabled(session, property, clock) -> None:
    await settings_for(session)


@hookimpl(trylast=True)  # after oms_inventory's demo catalog and stock
async def concierge_demo_data(session, property, clock, hooks) -> None:
    from plugins.oms_orders.demo import fill_demo_data

    await fill_demo_data(session, property, clock, hooks)


# -- the till orders this plugin offers (hookspecs.py) -------------------------------------


@hookimpl
async def oms_orders_place_pos_order(
    session, reference, outlet, lines, payment_method, location, currency, actor, clock, hooks
) -> dict[str, Any]:
    ctx = OrderContext(session=session, hooks=hooks, clock=clock, actor=actor)
    order = await pos.place_pos_order(
        ctx, reference=reference, outlet=outlet, lines=lines, payment_method=payment_method,
        location=location, currency=currency,
    )  # fmt: skip
    return order.as_dict()


@hookimpl
async def oms_orders_return_pos_order(
    session, reference, voids_reference, lines, refund_minor, location, actor, clock, hooks
) -> dict[str, Any]:
    ctx = OrderContext(session=session, hooks=hooks, clock=clock, actor=actor)
    order = await pos.return_pos_order(
        ctx, reference=reference, voids_reference=voids_reference, lines=lines,
        refund_minor=refund_minor, location=location,
    )  # fmt: skip
    return order.as_dict()


@hookimpl
async def oms_orders_pos_amounts(session, references) -> dict[str, int]:
    return await pos.pos_amounts(session, references)


@hookimpl
def concierge_reports() -> list:
    from plugins.oms_orders.service.reports import REPORTS

    return REPORTS


@hookimpl
def concierge_invariants() -> list:
    from plugins.oms_orders.invariants import INVARIANTS

    return INVARIANTS
