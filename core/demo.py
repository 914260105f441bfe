"""Demo data: a tenant with a shop and a resort, one user per role, filled by the plugins.

The core knows no plugin: it enables the plugins each demo property should
run (the shop's OMS plugins, every installed plugin at the resort) and calls
``concierge_demo_data`` on them. Development only: the demo password is public.
"""

from __future__ import annotations

from sqlalchemy import select

from core.clock import Clock, SystemClock
from core.config import ConfigError, Settings
from core.db import Database, Scope
from core.plugins import PluginHost, call_hook
from core.tenancy import (
    Property,
    Tenant,
    create_property,
    create_tenant,
    enable_plugin,
    property_scoped,
)
from core.users import create_user, set_membership

DEMO_TENANT = "demo"
DEMO_PASSWORD = "concierge-demo"
# The shop runs the OMS plugins (and the POS bridge: its till sells from stock);
# the resort runs every installed plugin, third-party ones included.
SHOP_PLUGINS = ("oms_inventory", "oms_orders", "pos_bridge")
DEMO_PROPERTIES: tuple[tuple[str, str, str, str, tuple[str, ...] | None], ...] = (
    ("demo-shop", "Demo Shop", "Europe/Berlin", "EUR", SHOP_PLUGINS),
    ("demo-resort", "Demo Resort", "Europe/Lisbon", "EUR", None),
)
# (role, property slug or None for every property)
DEMO_USERS = (
    ("owner", None),
    ("manager", None),
    ("front_desk", "demo-resort"),
    ("housekeeping", "demo-resort"),
    ("housekeeper", "demo-resort"),
    ("warehouse", "demo-shop"),
    ("cashier", "demo-shop"),
    ("viewer", None),
)


def demo_email(role: str) -> str:
    return f"{role.replace('_', '-')}@demo.example"


def in_dependency_order(host: PluginHost, names: tuple[str, ...]) -> list[str]:
    """``names`` (those installed), each after the plugins it requires."""
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


async def seed_demo(settings: Settings, host: PluginHost, clock: Clock | None = None) -> bool:
    """Create the demo tenant, properties and users once; False when they already exist."""
    if settings.production:
        raise ConfigError("the demo tenant has a public password: not in production mode")
    clock = clock or SystemClock()
    db = Database.from_settings(settings)
    try:
        async with db.transaction(Scope.system()) as session:
            if await session.scalar(select(Tenant.id).where(Tenant.slug == DEMO_TENANT)):
                return False
            tenant = await create_tenant(
                session, name="Demo Hospitality Group", slug=DEMO_TENANT, clock=clock
            )
            properties: dict[str, Property] = {}
            for slug, name, time_zone, currency, plugins in DEMO_PROPERTIES:
                prop = await create_property(
                    session, tenant_id=tenant.id, name=name, slug=slug, time_zone=time_zone,
                    currency=currency, clock=clock,
                )  # fmt: skip
                wanted = tuple(sorted(host.names)) if plugins is None else plugins
                enabled = in_dependency_order(host, wanted)
                for plugin in enabled:
                    await enable_plugin(session, host, prop, plugin, clock=clock)
                async with property_scoped(session, prop) as scoped:
                    await call_hook(
                        host.relay(enabled).concierge_demo_data,
                        session=scoped,
                        property=prop,
                        clock=clock,
                        hooks=host.relay(enabled),
                    )
                properties[slug] = prop
        async with db.transaction(Scope.tenant(tenant.id)) as session:
            for role, slug in DEMO_USERS:
                user = await create_user(
                    session, email=demo_email(role), name=f"Demo {role.replace('_', ' ')}",
                    password=DEMO_PASSWORD, clock=clock,
                )  # fmt: skip
                await set_membership(
                    session, user_id=user.id,
                    property_id=properties[slug].id if slug else None, role=role, clock=clock,
                )  # fmt: skip
    finally:
        await db.dispose()
    return True


def login_instructions(base_url: str = "http://127.0.0.1:8000") -> str:
    users = ", ".join(demo_email(role) for role, _ in DEMO_USERS)
    query = (
        f'mutation {{ login(input: {{email: \\"{demo_email("owner")}\\", '
        f'password: \\"{DEMO_PASSWORD}\\"}}) {{ accessToken errors {{ message }} }} }}'
    )
    return "\n".join(
        [
            "demo data: properties 'demo-shop' (a shop) and 'demo-resort' (a resort)",
            f"demo users (password '{DEMO_PASSWORD}'): {users}",
            "sign in:",
            f"  curl -s {base_url}/graphql -H 'content-type: application/json' \\",
            f'    -d \'{{"query": "{query}"}}\'',
            "then send 'Authorization: Bearer <accessToken>' to "
            f"{base_url}/graphql/demo-shop or /graphql/demo-resort",
        ]
    )
