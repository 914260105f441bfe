"""Returns: lines requested back, received (restocked or written off), refunded.

An order's returned units never exceed its shipped units (a database CHECK
too); requested-but-not-received units count against what may be requested
again, so two open returns cannot claim the same unit.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import func, select

from core.errors import DomainError
from core.events import record_event
from plugins.oms_orders.models import Order, OrderLine, OrderReturn, ReturnLine
from plugins.oms_orders.service.common import (
    OrderContext,
    add_timeline,
    change_status,
    invalid_transition,
    lock_order,
)
from plugins.oms_orders.service.errors import (
    OrderErrorCode,
    invalid,
    not_found,
    positive_quantity,
)
from plugins.oms_orders.service.payments import payment_to_refund, record_refund
from plugins.oms_orders.service.snapshots import OrderSnapshot, ReturnSnapshot
from plugins.oms_orders.transitions import OrderStatus


class ReturnStatus(Enum):
    REQUESTED = "requested"
    RECEIVED = "received"
    CANCELED = "canceled"


RETURNABLE = (OrderStatus.FULFILLED.value, OrderStatus.PARTIALLY_RETURNED.value)


@dataclass(frozen=True)
class ReturnLineSpec:
    sku: str
    quantity: int


@dataclass(frozen=True)
class ReceivedLine:
    sku: str
    restock: bool


async def _order_lines(ctx: OrderContext, order: Order) -> dict[int, OrderLine]:
    rows = await ctx.session.scalars(
        select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
    )
    return {line.id: line for line in rows}


async def _open_requested(ctx: OrderContext, order: Order) -> dict[int, int]:
    """Units per order line on returns requested and not yet received."""
    rows = await ctx.session.execute(
        select(ReturnLine.order_line_id, func.sum(ReturnLine.quantity))
        .join(OrderReturn, OrderReturn.id == ReturnLine.return_id)
        .where(OrderReturn.order_id == order.id, OrderReturn.status == ReturnStatus.REQUESTED.value)
        .group_by(ReturnLine.order_line_id)
    )
    return {line_id: int(total) for line_id, total in rows}


async def request_return(
    ctx: OrderContext, order_id: int, lines: list[ReturnLineSpec], *, reason: str
) -> tuple[Order, OrderReturn]:
    if len(reason) > 500:
        raise invalid("a reason has at most 500 characters", ["reason"])
    if not lines:
        raise invalid("choose at least one line to return", ["lines"])
    order = await lock_order(ctx.session, order_id, field=["order"])
    if order.status not in RETURNABLE:
        raise invalid_transition(
            order, OrderStatus.PARTIALLY_RETURNED, "only fulfilled orders take returns"
        )
    order_lines = await _order_lines(ctx, order)
    open_units = await _open_requested(ctx, order)
    by_sku = {line.sku: line for line in order_lines.values()}
    wanted: dict[int, int] = {}
    for index, item in enumerate(lines):
        path = ["lines", str(index)]
        positive_quantity(item.quantity, [*path, "quantity"])
        line = by_sku.get(item.sku.strip())
        if line is None:
            raise not_found(f"{item.sku} on order {order.number}", [*path, "sku"])
        wanted[line.id] = wanted.get(line.id, 0) + item.quantity
        left = line.fulfilled_quantity - line.returned_quantity - open_units.get(line.id, 0)
        if wanted[line.id] > left:
            raise DomainError(
                OrderErrorCode.OVER_RETURN,
                f"{line.sku}: {wanted[line.id]} asked back, {left} shipped and not yet returned",
                field=[*path, "quantity"], sku=line.sku,
            )  # fmt: skip
    number = 1 + int(
        await ctx.session.scalar(
            select(func.count()).select_from(OrderReturn).where(OrderReturn.order_id == order.id)
        )
        or 0
    )
    order_return = OrderReturn(
        order_id=order.id, number=number, status=ReturnStatus.REQUESTED.value,
        reason=reason.strip(), location=None, refund_payment_id=None,
        requested_by=ctx.actor[:80], requested_at=ctx.clock.now(), received_at=None,
    )  # fmt: skip
    ctx.session.add(order_return)
    await ctx.session.flush()
    for line_id, quantity in wanted.items():
        ctx.session.add(
            ReturnLine(return_id=order_return.id, order_line_id=line_id, quantity=quantity)
        )
    described = ", ".join(f"{q} x {order_lines[i].sku}" for i, q in wanted.items())
    add_timeline(ctx, order, "return_requested", f"return {number}: {described}")
    await ctx.session.flush()
    return order, order_return


async def _locked_return(ctx: OrderContext, return_id: int) -> tuple[Order, OrderReturn]:
    order_return = await ctx.session.get(OrderReturn, return_id)
    if order_return is None:
        raise not_found("return", ["return"])
    order = await lock_order(ctx.session, order_return.order_id, field=["return"])
    await ctx.session.refresh(order_return)
    return order, order_return


def suggested_refund(order: Order, value_minor: int) -> int:
    """What returned goods worth ``value_minor`` at their line prices are owed back: their
    share of the discount taken off and, when prices exclude tax, the tax added on.
    Shipping is not refunded."""
    if order.subtotal_minor == 0:
        return 0
    after_discount = value_minor * (order.subtotal_minor - order.discount_minor)
    net = (2 * after_discount + order.subtotal_minor) // (2 * order.subtotal_minor)
    if order.prices_include_tax:
        return net
    return net + (net * order.tax_rate_basis_points + 5_000) // 10_000


async def receive_return(
    ctx: OrderContext,
    return_id: int,
    lines: list[ReceivedLine],
    *,
    location: str | None,
    refund_minor: int | None,
) -> tuple[Order, OrderReturn]:
    """Receive a requested return: each line restocked (back on hand at ``location``) or
    written off, the order partially returned or returned, and ``refund_minor`` (if
    given) refunded in the same transaction. Lines left out are restocked."""
    if refund_minor is not None and refund_minor < 0:
        raise invalid("a refund is a positive amount (or 0 for none)", ["refund"])
    order, order_return = await _locked_return(ctx, return_id)
    if order_return.status != ReturnStatus.REQUESTED.value:
        raise DomainError(
            OrderErrorCode.INVALID_TRANSITION,
            f"return {order_return.number} of order {order.number} is {order_return.status}",
            field=["return"],
        )  # fmt: skip
    return_lines = list(
        await ctx.session.scalars(
            select(ReturnLine)
            .where(ReturnLine.return_id == order_return.id)
            .order_by(ReturnLine.id)
        )
    )
    order_lines = await _order_lines(ctx, order)
    decisions = {order_lines[line.order_line_id].sku: True for line in return_lines}
    for index, item in enumerate(lines):
        if item.sku.strip() not in decisions:
            raise not_found(
                f"{item.sku} on return {order_return.number}", ["lines", str(index), "sku"]
            )
        decisions[item.sku.strip()] = item.restock
    if order.stock_allocated and location is None:
        raise invalid("say at which location the goods come back", ["location"])
    received: list[tuple[str, int, bool]] = []
    value = 0
    for line in return_lines:
        order_line = order_lines[line.order_line_id]
        restock = decisions[order_line.sku]
        line.restock = restock
        order_line.returned_quantity += line.quantity
        value += line.quantity * order_line.unit_price_minor
        if order.stock_allocated:
            await ctx.inventory(
                "oms_inventory_return", sku=order_line.sku, location=location,
                quantity=line.quantity, restock=restock, reference=f"order:{order.number}",
                actor=ctx.actor,
            )  # fmt: skip
        received.append((order_line.sku, line.quantity, restock))
    order_return.status = ReturnStatus.RECEIVED.value
    order_return.location = location
    order_return.received_at = ctx.clock.now()
    described = ", ".join(
        f"{q} x {s} ({'restocked' if r else 'written off'})" for s, q, r in received
    )
    add_timeline(ctx, order, "return_received", f"return {order_return.number}: {described}")
    everything_back = all(ln.returned_quantity == ln.quantity for ln in order_lines.values())
    await change_status(
        ctx, order, OrderStatus.RETURNED if everything_back else OrderStatus.PARTIALLY_RETURNED
    )
    await ctx.session.flush()
    if refund_minor:
        order, refund = await record_refund(
            ctx, order.id, amount_minor=refund_minor, method="original",
            payment_id=await payment_to_refund(ctx.session, order.id, refund_minor),
            note=f"return {order_return.number}",
        )  # fmt: skip
        order_return.refund_payment_id = refund.id
    snapshot = OrderSnapshot.of(order)
    returned = ReturnSnapshot.of(order_return, received)
    record_event(
        ctx.session, "oms_orders.order_returned",
        {**snapshot.payload(), "return_id": order_return.id, "return_number": order_return.number,
         "lines": [{"sku": s, "quantity": q, "restocked": r} for s, q, r in received],
         "suggested_refund_minor": suggested_refund(order, value)},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.announce("oms_orders_order_returned", order=snapshot, order_return=returned)
    await ctx.session.flush()
    return order, order_return


async def cancel_return(ctx: OrderContext, return_id: int) -> tuple[Order, OrderReturn]:
    """Withdraw a requested return (the customer kept the goods)."""
    order, order_return = await _locked_return(ctx, return_id)
    if order_return.status != ReturnStatus.REQUESTED.value:
        raise DomainError(
            OrderErrorCode.INVALID_TRANSITION,
            f"return {order_return.number} is {order_return.status}: only a requested return "
            "can be withdrawn", field=["return"],
        )  # fmt: skip
    order_return.status = ReturnStatus.CANCELED.value
    add_timeline(ctx, order, "return_canceled", f"return {order_return.number} withdrawn")
    await ctx.session.flush()
    return order, order_return
