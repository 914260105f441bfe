"""Stock that needs attention now: levels out of stock or below their reorder minimum."""

from __future__ import annotations

from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import Column, ColumnKind, Report, ReportRange
from plugins.oms_inventory.models import Location, ReorderRule, StockLevel, Variant


async def low_stock(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    """Levels with nothing available, or less than their rule's minimum, as they are now
    (the period is not used: stock has no history to report here)."""
    available = StockLevel.on_hand - StockLevel.allocated - StockLevel.held
    rows = await session.execute(
        select(Variant.sku, Location.code, StockLevel.on_hand, available, ReorderRule.minimum)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Location, Location.id == StockLevel.location_id)
        .outerjoin(
            ReorderRule,
            and_(
                ReorderRule.variant_id == StockLevel.variant_id,
                ReorderRule.location_id == StockLevel.location_id,
            ),
        )
        .where(
            or_(available <= 0, and_(ReorderRule.id.is_not(None), available < ReorderRule.minimum))
        )
        .order_by(Variant.sku, Location.code)
    )
    return [
        {"sku": sku, "location": code, "onHand": int(on_hand), "available": int(free),
         "minimum": None if minimum is None else int(minimum)}
        for sku, code, on_hand, free, minimum in rows
    ]  # fmt: skip


REPORTS = [
    Report(
        name="oms_inventory.low_stock",
        title="Stock: low and out",
        description="Levels with nothing available or below their reorder minimum, now.",
        columns=(
            Column("sku", "SKU", ColumnKind.TEXT),
            Column("location", "Location", ColumnKind.TEXT),
            Column("onHand", "On hand", ColumnKind.INT),
            Column("available", "Available", ColumnKind.INT),
            Column("minimum", "Minimum", ColumnKind.INT),
        ),
        run=low_stock,
    )
]
