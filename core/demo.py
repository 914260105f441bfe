"""Demo data: a tenant with a shop and a resort, filled by the plugins themselves.

The core knows no plugin: it enables the plugins each demo property should
run (the shop's OMS plugins, every installed plugin at the resort) and calls
``concierge_demo_data`` on them.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.auth import issue_access_token
from core.clock import SystemClock
from core.config import Settings
from core.db import Database, Scope
from core.plugins import PluginHost, call_hook
from core.tenancy import (
    Tenant,
    create_property,
    create_tenant,
    enable_plugin,
    property_scoped,
)

DEMO_TENANT = "demo"
# The shop runs the OMS plugins (and the POS bridge: its till sells from stock);
# the resort runs every installed plugin, third-party ones included.
SHOP_PLUGINS = ("oms_inventory", "oms_orders", "pos_bridge")
ALL_PLUGINS = None
DEMO_PROPERTIES: tuple[tuple[str, str, str, str, tuple[str, ...] | None], ...] = (
    ("demo-shop", "Demo Shop", "Europe/Berlin", "EUR", SHOP_PLUGINS),
    ("demo-resort", "Demo Resort", "Europe/Lisbon", "EUR", ALL_PLUGINS),
)
DEMO_TOKEN_TTL = dt.timedelta(days=7)


def _in_dependency_order(host: PluginHost, names: tuple[str, ...]) -> list[str]:
    ordered: list[str] = []

    def visit(name: str) -> None:
        if name in ordered or name not in host.plugins:
            return
        for required in host.plugins[name].requires:
            visit(required)
        ordered.append(name)

    for name in names:
        visit(name)
    return ordered


async def seed_demo(settings: Settings, host: PluginHost) -> str | None:
    """Create the demo tenant and properties once; return a dev token (None in production)."""
    clock = SystemClock()
    db = Database.from_settings(settings)
    try:
        async with db.transaction(Scope.system()) as session:
            tenant = await session.scalar(select(Tenant).where(Tenant.slug == DEMO_TENANT))
            if tenant is None:
                tenant = await create_tenant(
                    session, name="Demo Hospitality Group", slug=DEMO_TENANT, clock=clock
                )
                for slug, name, time_zone, currency, plugins in DEMO_PROPERTIES:
                    prop = await create_property(
                        session,
                        tenant_id=tenant.id,
                        name=name,
                        slug=slug,
                        time_zone=time_zone,
                        currency=currency,
                        clock=clock,
                    )
                    wanted = tuple(sorted(host.names)) if plugins is None else plugins
                    enabled = _in_dependency_order(host, wanted)
                    for plugin in enabled:
                        await enable_plugin(session, host, prop, plugin, clock=clock)
                    async with property_scoped(session, prop) as scoped:
                        await call_hook(
                            host.relay(enabled).concierge_demo_data,
                            session=scoped,
                            property=prop,
                            clock=clock,
                        )
            tenant_id = tenant.id
    finally:
        await db.dispose()
    if settings.production:
        return None
    return issue_access_token(
        settings, clock, tenant_id=tenant_id, subject="system:demo", ttl=DEMO_TOKEN_TTL
    )
