"""The shop's sales by day and channel, in the property's time zone, aggregated in SQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import Column, ColumnKind, Report, ReportRange, day_buckets
from plugins.oms_orders.models import Order
from plugins.oms_orders.transitions import OrderStatus

# Orders that never became a sale.
NOT_SOLD = [OrderStatus.CANCELED.value, OrderStatus.EXPIRED.value]


async def sales_by_day(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    """Per local day and channel: orders placed (not canceled or expired) and their
    revenue (order totals: goods, shipping and tax, less discounts)."""
    days = day_buckets(period)
    rows = await session.execute(
        select(days.c.day, Order.channel, func.count(Order.id), func.sum(Order.total_minor))
        .select_from(days)
        .join(Order, and_(Order.placed_at >= days.c.starts_at, Order.placed_at < days.c.ends_at))
        .where(Order.status.not_in(NOT_SOLD))
        .group_by(days.c.day, Order.channel)
        .order_by(days.c.day, Order.channel)
    )
    return [
        {"date": day, "channel": channel, "orders": int(count), "revenue": int(total or 0)}
        for day, channel, count, total in rows
    ]


REPORTS = [
    Report(
        name="oms_orders.sales_by_day",
        title="Shop: sales by day and channel",
        description="Orders placed each day (the property's time zone) per channel, and "
        "their revenue; canceled and expired orders left out.",
        columns=(
            Column("date", "Day", ColumnKind.DATE),
            Column("channel", "Channel", ColumnKind.TEXT),
            Column("orders", "Orders", ColumnKind.INT),
            Column("revenue", "Revenue", ColumnKind.MONEY),
        ),
        run=sales_by_day,
    )
]
