"""What must always hold in oms_orders' data (``concierge check``): an order's paid and
refunded amounts are its payments', and its subtotal is its lines'."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.invariants import CheckContext, Invariant
from plugins.oms_orders.models import Order, OrderLine, Payment


async def payments_match_orders(session: AsyncSession, context: CheckContext) -> list[str]:
    sums: dict[tuple[int, str], int] = {
        (order_id, kind): int(total)
        for order_id, kind, total in await session.execute(
            select(Payment.order_id, Payment.kind, func.sum(Payment.amount_minor)).group_by(
                Payment.order_id, Payment.kind
            )
        )
    }
    problems = []
    for number, order_id, paid, refunded in await session.execute(
        select(Order.number, Order.id, Order.paid_minor, Order.refunded_minor)
    ):
        ledger = (sums.get((order_id, "payment"), 0), sums.get((order_id, "refund"), 0))
        if (paid, refunded) != ledger:
            problems.append(
                f"order {number}: paid/refunded {(paid, refunded)}, its payments say {ledger}"
            )
    return problems


async def lines_make_the_subtotal(session: AsyncSession, context: CheckContext) -> list[str]:
    sums = dict(
        (
            await session.execute(
                select(OrderLine.order_id, func.sum(OrderLine.line_total_minor)).group_by(
                    OrderLine.order_id
                )
            )
        ).all()
    )
    return [
        f"order {number}: subtotal {subtotal}, its lines sum to {int(sums.get(order_id, 0))}"
        for number, order_id, subtotal in await session.execute(
            select(Order.number, Order.id, Order.subtotal_minor)
        )
        if subtotal != int(sums.get(order_id, 0))
    ]


INVARIANTS = [
    Invariant(
        "oms_orders.payments_match_orders",
        "each order's paid and refunded amounts are the sums of its payments and refunds",
        payments_match_orders,
    ),
    Invariant(
        "oms_orders.lines_make_the_subtotal",
        "each order's subtotal is the sum of its lines",
        lines_make_the_subtotal,
    ),
]
