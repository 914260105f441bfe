"""The shop's sales by day and channel, in the property's time zone, aggregated in SQL."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import (
    Column,
    ColumnKind,
    Report,
    ReportRange,
    day_buckets,
    range_bounds,
    ratio,
    seconds_between,
)
from plugins.oms_orders.models import Fulfillment, Order, OrderLine
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


def _placed_in(period: ReportRange) -> list[Any]:
    starts, ends = range_bounds(period)
    return [Order.placed_at >= starts, Order.placed_at < ends, Order.status.not_in(NOT_SOLD)]


async def fulfilment_times(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    """Per local day of placement: orders shipped, and the average hours from placing an
    order to its first shipment."""
    days = day_buckets(period)
    first = (
        select(Fulfillment.order_id, func.min(Fulfillment.shipped_at).label("shipped_at"))
        .group_by(Fulfillment.order_id)
        .subquery()
    )
    waited = seconds_between(session, Order.placed_at, first.c.shipped_at)
    rows = await session.execute(
        select(days.c.day, func.count(Order.id), func.avg(waited))
        .select_from(days)
        .join(Order, and_(Order.placed_at >= days.c.starts_at, Order.placed_at < days.c.ends_at))
        .join(first, first.c.order_id == Order.id)
        .group_by(days.c.day)
        .order_by(days.c.day)
    )
    return [
        {"date": day, "shipped": int(count),
         "hoursToShip": Decimal(str(seconds)) / 3600 if seconds is not None else None}
        for day, count, seconds in rows
    ]  # fmt: skip


async def top_skus(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    """The 20 SKUs sold most (units) in orders placed in the period."""
    rows = await session.execute(
        select(
            OrderLine.sku, func.max(OrderLine.name), func.sum(OrderLine.quantity),
            func.sum(OrderLine.line_total_minor),
        )
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_placed_in(period))
        .group_by(OrderLine.sku)
        .order_by(func.sum(OrderLine.quantity).desc(), OrderLine.sku)
        .limit(20)
    )  # fmt: skip
    return [
        {"sku": sku, "name": name, "units": int(units), "revenue": int(revenue)}
        for sku, name, units, revenue in rows
    ]


async def returns_by_channel(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    """Per channel, for orders placed in the period: units sold and returned, the return
    rate (units)."""
    rows = await session.execute(
        select(Order.channel, func.sum(OrderLine.quantity), func.sum(OrderLine.returned_quantity))
        .join(Order, Order.id == OrderLine.order_id)
        .where(*_placed_in(period))
        .group_by(Order.channel)
        .order_by(Order.channel)
    )
    return [
        {"channel": channel, "unitsSold": int(sold), "unitsReturned": int(back),
         "returnRate": ratio(int(back), int(sold), 100)}
        for channel, sold, back in rows
    ]  # fmt: skip


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
    ),
    Report(
        name="oms_orders.fulfilment_times",
        title="Shop: time to ship",
        description="Per day of placement: orders shipped and the average hours from "
        "placing to the first shipment.",
        columns=(
            Column("date", "Day placed", ColumnKind.DATE),
            Column("shipped", "Orders shipped", ColumnKind.INT),
            Column("hoursToShip", "Average hours to ship", ColumnKind.DECIMAL),
        ),
        run=fulfilment_times,
    ),
    Report(
        name="oms_orders.top_skus",
        title="Shop: top SKUs",
        description="The 20 SKUs sold most, by units, in orders placed in the period.",
        columns=(
            Column("sku", "SKU", ColumnKind.TEXT),
            Column("name", "Name", ColumnKind.TEXT),
            Column("units", "Units", ColumnKind.INT),
            Column("revenue", "Revenue", ColumnKind.MONEY),
        ),
        run=top_skus,
    ),
    Report(
        name="oms_orders.returns",
        title="Shop: returns by channel",
        description="Units sold in orders placed in the period, units returned, the rate.",
        columns=(
            Column("channel", "Channel", ColumnKind.TEXT),
            Column("unitsSold", "Units sold", ColumnKind.INT),
            Column("unitsReturned", "Units returned", ColumnKind.INT),
            Column("returnRate", "Return rate %", ColumnKind.PERCENT),
        ),
        run=returns_by_channel,
    ),
]
