"""Frozen copies of orders and their parts, handed to other plugins' hooks.

Other plugins never hold our rows: a snapshot cannot write to our tables, and
it stays valid after the session that read it is gone.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plugins.oms_orders.models import Fulfillment, Order, OrderReturn, Payment


@dataclass(frozen=True)
class OrderSnapshot:
    id: int
    number: str
    status: str
    payment_status: str
    channel: str
    email: str
    customer_id: int | None
    currency: str
    total_minor: int
    paid_minor: int
    refunded_minor: int
    placed_at: dt.datetime

    @classmethod
    def of(cls, order: Order) -> OrderSnapshot:
        return cls(
            id=order.id, number=order.number, status=order.status,
            payment_status=order.payment_status, channel=order.channel, email=order.email,
            customer_id=order.customer_id, currency=order.currency,
            total_minor=order.total_minor, paid_minor=order.paid_minor,
            refunded_minor=order.refunded_minor, placed_at=order.placed_at,
        )  # fmt: skip

    def payload(self) -> dict[str, object]:
        """The JSON form recorded in ``oms_orders.*`` events."""
        return {
            "order_id": self.id, "number": self.number, "status": self.status,
            "payment_status": self.payment_status, "channel": self.channel,
            "email": self.email, "customer_id": self.customer_id, "currency": self.currency,
            "total_minor": self.total_minor, "paid_minor": self.paid_minor,
            "refunded_minor": self.refunded_minor,
        }  # fmt: skip


@dataclass(frozen=True)
class FulfillmentSnapshot:
    id: int
    number: int
    location: str | None
    carrier: str
    tracking_number: str
    lines: tuple[tuple[str, int], ...]  # (sku, quantity)

    @classmethod
    def of(cls, row: Fulfillment, lines: list[tuple[str, int]]) -> FulfillmentSnapshot:
        return cls(
            id=row.id, number=row.number, location=row.location, carrier=row.carrier,
            tracking_number=row.tracking_number, lines=tuple(lines),
        )  # fmt: skip


@dataclass(frozen=True)
class ReturnSnapshot:
    id: int
    number: int
    reason: str
    lines: tuple[tuple[str, int, bool], ...]  # (sku, quantity, restocked)

    @classmethod
    def of(cls, row: OrderReturn, lines: list[tuple[str, int, bool]]) -> ReturnSnapshot:
        return cls(id=row.id, number=row.number, reason=row.reason, lines=tuple(lines))


@dataclass(frozen=True)
class PaymentSnapshot:
    id: int
    kind: str
    amount_minor: int
    currency: str
    method: str
    gateway: str | None
    reference: str | None

    @classmethod
    def of(cls, row: Payment) -> PaymentSnapshot:
        return cls(
            id=row.id, kind=row.kind, amount_minor=row.amount_minor, currency=row.currency,
            method=row.method, gateway=row.gateway, reference=row.reference,
        )  # fmt: skip
