"""What must always hold in pos_bridge's data (``concierge check``): every outlet's day
reconciles: what it charged to rooms is on the folios, what it sold from stock is in
the orders (service/summary.py, the report a night manager reads)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.invariants import CheckContext, Invariant
from plugins.pos_bridge.models import PosSale
from plugins.pos_bridge.service.common import PosContext
from plugins.pos_bridge.service.summary import daily_summary


async def days_reconcile(session: AsyncSession, context: CheckContext) -> list[str]:
    pos = PosContext(
        session=session, hooks=context.hooks, clock=context.clock, actor="check",
        plugins=context.plugins, currency=context.property.currency,
        time_zone=context.property.time_zone,
    )  # fmt: skip
    problems = []
    days = await session.scalars(select(PosSale.business_date).distinct())
    for day in sorted(days):
        for entry in await daily_summary(pos, day):
            if entry.reconciled:
                continue
            problems.append(
                f"outlet {entry.outlet.code} on {day}: charged to rooms "
                f"{entry.charged_to_rooms_minor}, on the folios {entry.folio_posted_minor}; "
                f"sold from stock {entry.retail_minor}, in the orders {entry.orders_minor}"
            )
    return problems


INVARIANTS = [
    Invariant(
        "pos_bridge.days_reconcile",
        "each outlet's day: room charges equal the folio postings, retail equals the orders",
        days_reconcile,
    )
]
