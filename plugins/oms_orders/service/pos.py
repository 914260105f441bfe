"""Orders from a till (pos_bridge, through the hooks in hookspecs.py): a retail sale
becomes an order on the POS channel, placed, paid and handed over in one go, in the
sale's transaction; a void takes the goods back (restocked) and refunds them.

The sale's reference is the order's idempotency key, so a till's retry finds its
order instead of selling twice.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from plugins.oms_orders.channels import Channel
from plugins.oms_orders.models import Fulfillment, Order, Payment
from plugins.oms_orders.service.common import OrderContext
from plugins.oms_orders.service.errors import OrderErrorCode, invalid
from plugins.oms_orders.service.fulfilment import Shipment, fulfill_order
from plugins.oms_orders.service.payments import (
    PaymentKind,
    payment_to_refund,
    record_payment,
    record_refund,
)
from plugins.oms_orders.service.placement import LineSpec, OrderSpec, place_order
from plugins.oms_orders.service.returns import (
    ReceivedLine,
    ReturnLineSpec,
    receive_return,
    request_return,
)

# Till sales have no customer e-mail: each outlet is one walk-in customer. ".invalid" is
# reserved (RFC 2606): nothing is ever sent there.
WALK_IN_DOMAIN = "pos.invalid"


@dataclass(frozen=True)
class PosOrder:
    order_id: int
    order_number: str
    subtotal_minor: int
    total_minor: int

    @classmethod
    def of(cls, order: Order) -> PosOrder:
        return cls(order.id, order.number, order.subtotal_minor, order.total_minor)

    def as_dict(self) -> dict[str, object]:
        return {
            "order_id": self.order_id, "order_number": self.order_number,
            "subtotal_minor": self.subtotal_minor, "total_minor": self.total_minor,
        }  # fmt: skip


async def place_pos_order(
    ctx: OrderContext,
    *,
    reference: str,
    outlet: str,
    lines: list[tuple[str, int, int]],
    payment_method: str,
    location: str | None,
    currency: str,
) -> PosOrder:
    """Place, pay and hand over an order of ``lines`` (sku, quantity, unit price) sold at
    ``outlet``. Refuses what placing an order refuses (INSUFFICIENT_STOCK, an unknown
    SKU, a price other than the catalog's: PRICE_CHANGED)."""
    specs = [LineSpec(sku=sku, quantity=qty, unit_price_minor=price) for sku, qty, price in lines]
    spec = OrderSpec(
        idempotency_key=reference, email=f"{_slug(outlet)}@{WALK_IN_DOMAIN}",
        customer_name=f"Walk-in at {outlet}"[:200], channel=Channel.POS,
        channel_reference=reference, confirm=True, lines=specs,
    )  # fmt: skip
    order, created = await place_order(ctx, spec, currency=currency)
    if not created:
        return PosOrder.of(order)
    if order.total_minor > 0:
        order, _ = await record_payment(
            ctx, order.id, amount_minor=order.total_minor, method=payment_method,
            reference=reference,
        )  # fmt: skip
    order, _ = await fulfill_order(
        ctx, order.id, None, Shipment(carrier="handed over at the till", location=location)
    )
    return PosOrder.of(order)


async def return_pos_order(
    ctx: OrderContext,
    *,
    reference: str,
    voids_reference: str,
    lines: list[tuple[str, int]],
    refund_minor: int,
    location: str | None,
) -> PosOrder:
    """Take ``lines`` (sku, quantity) of the till's order back, restocked at ``location``
    (where the order left from, when None), refunding ``refund_minor`` under the void's
    ``reference`` (its idempotency key: a retry refunds nothing twice)."""
    order = await ctx.session.scalar(select(Order).where(Order.idempotency_key == voids_reference))
    if order is None or order.channel != Channel.POS.value:
        raise DomainError(
            OrderErrorCode.NOT_FOUND, f"no till order for {voids_reference!r}", field=["voids"]
        )
    if location is None and order.stock_allocated:
        location = await ctx.session.scalar(
            select(Fulfillment.location)
            .where(Fulfillment.order_id == order.id)
            .order_by(Fulfillment.id)
            .limit(1)
        )
        location = (location or "").split(",")[0] or None
    if refund_minor < 0:
        raise invalid("a refund is a positive amount (or 0 for none)", ["refund"])
    order, order_return = await request_return(
        ctx, order.id, [ReturnLineSpec(sku=sku, quantity=qty) for sku, qty in lines],
        reason="voided at the till",
    )  # fmt: skip
    order, _ = await receive_return(
        ctx, order_return.id, [ReceivedLine(sku=sku, restock=True) for sku, _ in lines],
        location=location, refund_minor=None,
    )  # fmt: skip
    if refund_minor:
        order, _ = await record_refund(
            ctx, order.id, amount_minor=refund_minor, idempotency_key=reference,
            payment_id=await payment_to_refund(ctx.session, order.id, refund_minor),
            note=f"voided at the till ({reference})",
        )  # fmt: skip
    return PosOrder.of(order)


async def pos_amounts(session: AsyncSession, references: list[str]) -> dict[str, int]:
    """What the till's references amount to here: a sale's order subtotal, a void's
    refund (negative). References without an order or refund are left out."""
    if not references:
        return {}
    amounts: dict[str, int] = {}
    orders = await session.execute(
        select(Order.idempotency_key, Order.subtotal_minor).where(
            Order.idempotency_key.in_(references), Order.channel == Channel.POS.value
        )
    )
    for key, subtotal in orders:
        amounts[key] = int(subtotal)
    refunds = await session.execute(
        select(Payment.idempotency_key, Payment.amount_minor).where(
            Payment.idempotency_key.in_(references), Payment.kind == PaymentKind.REFUND.value
        )
    )
    for key, amount in refunds:
        amounts[key] = amounts.get(key, 0) - abs(int(amount))
    return amounts


def _slug(outlet: str) -> str:
    cleaned = "".join(c if c.isalnum() else "-" for c in outlet.strip().lower()).strip("-")
    return cleaned[:60] or "till"
