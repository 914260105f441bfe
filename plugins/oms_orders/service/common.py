"""What the order services share: their context, locking an order, settings, the status
machine and the timeline."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from core.events import record_event
from core.plugins import HookRelay, call_first_optional, call_hook
from plugins.oms_orders.models import Order, OrderEvent, OrderSettings
from plugins.oms_orders.service.errors import OrderErrorCode, not_found
from plugins.oms_orders.service.snapshots import OrderSnapshot
from plugins.oms_orders.transitions import (
    OrderStatus,
    PaymentStatus,
    can_change,
    can_change_payment,
    payment_status_for,
)


@dataclass(frozen=True)
class OrderContext:
    """Everything an order operation needs besides its arguments.

    ``hooks`` is the property's hook relay (only its enabled plugins), so
    oms_inventory's stock hooks answer None on a property without it.
    """

    session: AsyncSession
    hooks: HookRelay
    clock: Clock
    actor: str

    async def inventory(self, hook: str, **kwargs: object) -> object:
        """Call one of oms_inventory's stock hooks; None when it is not enabled here."""
        return await call_first_optional(
            self.hooks, hook, session=self.session, clock=self.clock, **kwargs
        )

    async def announce(self, hook: str, **kwargs: object) -> None:
        """Call one of our own hooks on the plugins enabled here."""
        await call_hook(getattr(self.hooks, hook), session=self.session, clock=self.clock, **kwargs)


def stock_reference(order: Order) -> str:
    """The order's reference in oms_inventory's ledger and allocations."""
    return f"order:{order.number}"


async def settings_for(session: AsyncSession, *, for_update: bool = False) -> OrderSettings:
    """The property's order settings, created with defaults on first use."""
    statement = select(OrderSettings)
    if for_update:
        statement = statement.with_for_update()
    settings = await session.scalar(statement)
    if settings is None:
        settings = OrderSettings(
            number_prefix="", next_number=1001, tax_rate_basis_points=0,
            prices_include_tax=False, unpaid_expiry_minutes=60,
        )  # fmt: skip
        session.add(settings)
        await session.flush()
    return settings


async def lock_order(session: AsyncSession, order_id: int, *, field: list[str]) -> Order:
    """The order, locked until the transaction ends (PostgreSQL; SQLite writers already run
    one at a time), and read fresh: two changes to one order never interleave."""
    order = await session.scalar(
        select(Order)
        .where(Order.id == order_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise not_found("order", field)
    return order


def add_timeline(
    ctx: OrderContext,
    order: Order,
    kind: str,
    detail: str = "",
    *,
    from_status: str | None = None,
    to_status: str | None = None,
) -> None:
    ctx.session.add(
        OrderEvent(
            order_id=order.id, kind=kind, from_status=from_status, to_status=to_status,
            detail=detail, actor=ctx.actor[:80], created_at=ctx.clock.now(),
        )
    )  # fmt: skip


def invalid_transition(order: Order, target: OrderStatus, why: str = "") -> DomainError:
    message = f"order {order.number} is {order.status.replace('_', ' ')}: it cannot become "
    message += target.value.replace("_", " ")
    return DomainError(
        OrderErrorCode.INVALID_TRANSITION, message + (f" ({why})" if why else ""),
        field=["order"], status=order.status.upper(),
    )  # fmt: skip


async def change_status(
    ctx: OrderContext, order: Order, target: OrderStatus, detail: str = ""
) -> None:
    """Move ``order`` to ``target`` if the transition table allows it; timeline, event, hook."""
    current = OrderStatus(order.status)
    if not can_change(current, target):
        raise invalid_transition(order, target)
    order.status = target.value
    if target in (OrderStatus.CONFIRMED, OrderStatus.CANCELED, OrderStatus.EXPIRED):
        order.expires_at = None
    if target in (OrderStatus.CANCELED, OrderStatus.EXPIRED):
        order.closed_at = ctx.clock.now()
    if current is target:
        return  # partially fulfilled again, say: the fulfilment's own entry says enough
    add_timeline(
        ctx, order, "status_changed", detail, from_status=current.value, to_status=target.value
    )
    snapshot = OrderSnapshot.of(order)
    record_event(
        ctx.session, "oms_orders.order_status_changed",
        {**snapshot.payload(), "from_status": current.value, "actor": ctx.actor},
        clock=ctx.clock,
    )  # fmt: skip
    await ctx.announce(
        "oms_orders_status_changed", order=snapshot, from_status=current.value,
        to_status=target.value, actor=ctx.actor,
    )  # fmt: skip


def refresh_payment_status(order: Order) -> PaymentStatus:
    """Set the payment status the amounts imply, if PAYMENT_TRANSITIONS allows the move;
    returns it. The services never ask for a move the table refuses (paid stays paid
    until refunded); the check keeps it so if that ever changes."""
    current = PaymentStatus(order.payment_status)
    status = payment_status_for(order.total_minor, order.paid_minor, order.refunded_minor)
    if status is not current and not can_change_payment(current, status):
        raise DomainError(
            OrderErrorCode.INVALID_TRANSITION,
            f"order {order.number} is {current.value.replace('_', ' ')}: its payment status "
            f"cannot become {status.value.replace('_', ' ')}", field=["order"],
        )  # fmt: skip
    order.payment_status = status.value
    return status
