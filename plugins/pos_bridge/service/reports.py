"""The outlets' takings: revenue by outlet and day, and what went to guests' rooms."""

from __future__ import annotations

from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import Column, ColumnKind, Report, ReportRange
from plugins.pos_bridge.models import Outlet, PosSale
from plugins.pos_bridge.service.sales import Settlement


async def revenue_by_outlet(session: AsyncSession, period: ReportRange) -> list[dict[str, Any]]:
    """Per business day and outlet: net sales (voids taken off), the part charged to
    rooms and the part paid at the outlet."""
    room = Settlement.ROOM_CHARGE.value
    rows = await session.execute(
        select(
            PosSale.business_date, Outlet.code, func.sum(PosSale.total_minor),
            func.sum(case((PosSale.settlement == room, PosSale.total_minor), else_=0)),
        )
        .join(Outlet, Outlet.id == PosSale.outlet_id)
        .where(PosSale.business_date >= period.start, PosSale.business_date <= period.end)
        .group_by(PosSale.business_date, Outlet.code)
        .order_by(PosSale.business_date, Outlet.code)
    )  # fmt: skip
    return [
        {"date": day, "outlet": code, "revenue": int(total), "chargedToRooms": int(rooms),
         "paidAtOutlet": int(total) - int(rooms)}
        for day, code, total, rooms in rows
    ]  # fmt: skip


REPORTS = [
    Report(
        name="pos_bridge.revenue_by_outlet",
        title="Outlets: revenue",
        description="Per day and outlet: net sales, charged to rooms, paid at the outlet.",
        columns=(
            Column("date", "Day", ColumnKind.DATE),
            Column("outlet", "Outlet", ColumnKind.TEXT),
            Column("revenue", "Revenue", ColumnKind.MONEY),
            Column("chargedToRooms", "Charged to rooms", ColumnKind.MONEY),
            Column("paidAtOutlet", "Paid at the outlet", ColumnKind.MONEY),
        ),
        run=revenue_by_outlet,
    )
]
