"""Public order tracking: an order found by its number and its customer's e-mail."""

from __future__ import annotations

import hmac
from collections import defaultdict

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.oms_orders.models import Fulfillment, FulfillmentLine, Order, OrderLine


async def find_for_tracking(
    session: AsyncSession, *, number: str, email: str
) -> tuple[Order, list[OrderLine], list[tuple[Fulfillment, list[FulfillmentLine]]]] | None:
    """The order, its lines and shipments; None unless number and e-mail both match (the
    answer never says which one was wrong, so it cannot be used to probe for either)."""
    number, email = number.strip(), email.strip().lower()
    if not number or not email or len(number) > 40 or len(email) > 320:
        return None
    order = await session.scalar(select(Order).where(Order.number == number))
    if order is None or not hmac.compare_digest(order.email.encode(), email.encode()):
        return None
    lines = list(
        await session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    )
    fulfillments = list(
        await session.scalars(
            select(Fulfillment).where(Fulfillment.order_id == order.id).order_by(Fulfillment.number)
        )
    )
    by_fulfillment: dict[int, list[FulfillmentLine]] = defaultdict(list)
    if fulfillments:
        for row in await session.scalars(
            select(FulfillmentLine).where(
                FulfillmentLine.fulfillment_id.in_([f.id for f in fulfillments])
            )
        ):
            by_fulfillment[row.fulfillment_id].append(row)
    return order, lines, [(f, by_fulfillment[f.id]) for f in fulfillments]
