"""Properties and their plugins: requires checked, defaults seeded, data kept on disable."""

from __future__ import annotations

import pytest
from notes_plugin import hooks as notes_hooks
from sqlalchemy import func, select

from core.db import Scope
from core.errors import CoreErrorCode, DomainError
from core.tenancy import PropertyPlugin, create_property, enabled_plugins
from core.testing import ConciergeTestKit


async def test_enabling_checks_requires(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    hotel = await concierge.property(tenant, "acme-hotel")
    with pytest.raises(DomainError) as raised:
        await concierge.enable(hotel, "pms_housekeeping")
    assert raised.value.code is CoreErrorCode.PLUGIN_REQUIRED
    assert "'pms_rooms'" in raised.value.message
    async with concierge.transaction(tenant) as session:
        assert await enabled_plugins(session, hotel.id) == frozenset()

    await concierge.enable(hotel, "pms_rooms")
    await concierge.enable(hotel, "pms_housekeeping")
    async with concierge.transaction(tenant) as session:
        assert await enabled_plugins(session, hotel.id) == {"pms_rooms", "pms_housekeeping"}


async def test_disabling_a_plugin_another_needs_is_refused(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    hotel = await concierge.property(
        tenant, "acme-hotel", plugins=["pms_rooms", "pms_housekeeping"]
    )
    with pytest.raises(DomainError, match="required by 'pms_housekeeping'"):
        await concierge.disable(hotel, "pms_rooms")


async def test_enabling_seeds_once_and_disabling_keeps_data(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    assert notes_hooks.ENABLED_ON == [shop.id]

    await concierge.disable(shop, "test_notes")
    assert notes_hooks.DISABLED_ON == [shop.id]
    await concierge.enable(shop, "test_notes")
    assert notes_hooks.ENABLED_ON == [shop.id, shop.id]

    from notes_plugin.models import NoteRow

    async with concierge.transaction(shop) as session:
        assert await session.scalar(select(func.count()).select_from(NoteRow)) == 1
        rows = await session.scalar(
            select(func.count())
            .select_from(PropertyPlugin)
            .where(PropertyPlugin.property_id == shop.id)
        )
    assert rows == 1  # one row per plugin, flipped, not duplicated


async def test_enable_hook_only_reaches_the_plugin_being_enabled(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    await concierge.enable(shop, "oms_orders")
    assert notes_hooks.ENABLED_ON == [shop.id]


async def test_unknown_plugin_cannot_be_enabled(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop")
    with pytest.raises(DomainError, match="not installed"):
        await concierge.enable(shop, "no_such_plugin")


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"slug": "Bad Slug"}, "slug"),
        ({"slug": "ok-slug", "time_zone": "Mars/Olympus"}, "timeZone"),
        ({"slug": "ok-slug", "currency": "euro"}, "currency"),
    ],
)
async def test_bad_property_input_is_refused_and_nothing_is_written(
    concierge: ConciergeTestKit, fields: dict, field: str
) -> None:
    tenant = await concierge.tenant("acme")
    with pytest.raises(DomainError) as raised:
        async with concierge.transaction(tenant) as session:
            await create_property(
                session, tenant_id=tenant.id, name="X", clock=concierge.clock, **fields
            )
    assert raised.value.field == [field]
    from core.tenancy import Property

    async with concierge.db.session(Scope.system()) as session:
        assert await session.scalar(select(func.count()).select_from(Property)) == 0


async def test_property_slugs_are_unique_across_tenants(concierge: ConciergeTestKit) -> None:
    acme = await concierge.tenant("acme")
    globex = await concierge.tenant("globex")
    await concierge.property(acme, "harbour-view")
    with pytest.raises(DomainError) as raised:
        await concierge.property(globex, "harbour-view")
    assert raised.value.code is CoreErrorCode.CONFLICT
