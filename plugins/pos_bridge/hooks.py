"""Hook implementations of pos_bridge: its GraphQL, permissions, the webhook route and
demo data. It requires no plugin: charging rooms and selling from stock go through
the hooks pms_rooms and oms_orders offer, where a property has them."""

from __future__ import annotations

from core import hookimpl
from core.graphql import GraphQLContribution
from core.permissions import Permission


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from plugins.pos_bridge.graphql import contribution

    return contribution()


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission("pos:read", "See outlets, sales and the daily summaries"),
        Permission("pos:sell", "Post sales and voids (tills and cashiers)"),
        Permission("pos:manage", "Create outlets, their device keys and webhook secrets"),
    ]


@hookimpl
def concierge_routes() -> list:
    from plugins.pos_bridge.webhook import ROUTES

    return ROUTES


@hookimpl(trylast=True)  # after the rooms and the catalog it sells from
async def concierge_demo_data(session, property, clock, hooks) -> None:
    from plugins.pos_bridge.demo import fill_demo_data

    await fill_demo_data(session, property, clock, hooks)


@hookimpl
def concierge_reports() -> list:
    from plugins.pos_bridge.service.reports import REPORTS

    return REPORTS


@hookimpl
def concierge_invariants() -> list:
    from plugins.pos_bridge.invariants import INVARIANTS

    return INVARIANTS
