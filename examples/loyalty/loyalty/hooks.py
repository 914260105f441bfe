"""Hook implementations of loyalty (the hook reference is docs/hooks.md in Concierge)."""

from __future__ import annotations

import datetime as dt

from core import hookimpl
from core.db import Scope
from core.events import DomainEvent, EventContext
from core.graphql import GraphQLContribution
from core.jobs import Job, JobContext
from core.permissions import Permission

from loyalty import reactions, service


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from loyalty import schema

    return GraphQLContribution(query=schema.LoyaltyQuery, mutation=schema.LoyaltyMutation)


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission("loyalty:read", "See members, their points and the programme's rules"),
        Permission("loyalty:write", "Enrol members and change the programme's rules"),
        Permission("loyalty:redeem", "Spend a member's points"),
    ]


@hookimpl
async def concierge_event(event: DomainEvent, context: EventContext) -> None:
    await reactions.react(event, context)


async def _expire(context: JobContext) -> int:
    async def expire(tenant_id: int, property_id: int) -> int:
        async with context.transaction(Scope.tenant(tenant_id, property_id)) as session:
            return await service.expire_balances(session, clock=context.clock)

    return await context.for_each_property("loyalty", expire, what="expired balances")


@hookimpl
def concierge_jobs() -> list[Job]:
    return [
        Job(
            name="loyalty.expire_points",
            interval=dt.timedelta(hours=6),
            run=_expire,
            description="Expire the balances of members idle for the property's expiryDays.",
        )
    ]


@hookimpl
async def concierge_plugin_enabled(session, property, clock) -> None:
    await service.settings_for(session)


@hookimpl
async def concierge_demo_data(session, property, clock, hooks) -> None:
    from loyalty.demo import fill_demo_data

    await fill_demo_data(session, clock)


@hookimpl
def concierge_invariants() -> list:
    from loyalty.invariants import INVARIANTS

    return INVARIANTS
