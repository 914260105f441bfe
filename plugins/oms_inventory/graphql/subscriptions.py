"""Live stock: every change of a stock level, as a storefront's or a warehouse's screen
needs it."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from core.graphql.permissions import requires
from core.graphql.subscriptions import changed_rows
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
        rows = changed_rows(
            info, ("oms_inventory.stock_changed",), models.StockLevel, "level_id",
            match={"sku": sku},
        )  # fmt: skip
        async for row in rows:
            yield StockLevel.from_row(row)
