"""Fixtures of the oms_orders tests; the Store helper lives in tests/support/orders_store.py."""

from __future__ import annotations

from typing import Any

import pytest
from orders_store import CATALOG, CREATE_PRODUCT, INVENTORY, ORDERS, RECEIVE, Store

from core.testing import ConciergeTestKit, TenantRef


@pytest.fixture
def make_store(concierge: ConciergeTestKit) -> Any:
    """Make a Store; with inventory it has SOAP (10 at 6.50), TOTE (5 at 24.00) and
    BEANS (2 at 12.90) at MAIN, in EUR."""

    async def make(
        slug: str = "acme-shop", *, inventory: bool = True, tenant: TenantRef | None = None
    ) -> Store:
        if tenant is None:
            tenant = await concierge.tenant(slug.split("-")[0])
        plugins = (INVENTORY, ORDERS) if inventory else (ORDERS,)
        prop = await concierge.property(tenant, slug, plugins=plugins)
        store = Store(concierge, tenant, prop, inventory)
        if inventory:
            for sku, price, quantity in CATALOG:
                result = await store.request(
                    CREATE_PRODUCT,
                    {"input": {"name": sku.title(), "variants": [{"sku": sku, "price": price}]}},
                )
                assert result.ok()["createProduct"]["errors"] == []
                result = await store.request(
                    RECEIVE, {"input": {"sku": sku, "location": "MAIN", "quantity": quantity}}
                )
                assert result.ok()["receiveStock"]["errors"] == []
        return store

    return make


@pytest.fixture
async def store(make_store: Any) -> Store:
    return await make_store()
