"""Confirming, canceling and expiring orders, notes, and the per-property settings."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.events import record_event
from plugins.oms_orders.models import Order, OrderLine, OrderSettings
from plugins.oms_orders.service.common import (
    OrderContext,
    add_timeline,
    change_status,
    invalid_transition,
    lock_order,
    settings_for,
    stock_reference,
)
from plugins.oms_orders.service.errors import invalid
from plugins.oms_orders.service.snapshots import OrderSnapshot
from plugins.oms_orders.transitions import OrderStatus, PaymentStatus

EXPIRY_BATCH = 200


async def confirm_order(ctx: OrderContext, order_id: int) -> Order:
    """Accept an unconfirmed order (staff checked it, or it was paid): it no longer expires."""
    order = await lock_order(ctx.session, order_id, field=["order"])
    await change_status(ctx, order, OrderStatus.CONFIRMED)
    return order


async def _release_stock(ctx: OrderContext, order: Order) -> None:
    if order.stock_allocated:
        await ctx.inventory(
            "oms_inventory_release", reference=stock_reference(order), actor=ctx.actor
        )


async def cancel_order(ctx: OrderContext, order_id: int, *, reason: str) -> Order:
    """Cancel an order nothing of which has shipped, and give its stock back.

    Shipped lines cannot be canceled: an order with any shipped unit is refused
    (INVALID_TRANSITION); what comes back is a return. Money already paid stays
    recorded: refunding it is its own step (refundOrder), with its own permission.
    """
    if len(reason) > 500:
        raise invalid("a reason has at most 500 characters", ["reason"])
    order = await lock_order(ctx.session, order_id, field=["order"])
    shipped = await ctx.session.scalar(
        select(OrderLine.id).where(OrderLine.order_id == order.id, OrderLine.fulfilled_quantity > 0)
    )
    if shipped is not None:
        raise invalid_transition(order, OrderStatus.CANCELED, "some lines have shipped")
    await change_status(ctx, order, OrderStatus.CANCELED, reason.strip())
    await _release_stock(ctx, order)
    snapshot = OrderSnapshot.of(order)
    record_event(
        ctx.session, "oms_orders.order_canceled", {**snapshot.payload(), "reason": reason.strip()},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.announce(
        "oms_orders_order_canceled", order=snapshot, reason=reason.strip(), actor=ctx.actor
    )
    return order


async def expire_unpaid_orders(ctx: OrderContext) -> int:
    """Expire unconfirmed, unpaid orders past their deadline in the session's property and
    release their stock; returns how many. Idempotent: each order is re-read under its
    lock, so a payment or a confirmation that just committed wins over the job."""
    due = (
        await ctx.session.scalars(
            select(Order.id)
            .where(
                Order.status == OrderStatus.UNCONFIRMED.value,
                Order.expires_at <= ctx.clock.now(),
            )
            .order_by(Order.expires_at, Order.id)
            .limit(EXPIRY_BATCH)
        )
    ).all()
    expired = 0
    for order_id in due:
        order = await lock_order(ctx.session, order_id, field=["order"])
        if (
            order.status != OrderStatus.UNCONFIRMED.value
            or order.payment_status != PaymentStatus.NOT_PAID.value
            or order.expires_at is None
            or order.expires_at > ctx.clock.now()
        ):
            continue
        await change_status(ctx, order, OrderStatus.EXPIRED, "unpaid past its deadline")
        await _release_stock(ctx, order)
        expired += 1
    return expired


async def add_note(ctx: OrderContext, order_id: int, *, text: str) -> Order:
    text = text.strip()
    if not text or len(text) > 2000:
        raise invalid("a note has 1 to 2000 characters", ["text"])
    order = await lock_order(ctx.session, order_id, field=["order"])
    add_timeline(ctx, order, "note", text)
    await ctx.session.flush()
    return order


async def update_settings(
    session: AsyncSession,
    *,
    tax_rate_basis_points: int | None,
    prices_include_tax: bool | None,
    unpaid_expiry_minutes: int | None,
    number_prefix: str | None,
) -> OrderSettings:
    """Change how new orders are numbered, taxed and expired (placed orders keep theirs)."""
    settings = await settings_for(session, for_update=True)
    if tax_rate_basis_points is not None:
        if not 0 <= tax_rate_basis_points <= 10_000:
            raise invalid("the tax rate is 0 to 10000 basis points (0 to 100 %)", ["taxRate"])
        settings.tax_rate_basis_points = tax_rate_basis_points
    if prices_include_tax is not None:
        settings.prices_include_tax = prices_include_tax
    if unpaid_expiry_minutes is not None:
        if not 0 <= unpaid_expiry_minutes <= 60 * 24 * 30:
            raise invalid(
                "unpaid orders expire after 0 (never) to 43200 minutes", ["unpaidExpiryMinutes"]
            )
        settings.unpaid_expiry_minutes = unpaid_expiry_minutes
    if number_prefix is not None:
        prefix = number_prefix.strip()
        if len(prefix) > 12 or not all(c.isalnum() or c in "-_#" for c in prefix):
            raise invalid("a prefix has at most 12 letters, digits, - _ or #", ["numberPrefix"])
        if prefix[-1:].isdigit():
            # "A1" + 1002 and "A" + 11002 would both read A11002.
            raise invalid("a prefix must not end in a digit (try A- or A#)", ["numberPrefix"])
        settings.number_prefix = prefix
    await session.flush()
    return settings
