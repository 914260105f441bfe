"""Live orders: a storefront's order page and the back office follow an order's changes."""

from __future__ import annotations

from collections.abc import AsyncGenerator

import strawberry
from strawberry.types import Info

from core.graphql.permissions import requires
from core.graphql.subscriptions import changed_rows
from plugins.oms_orders import models
from plugins.oms_orders.graphql.types import Order

ORDER_EVENTS = (
    "oms_orders.order_placed", "oms_orders.order_status_changed", "oms_orders.payment_recorded",
    "oms_orders.refund_recorded", "oms_orders.order_fulfilled", "oms_orders.order_delivered",
    "oms_orders.order_returned",
)  # fmt: skip


@strawberry.type
class OrderSubscription:
    @strawberry.subscription(
        permission_classes=requires("orders:read"),
        description="Orders as they change: placed, paid, confirmed, shipped, delivered, "
        "returned, refunded, canceled. `number` follows one order.",
    )
    async def order_changed(
        self, info: Info, number: str | None = None
    ) -> AsyncGenerator[Order, None]:
        rows = changed_rows(info, ORDER_EVENTS, models.Order, "order_id", match={"number": number})
        async for row in rows:
            yield Order.from_row(row)
