"""Fulfilments: some of an order's units shipped from a location, with carrier and
tracking, later delivered. With oms_inventory the ledger records each shipment."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from sqlalchemy import func, select

from core.errors import DomainError
from core.events import record_event
from plugins.oms_orders.models import Fulfillment, FulfillmentLine, Order, OrderLine
from plugins.oms_orders.service.common import (
    OrderContext,
    add_timeline,
    change_status,
    invalid_transition,
    lock_order,
    stock_reference,
)
from plugins.oms_orders.service.errors import (
    OrderErrorCode,
    invalid,
    not_found,
    positive_quantity,
)
from plugins.oms_orders.service.snapshots import FulfillmentSnapshot, OrderSnapshot
from plugins.oms_orders.transitions import OrderStatus


class FulfillmentStatus(Enum):
    SHIPPED = "shipped"
    DELIVERED = "delivered"


@dataclass(frozen=True)
class FulfillLine:
    sku: str  # an order has each SKU on one line only
    quantity: int


@dataclass(frozen=True)
class Shipment:
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""
    location: str | None = None


FULFILLABLE = (OrderStatus.CONFIRMED.value, OrderStatus.PARTIALLY_FULFILLED.value)


def _shipment_fields(shipment: Shipment) -> Shipment:
    for name, limit in (("carrier", 80), ("tracking_number", 120), ("tracking_url", 500)):
        if len(getattr(shipment, name)) > limit:
            raise invalid(f"{name} has at most {limit} characters", [name])
    url = shipment.tracking_url.strip()
    if url and not url.startswith(("https://", "http://")):
        raise invalid("a tracking URL starts with https://", ["trackingUrl"])
    location = shipment.location.strip() if shipment.location else None
    return Shipment(shipment.carrier.strip(), shipment.tracking_number.strip(), url, location)


async def fulfill_order(
    ctx: OrderContext, order_id: int, lines: list[FulfillLine] | None, shipment: Shipment
) -> tuple[Order, Fulfillment]:
    """Ship ``lines`` (all that is left when None) of a confirmed order.

    Refuses more than is left to ship on any line (OVER_FULFILMENT) and, with
    oms_inventory, more than is allocated at ``shipment.location``; nothing is
    written then.
    """
    shipment = _shipment_fields(shipment)
    order = await lock_order(ctx.session, order_id, field=["order"])
    if order.status not in FULFILLABLE:
        raise invalid_transition(order, OrderStatus.FULFILLED, "only confirmed orders ship")
    order_lines = {
        line.id: line
        for line in await ctx.session.scalars(
            select(OrderLine).where(OrderLine.order_id == order.id).order_by(OrderLine.position)
        )
    }
    wanted: dict[int, int] = {}
    input_index: dict[int, int] = {}  # line id -> where the request named it last
    if lines is None:
        wanted = {i: ln.quantity - ln.fulfilled_quantity for i, ln in order_lines.items()}
        wanted = {i: q for i, q in wanted.items() if q > 0}
    else:
        if not lines:
            raise invalid("choose at least one line to ship", ["lines"])
        by_sku = {line.sku: line for line in order_lines.values()}
        for index, item in enumerate(lines):
            path = ["lines", str(index)]
            positive_quantity(item.quantity, [*path, "quantity"])
            line = by_sku.get(item.sku.strip())
            if line is None:
                raise not_found(f"{item.sku} on order {order.number}", [*path, "sku"])
            wanted[line.id] = wanted.get(line.id, 0) + item.quantity
            input_index[line.id] = index
    for line_id, quantity in wanted.items():
        line = order_lines[line_id]
        left = line.quantity - line.fulfilled_quantity
        if quantity > left:
            raise DomainError(
                OrderErrorCode.OVER_FULFILMENT,
                f"{line.sku}: {quantity} asked to ship, {left} left to ship",
                field=["lines", str(input_index.get(line_id, 0)), "quantity"], sku=line.sku,
            )  # fmt: skip
    if not wanted:
        raise invalid(f"everything on order {order.number} has shipped", ["lines"])
    location = shipment.location
    if order.stock_allocated:
        shipped_from = await ctx.inventory(
            "oms_inventory_ship", reference=stock_reference(order),
            lines=[(order_lines[i].sku, q) for i, q in wanted.items()],
            location=shipment.location, actor=ctx.actor,
        )  # fmt: skip
        # Where the ledger says the units left from, when the caller did not say.
        codes = sorted({part["location"] for part in shipped_from or []})
        location = location or (", ".join(codes)[:200] or None)
    number = 1 + int(
        await ctx.session.scalar(
            select(func.count()).select_from(Fulfillment).where(Fulfillment.order_id == order.id)
        )
        or 0
    )
    fulfillment = Fulfillment(
        order_id=order.id, number=number, status=FulfillmentStatus.SHIPPED.value,
        location=location, carrier=shipment.carrier,
        tracking_number=shipment.tracking_number, tracking_url=shipment.tracking_url,
        created_by=ctx.actor[:80], shipped_at=ctx.clock.now(), delivered_at=None,
    )  # fmt: skip
    ctx.session.add(fulfillment)
    await ctx.session.flush()
    for line_id, quantity in wanted.items():
        ctx.session.add(
            FulfillmentLine(fulfillment_id=fulfillment.id, order_line_id=line_id, quantity=quantity)
        )
        order_lines[line_id].fulfilled_quantity += quantity
    described = ", ".join(f"{q} x {order_lines[i].sku}" for i, q in wanted.items())
    via = f" via {shipment.carrier}" if shipment.carrier else ""
    add_timeline(ctx, order, "fulfilled", f"shipment {number}: {described}{via}")
    complete = all(ln.fulfilled_quantity == ln.quantity for ln in order_lines.values())
    await change_status(
        ctx, order, OrderStatus.FULFILLED if complete else OrderStatus.PARTIALLY_FULFILLED
    )
    await ctx.session.flush()
    snapshot = OrderSnapshot.of(order)
    shipped = FulfillmentSnapshot.of(
        fulfillment, [(order_lines[i].sku, q) for i, q in wanted.items()]
    )
    record_event(
        ctx.session, "oms_orders.order_fulfilled",
        {**snapshot.payload(), "fulfillment_id": fulfillment.id, "fulfillment_number": number,
         "carrier": shipment.carrier, "tracking_number": shipment.tracking_number,
         "lines": [{"sku": s, "quantity": q} for s, q in shipped.lines]},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.announce("oms_orders_order_fulfilled", order=snapshot, fulfillment=shipped)
    return order, fulfillment


async def _locked_fulfillment(ctx: OrderContext, fulfillment_id: int) -> tuple[Order, Fulfillment]:
    fulfillment = await ctx.session.get(Fulfillment, fulfillment_id)
    if fulfillment is None:
        raise not_found("fulfilment", ["fulfillment"])
    order = await lock_order(ctx.session, fulfillment.order_id, field=["fulfillment"])
    await ctx.session.refresh(fulfillment)
    return order, fulfillment


async def mark_delivered(ctx: OrderContext, fulfillment_id: int) -> tuple[Order, Fulfillment]:
    order, fulfillment = await _locked_fulfillment(ctx, fulfillment_id)
    if fulfillment.status == FulfillmentStatus.DELIVERED.value:
        return order, fulfillment  # the carrier's webhook said it twice
    fulfillment.status = FulfillmentStatus.DELIVERED.value
    fulfillment.delivered_at = ctx.clock.now()
    add_timeline(ctx, order, "delivered", f"shipment {fulfillment.number} delivered")
    record_event(
        ctx.session, "oms_orders.order_delivered",
        {**OrderSnapshot.of(order).payload(), "fulfillment_id": fulfillment.id,
         "fulfillment_number": fulfillment.number},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.session.flush()
    return order, fulfillment


async def update_tracking(
    ctx: OrderContext, fulfillment_id: int, shipment: Shipment
) -> tuple[Order, Fulfillment]:
    """Correct a fulfilment's carrier and tracking (the location cannot change: it shipped)."""
    shipment = _shipment_fields(shipment)
    order, fulfillment = await _locked_fulfillment(ctx, fulfillment_id)
    fulfillment.carrier = shipment.carrier
    fulfillment.tracking_number = shipment.tracking_number
    fulfillment.tracking_url = shipment.tracking_url
    add_timeline(
        ctx, order, "tracking_updated",
        f"shipment {fulfillment.number}: {shipment.carrier} {shipment.tracking_number}".strip(),
    )  # fmt: skip
    await ctx.session.flush()
    return order, fulfillment
