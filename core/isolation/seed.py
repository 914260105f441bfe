"""Two tenants with every installed plugin and demo data, ready for the suite."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from core.db import Scope
from core.demo import in_dependency_order
from core.isolation.report import IsolationReport
from core.isolation.run import DEFAULT_DEPTH, check_isolation
from core.plugins import call_hook
from core.tenancy import Property, property_scoped

if TYPE_CHECKING:
    from core.testing import ConciergeTestKit, PropertyRef, TenantRef


# ---------------------------------------------------------------------------
# Seeding two tenants
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class SeededTenant:
    tenant: TenantRef
    property: PropertyRef


CREATE_API_KEY = (
    "mutation IsolationSeedKey($input: CreateApiKeyInput!) {"
    " createApiKey(input: $input) { apiKey { id } errors { message } } }"
)


async def fill_demo_data(kit: ConciergeTestKit, prop: PropertyRef, enabled: Sequence[str]) -> None:
    """Call ``concierge_demo_data`` of the ``enabled`` plugins on ``prop``, as
    ``concierge demo`` does."""
    async with kit.db.transaction(Scope.tenant(prop.tenant_id)) as session:
        row = await session.get(Property, prop.id)
        assert row is not None
        async with property_scoped(session, row) as scoped:
            await call_hook(
                kit.runtime.host.relay(enabled).concierge_demo_data,
                session=scoped,
                property=row,
                clock=kit.clock,
                hooks=kit.runtime.host.relay(enabled),
            )


async def _create_api_key(kit: ConciergeTestKit, seeded: SeededTenant) -> None:
    variables = {
        "input": {"property": seeded.property.slug, "name": "isolation", "kind": "PUBLISHABLE"}
    }
    result = await kit.graphql(CREATE_API_KEY, variables, token=kit.token(seeded.tenant))
    payload = result.ok()["createApiKey"]
    if payload["errors"]:
        raise RuntimeError(f"createApiKey failed: {payload['errors']}")


async def seed_tenant(kit: ConciergeTestKit, slug: str) -> SeededTenant:
    """A tenant with a property running every installed plugin, filled with each
    plugin's demo data, an extra user and an API key."""
    host = kit.runtime.host
    plugins = in_dependency_order(host, tuple(sorted(host.names)))
    tenant = await kit.tenant(slug)
    prop = await kit.property(tenant, f"{slug}-property", plugins=plugins)
    await fill_demo_data(kit, prop, plugins)
    await kit.user(tenant, f"staff@{slug}.example", role="viewer", property=prop)
    seeded = SeededTenant(tenant, prop)
    await _create_api_key(kit, seeded)
    return seeded


async def seed_isolation_tenants(
    kit: ConciergeTestKit, slugs: tuple[str, str] = ("isolation-a", "isolation-b")
) -> tuple[SeededTenant, SeededTenant]:
    """Tenants A and B, seeded alike by :func:`seed_tenant`."""
    return await seed_tenant(kit, slugs[0]), await seed_tenant(kit, slugs[1])


async def run_isolation_suite(
    kit: ConciergeTestKit, *, max_depth: int = DEFAULT_DEPTH, shared_types: Iterable[str] = ()
) -> IsolationReport:
    """Seed tenants A and B (:func:`seed_isolation_tenants`), then :func:`check_isolation`
    between them."""
    a, b = await seed_isolation_tenants(kit)
    return await check_isolation(
        kit, a.tenant, a.property, b.tenant, b.property,
        max_depth=max_depth, shared_types=shared_types,
    )  # fmt: skip
