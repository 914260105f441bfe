"""Payments and refunds: recorded by hand, or reported by a payment plugin (gateway).

The order's paid and refunded amounts change only here, under the order's
row lock, and the database refuses refunded > paid whatever happens. An
idempotency key (by hand) or a gateway's own reference (reported) makes a
retry record nothing twice.
"""

from __future__ import annotations

from enum import Enum
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import advisory_xact_lock, session_scope
from core.errors import DomainError
from core.events import record_event
from core.plugins import call_hook
from plugins.oms_orders.models import Order, Payment
from plugins.oms_orders.service.common import (
    OrderContext,
    add_timeline,
    change_status,
    lock_order,
    refresh_payment_status,
)
from plugins.oms_orders.service.errors import OrderErrorCode, invalid, not_found
from plugins.oms_orders.service.snapshots import OrderSnapshot, PaymentSnapshot
from plugins.oms_orders.transitions import OrderStatus, PaymentStatus

MAX_KEY_LENGTH = 120


class PaymentKind(Enum):
    PAYMENT = "payment"
    REFUND = "refund"


def _check(amount_minor: int, method: str, note: str, key: str | None) -> None:
    if amount_minor <= 0:
        raise invalid("the amount must be positive", ["amount"])
    if not method.strip() or len(method) > 40:
        raise invalid(
            "a method has 1 to 40 characters (card, cash, bank_transfer, ...)", ["method"]
        )
    if len(note) > 500:
        raise invalid("a note has at most 500 characters", ["note"])
    if key is not None and (not key.strip() or len(key) > MAX_KEY_LENGTH):
        raise invalid(
            f"an idempotency key has 1 to {MAX_KEY_LENGTH} characters", ["idempotencyKey"]
        )


async def _repeat(
    ctx: OrderContext,
    *,
    order_id: int,
    kind: PaymentKind,
    amount_minor: int,
    key: str | None,
    gateway: str | None,
    reference: str | None,
) -> Payment | None:
    """The payment a retry repeats, if this is one; a key or a gateway reference reused
    for another payment is refused. Both are unique per property, each checked on its own.

    Under advisory locks on them (PostgreSQL): the same key or reference sent for
    two orders at once is checked by one request after the other commits."""
    prefix = f"oms_orders.payment:{session_scope(ctx.session).property_id}"
    lookups: list[tuple[str, Any, str]] = []  # (input field, condition, lock name)
    if key is not None:
        lookups.append(("idempotencyKey", Payment.idempotency_key == key, f"{prefix}:key:{key}"))
    if gateway is not None and reference is not None:
        lookups.append((
            "reference", (Payment.gateway == gateway) & (Payment.reference == reference),
            f"{prefix}:ref:{gateway}:{reference}",
        ))  # fmt: skip
    # Always in one order, so two requests holding one lock each never wait on each other.
    for lock in sorted(lock for _, _, lock in lookups):
        await advisory_xact_lock(ctx.session, lock)
    found: Payment | None = None
    for field, condition, _ in lookups:
        match = await ctx.session.scalar(select(Payment).where(condition))
        if match is None:
            continue
        if (match.order_id, match.kind, match.amount_minor) != (order_id, kind.value, amount_minor):
            raise DomainError(
                OrderErrorCode.IDEMPOTENCY_KEY_REUSED,
                "this idempotency key (or gateway reference) was used for another payment",
                field=[field],
            )
        found = found or match
    return found


async def record_payment(
    ctx: OrderContext,
    order_id: int,
    *,
    amount_minor: int,
    method: str,
    gateway: str | None = None,
    reference: str | None = None,
    idempotency_key: str | None = None,
    note: str = "",
) -> tuple[Order, Payment]:
    """Record money received for an order (the service API payment plugins call).

    Refuses more than the order still owes (OVERPAYMENT). Paid in full, an
    unconfirmed order is confirmed and no longer expires.
    """
    _check(amount_minor, method, note, idempotency_key)
    order = await lock_order(ctx.session, order_id, field=["order"])
    repeat = await _repeat(
        ctx, order_id=order.id, kind=PaymentKind.PAYMENT, amount_minor=amount_minor,
        key=idempotency_key, gateway=gateway, reference=reference,
    )  # fmt: skip
    if repeat is not None:
        return order, repeat
    if order.status in (OrderStatus.CANCELED.value, OrderStatus.EXPIRED.value):
        raise DomainError(
            OrderErrorCode.INVALID_TRANSITION,
            f"order {order.number} is {order.status}: it takes no payments", field=["order"],
        )  # fmt: skip
    if order.refunded_minor > 0:
        raise DomainError(
            OrderErrorCode.INVALID_TRANSITION,
            f"order {order.number} has refunds: record no new payments on it", field=["order"],
        )  # fmt: skip
    owed = order.total_minor - order.paid_minor
    if amount_minor > owed:
        raise DomainError(
            OrderErrorCode.OVERPAYMENT, f"order {order.number} owes {owed} (minor units), "
            f"{amount_minor} offered", field=["amount"], outstanding_minor=owed,
        )  # fmt: skip
    payment = Payment(
        order_id=order.id, kind=PaymentKind.PAYMENT.value, amount_minor=amount_minor,
        currency=order.currency, method=method.strip(), gateway=gateway, reference=reference,
        idempotency_key=idempotency_key, refunded_payment_id=None, note=note.strip(),
        actor=ctx.actor[:80], created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(payment)
    order.paid_minor += amount_minor
    order.expires_at = None  # money came in: a person decides what happens now
    status = refresh_payment_status(order)
    via = f" via {gateway}" if gateway else ""
    add_timeline(ctx, order, "payment", f"{amount_minor} {order.currency} by {method}{via}")
    await ctx.session.flush()
    record_event(
        ctx.session, "oms_orders.payment_recorded",
        {**OrderSnapshot.of(order).payload(), "payment_id": payment.id,
         "amount_minor": amount_minor, "method": payment.method, "gateway": gateway},
        clock=ctx.clock,
    )  # fmt: skip
    if status is PaymentStatus.PAID and order.status == OrderStatus.UNCONFIRMED.value:
        await change_status(ctx, order, OrderStatus.CONFIRMED, "paid in full")
    return order, payment


async def payment_to_refund(session: AsyncSession, order_id: int, amount_minor: int) -> int | None:
    """The payment a refund of ``amount_minor`` goes back on: the latest one with that
    much left to refund (through its gateway, if it had one); None when no single
    payment covers it (the refund is then recorded by hand)."""
    rows = list(
        await session.scalars(
            select(Payment).where(Payment.order_id == order_id).order_by(Payment.id.desc())
        )
    )
    refunded: dict[int, int] = {}
    for row in rows:
        if row.kind == PaymentKind.REFUND.value and row.refunded_payment_id is not None:
            refunded[row.refunded_payment_id] = (
                refunded.get(row.refunded_payment_id, 0) + row.amount_minor
            )
    for row in rows:
        left = row.amount_minor - refunded.get(row.id, 0)
        if row.kind == PaymentKind.PAYMENT.value and left >= amount_minor:
            return row.id
    return None


async def record_refund(
    ctx: OrderContext,
    order_id: int,
    *,
    amount_minor: int,
    method: str = "original",
    payment_id: int | None = None,
    idempotency_key: str | None = None,
    note: str = "",
) -> tuple[Order, Payment]:
    """Give money back: never more than was paid and not yet refunded.

    Against a ``payment_id`` taken by a gateway, the gateway's plugin makes the
    refund at the provider first (hook ``oms_orders_refund_payment``).
    """
    _check(amount_minor, method, note, idempotency_key)
    order = await lock_order(ctx.session, order_id, field=["order"])
    repeat = await _repeat(
        ctx, order_id=order.id, kind=PaymentKind.REFUND, amount_minor=amount_minor,
        key=idempotency_key, gateway=None, reference=None,
    )  # fmt: skip
    if repeat is not None:
        return order, repeat
    refundable = order.paid_minor - order.refunded_minor
    if amount_minor > refundable:
        raise DomainError(
            OrderErrorCode.REFUND_EXCEEDS_PAID,
            f"order {order.number} has {refundable} (minor units) refundable, {amount_minor} "
            "asked", field=["amount"], refundable_minor=refundable,
        )  # fmt: skip
    original: Payment | None = None
    gateway = reference = None
    if payment_id is not None:
        original = await ctx.session.get(Payment, payment_id)
        if original is None or original.order_id != order.id or original.kind != "payment":
            raise not_found(f"payment of order {order.number}", ["payment"])
        already = sum(
            r.amount_minor
            for r in await ctx.session.scalars(
                select(Payment).where(Payment.refunded_payment_id == original.id)
            )
        )
        if amount_minor > original.amount_minor - already:
            raise DomainError(
                OrderErrorCode.REFUND_EXCEEDS_PAID,
                f"that payment has {original.amount_minor - already} left to refund",
                field=["amount"], refundable_minor=original.amount_minor - already,
            )  # fmt: skip
        if original.gateway is not None:
            gateway = original.gateway
            answers = await call_hook(
                ctx.hooks.oms_orders_refund_payment, session=ctx.session,
                order=OrderSnapshot.of(order), payment=PaymentSnapshot.of(original),
                amount_minor=amount_minor, clock=ctx.clock,
                idempotency_key=idempotency_key
                or f"refund:{original.id}:{already}:{amount_minor}",
            )  # fmt: skip
            reference = next((answer for answer in answers if answer is not None), None)
            if reference is None:
                raise DomainError(
                    OrderErrorCode.GATEWAY_UNAVAILABLE,
                    f"no enabled payment plugin refunds through {gateway}: refund by hand "
                    "without the payment", field=["payment"],
                )  # fmt: skip
    refund = Payment(
        order_id=order.id, kind=PaymentKind.REFUND.value, amount_minor=amount_minor,
        currency=order.currency, method=method.strip(), gateway=gateway, reference=reference,
        idempotency_key=idempotency_key,
        refunded_payment_id=original.id if original is not None else None, note=note.strip(),
        actor=ctx.actor[:80], created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(refund)
    order.refunded_minor += amount_minor
    refresh_payment_status(order)
    add_timeline(ctx, order, "refund", f"{amount_minor} {order.currency} refunded {note}".strip())
    await ctx.session.flush()
    record_event(
        ctx.session, "oms_orders.refund_recorded",
        {**OrderSnapshot.of(order).payload(), "payment_id": refund.id,
         "amount_minor": amount_minor},
        clock=ctx.clock,
    )  # fmt: skip
    return order, refund
