"""An outlet's day: its sales and voids, how they were settled, and whether the folios
and the orders agree.

The POS side comes from our own rows. The other side is asked of the plugins
that hold it, by the sales' references: pms_rooms sums the folio lines posted
under them (``pms_rooms_postings``), oms_orders the orders' subtotals and the
voids' refunds (``oms_orders_pos_amounts``). A day reconciles when both
agree with what the outlet says it charged to rooms and sold from stock.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from plugins.pos_bridge.models import Outlet, PosSale
from plugins.pos_bridge.service.common import PosContext
from plugins.pos_bridge.service.sales import Settlement, reference


@dataclass
class OutletDay:
    outlet: Outlet
    business_date: dt.date
    sales: int = 0
    voids: int = 0
    gross_minor: int = 0  # the sales
    voided_minor: int = 0  # the voids, negative
    paid_at_outlet_minor: int = 0  # net
    paid_by_method: dict[str, int] = field(default_factory=dict)
    charged_to_rooms_minor: int = 0  # net
    retail_minor: int = 0  # net
    # What the other side holds for the same references; None without that plugin.
    folio_posted_minor: int | None = None
    orders_minor: int | None = None

    @property
    def net_minor(self) -> int:
        return self.gross_minor + self.voided_minor

    @property
    def reconciled(self) -> bool:
        rooms = self.folio_posted_minor in (None, self.charged_to_rooms_minor)
        retail = self.orders_minor in (None, self.retail_minor)
        return rooms and retail


async def daily_summary(
    ctx: PosContext, day: dt.date, outlet: Outlet | None = None
) -> list[OutletDay]:
    """One entry per active outlet (or just ``outlet``), by code."""
    statement = select(Outlet).order_by(Outlet.code)
    statement = (
        statement.where(Outlet.id == outlet.id)
        if outlet
        else statement.where(Outlet.active.is_(True))
    )
    outlets = list(await ctx.session.scalars(statement))
    days = {o.id: OutletDay(o, day) for o in outlets}
    sales = await ctx.session.scalars(
        select(PosSale)
        .where(PosSale.business_date == day, PosSale.outlet_id.in_(list(days)))
        .order_by(PosSale.id)
    )
    room_refs: dict[int, list[str]] = {o.id: [] for o in outlets}
    retail_refs: dict[int, list[str]] = {o.id: [] for o in outlets}
    for sale in sales:
        entry = days[sale.outlet_id]
        if sale.kind == "sale":
            entry.sales += 1
            entry.gross_minor += sale.total_minor
        else:
            entry.voids += 1
            entry.voided_minor += sale.total_minor
        ref = reference(entry.outlet, sale.external_id)
        if sale.settlement == Settlement.ROOM_CHARGE.value:
            entry.charged_to_rooms_minor += sale.total_minor
            room_refs[sale.outlet_id].append(ref)
        else:
            entry.paid_at_outlet_minor += sale.total_minor
            method = sale.payment_method or "other"
            entry.paid_by_method[method] = entry.paid_by_method.get(method, 0) + sale.total_minor
        if sale.retail_minor:
            entry.retail_minor += sale.retail_minor
            retail_refs[sale.outlet_id].append(ref)
    if ctx.charges_rooms:
        posted: Any = await ctx.call(
            "pms_rooms_postings", references=[r for refs in room_refs.values() for r in refs]
        )
        for outlet_id, refs in room_refs.items():
            days[outlet_id].folio_posted_minor = sum((posted or {}).get(r, 0) for r in refs)
    if ctx.sells_retail:
        amounts: Any = await ctx.call(
            "oms_orders_pos_amounts", references=[r for refs in retail_refs.values() for r in refs]
        )
        for outlet_id, refs in retail_refs.items():
            days[outlet_id].orders_minor = sum((amounts or {}).get(r, 0) for r in refs)
    return [days[o.id] for o in outlets]
