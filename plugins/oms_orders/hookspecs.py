"""Hooks oms_orders offers to other plugins (loyalty, notifications, payment gateways).

The order hooks run inside the transaction that changed the order, on the
plugins the order's property has enabled, after the change is written: a
plugin can write its own rows atomically with the order (loyalty points), and
a DomainError it raises refuses the whole change. Work that must wait for the
commit or may fail on its own (e-mail, webhooks) belongs in
``concierge_event``, reacting to the ``oms_orders.*`` events recorded beside
each hook (docs/orders.md lists them with their payloads).

``order`` is an :class:`plugins.oms_orders.service.snapshots.OrderSnapshot`:
a frozen copy of the order's fields (id, number, status, payment status,
channel, e-mail, customer, currency and amounts in minor units).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.clock import Clock
    from core.plugins import HookRelay
    from plugins.oms_orders.service.snapshots import (
        FulfillmentSnapshot,
        OrderSnapshot,
        PaymentSnapshot,
        ReturnSnapshot,
    )


# ---------------------------------------------------------------------------
# Order lifecycle
# ---------------------------------------------------------------------------


@hookspec
def oms_orders_order_placed(session: AsyncSession, order: OrderSnapshot, clock: Clock) -> None:
    """An order was placed (its lines written and, with oms_inventory, its stock allocated).

    Not called again when a retry with the same idempotency key returns the
    existing order.
    """


@hookspec
def oms_orders_status_changed(
    session: AsyncSession,
    order: OrderSnapshot,
    from_status: str,
    to_status: str,
    actor: str,
    clock: Clock,
) -> None:
    """The order's status moved along the transition table (transitions.py).

    ``from_status`` and ``to_status`` are the lower-case status values
    (``"confirmed"``, ``"fulfilled"``, ...). Called for every change,
    including the ones the more specific hooks below also announce.
    """


@hookspec
def oms_orders_order_fulfilled(
    session: AsyncSession, order: OrderSnapshot, fulfillment: FulfillmentSnapshot, clock: Clock
) -> None:
    """Some of the order's units shipped: ``fulfillment`` says which, from where, by which
    carrier. Called for every fulfilment, partial ones included."""


@hookspec
def oms_orders_order_canceled(
    session: AsyncSession, order: OrderSnapshot, reason: str, actor: str, clock: Clock
) -> None:
    """The order was canceled (its unshipped stock already released). Expired orders are
    announced through ``oms_orders_status_changed`` with ``to_status="expired"``."""


@hookspec
def oms_orders_order_returned(
    session: AsyncSession, order: OrderSnapshot, order_return: ReturnSnapshot, clock: Clock
) -> None:
    """A return was received: its units are back on hand or written off."""


# ---------------------------------------------------------------------------
# Payment gateways
# ---------------------------------------------------------------------------


@hookspec
def oms_orders_refund_payment(
    session: AsyncSession,
    order: OrderSnapshot,
    payment: PaymentSnapshot,
    amount_minor: int,
    idempotency_key: str,
    clock: Clock,
) -> str | None:
    """Give ``amount_minor`` back through the gateway that took ``payment``.

    Called when a refund is made against a payment whose ``gateway`` is set,
    on every enabled plugin (an ``async`` implementation is awaited before its
    answer counts, so gateways may be async). The plugin owning that gateway
    (``payment.gateway`` equals its name) refunds at the provider and returns
    the provider's refund reference; every other plugin returns None. Pass
    ``idempotency_key`` to the provider: it is the same when the refund is
    retried after a failure (the refund's own key, or one derived from the
    payment and the amounts refunded before), so a retry never pays out
    twice. Raise a DomainError to refuse (the provider declined): nothing is
    recorded. When no enabled plugin answers, the refund is refused with
    GATEWAY_UNAVAILABLE.

    Payments the other way round, taken by a gateway, are reported with the
    service API: ``plugins.oms_orders.service.payments.record_payment`` with
    ``gateway`` and the provider's ``reference`` (a retry of the same
    reference records nothing twice).
    """


# ---------------------------------------------------------------------------
# Orders from a till (pos_bridge): declared and implemented by oms_orders
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def oms_orders_place_pos_order(
    session: AsyncSession,
    reference: str,
    outlet: str,
    lines: list[tuple[str, int, int]],
    payment_method: str,
    location: str | None,
    currency: str,
    actor: str,
    clock: Clock,
    hooks: HookRelay,
) -> dict[str, Any] | None:
    """Record a till's retail sale as an order on the POS channel, in the caller's
    transaction: placed (stock allocated through oms_inventory where it is enabled),
    paid with ``payment_method``, handed over (shipped from ``location``, or wherever it
    was allocated). ``lines`` are (sku, quantity, unit price in minor units); ``reference``
    (the sale's) is the order's idempotency key: a retry returns the order.
    Returns ``{"order_id", "order_number", "subtotal_minor", "total_minor"}``.
    Raises DomainError: INSUFFICIENT_STOCK, NOT_FOUND (an unknown SKU), PRICE_CHANGED (a
    price other than the catalog's), INVALID_INPUT."""


@hookspec(firstresult=True)
def oms_orders_return_pos_order(
    session: AsyncSession,
    reference: str,
    voids_reference: str,
    lines: list[tuple[str, int]],
    refund_minor: int,
    location: str | None,
    actor: str,
    clock: Clock,
    hooks: HookRelay,
) -> dict[str, Any] | None:
    """Take ``lines`` (sku, quantity) of the till order placed under ``voids_reference``
    back, restocked at ``location`` (where it left from, when None), and refund
    ``refund_minor`` under ``reference`` (the void's: a retry refunds once). Returns the
    order as ``oms_orders_place_pos_order`` does.
    Raises DomainError: NOT_FOUND (no till order under that reference), OVER_RETURN and
    INVALID_INPUT as returns do."""


@hookspec(firstresult=True)
def oms_orders_pos_amounts(session: AsyncSession, references: list[str]) -> dict[str, int] | None:
    """What each till reference amounts to in the orders, for a till's daily
    reconciliation: a sale's order subtotal, a void's refund (negative). References with
    neither are left out."""
