"""Live stock: every change of a stock level, as a storefront's or a warehouse's screen
needs it."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from core.graphql.permissions import requires
from core.graphql.subscriptions import property_events
from plugins.oms_inventory import models
from plugins.oms_inventory.graphql.types import StockLevel


@strawberry.type
class InventorySubscription:
    @strawberry.subscription(
        permission_classes=requires("inventory:read"),
        description="Stock levels as they change (receipts, adjustments, allocations, "
        "shipments, returns, transfers, holds). `sku` follows one SKU.",
    )
    async def stock_changed(
        self, info: Info, sku: str | None = None
    ) -> AsyncGenerator[StockLevel, None]:
        async for event in property_events(info, ("oms_inventory.stock_changed",)):
            if sku is not None and event.payload.get("sku") != sku:
                continue
            async with info.context.db() as session:
                row = await session.get(models.StockLevel, event.payload["level_id"])
            if row is not None:
                yield StockLevel.from_row(row)
