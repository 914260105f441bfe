"""Tables of oms_orders: customers, orders, their lines, timeline, fulfilments, payments,
returns, and the per-property settings.

Money is integer minor units in the order's currency. The database itself
refuses what must never happen, whatever the code does: a refund above what
was paid, more units shipped than ordered or returned than shipped, two orders
under one idempotency key or one number.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, IdPK, PropertyScoped


class Customer(PropertyScoped, Base):
    """Someone who orders from this shop, found again by e-mail (guest checkouts too)."""

    __tablename__ = "ord_customers"
    __table_args__ = (
        UniqueConstraint("property_id", "email"),
        Index("ix_ord_customers_name", "property_id", "name", "id"),
    )

    id: Mapped[IdPK]
    email: Mapped[str] = mapped_column(String(320))  # stored lower-case
    name: Mapped[str] = mapped_column(String(200), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    # [{"name", "line1", "line2", "city", "postal_code", "region", "country", "phone"}]
    addresses: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[dt.datetime]


class Order(PropertyScoped, Base):
    __tablename__ = "ord_orders"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        UniqueConstraint("property_id", "idempotency_key"),
        # One index per list filter, each ending in the default sort (placed_at, id).
        Index("ix_ord_orders_placed", "property_id", "placed_at", "id"),
        Index("ix_ord_orders_status", "property_id", "status", "placed_at", "id"),
        Index("ix_ord_orders_payment", "property_id", "payment_status", "placed_at", "id"),
        Index("ix_ord_orders_channel", "property_id", "channel", "placed_at", "id"),
        # Status and channel together (the storefront tabs): also covers their count.
        Index(
            "ix_ord_orders_status_channel", "property_id", "status", "channel", "placed_at", "id"
        ),
        Index("ix_ord_orders_customer", "property_id", "customer_id", "placed_at", "id"),
        Index("ix_ord_orders_total", "property_id", "total_minor", "id"),
        Index("ix_ord_orders_expiry", "property_id", "status", "expires_at"),
        CheckConstraint("subtotal_minor >= 0", name="subtotal_not_negative"),
        CheckConstraint(
            "discount_minor >= 0 AND discount_minor <= subtotal_minor", name="discount_within"
        ),
        CheckConstraint("shipping_minor >= 0 AND tax_minor >= 0", name="charges_not_negative"),
        CheckConstraint("total_minor >= 0", name="total_not_negative"),
        CheckConstraint("paid_minor >= 0", name="paid_not_negative"),
        CheckConstraint(
            "refunded_minor >= 0 AND refunded_minor <= paid_minor", name="refund_within_paid"
        ),
    )

    id: Mapped[IdPK]
    number: Mapped[str] = mapped_column(String(40))
    idempotency_key: Mapped[str] = mapped_column(String(120))
    # SHA-256 of the placing request: the same key with another payload is refused.
    request_hash: Mapped[str] = mapped_column(String(64))
    channel: Mapped[str] = mapped_column(String(20))
    channel_reference: Mapped[str | None] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(24))
    payment_status: Mapped[str] = mapped_column(String(24))
    customer_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("ord_customers.id", ondelete="SET NULL")
    )
    email: Mapped[str] = mapped_column(String(320))
    currency: Mapped[str] = mapped_column(String(3))
    subtotal_minor: Mapped[int] = mapped_column(BigInteger)
    discount_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    shipping_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    tax_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    paid_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    refunded_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    # Whether oms_inventory allocated the lines (False on a property without it).
    stock_allocated: Mapped[bool] = mapped_column(Boolean, default=False)
    shipping_address: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    note: Mapped[str] = mapped_column(Text, default="")
    # Lower-case number, e-mail and names: what the list's text search looks in.
    search_text: Mapped[str] = mapped_column(Text, default="")
    placed_by: Mapped[str] = mapped_column(String(80))
    placed_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime | None]
    closed_at: Mapped[dt.datetime | None]  # canceled or expired


class OrderLine(PropertyScoped, Base):
    __tablename__ = "ord_order_lines"
    __table_args__ = (
        UniqueConstraint("order_id", "position"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("unit_price_minor >= 0", name="price_not_negative"),
        CheckConstraint(
            "fulfilled_quantity >= 0 AND fulfilled_quantity <= quantity", name="fulfilled_within"
        ),
        CheckConstraint(
            "returned_quantity >= 0 AND returned_quantity <= fulfilled_quantity",
            name="returned_within",
        ),
    )

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ord_orders.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    quantity: Mapped[int] = mapped_column(BigInteger)
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    line_total_minor: Mapped[int] = mapped_column(BigInteger)
    fulfilled_quantity: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_quantity: Mapped[int] = mapped_column(BigInteger, default=0)


class OrderEvent(PropertyScoped, Base):
    """The order's timeline: who did what, when. Appended to, never changed."""

    __tablename__ = "ord_order_events"
    __table_args__ = (Index("ix_ord_order_events_order", "order_id", "id"),)

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ord_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(24))
    to_status: Mapped[str | None] = mapped_column(String(24))
    detail: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class Fulfillment(PropertyScoped, Base):
    """One shipment of some of an order's units."""

    __tablename__ = "ord_fulfillments"
    __table_args__ = (
        UniqueConstraint("order_id", "number"),
        Index("ix_ord_fulfillments_order", "order_id", "id"),
    )

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ord_orders.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)  # 1, 2, ... within the order
    status: Mapped[str] = mapped_column(String(20))  # shipped, delivered
    # The code of the location it left from (several, comma-joined, if split).
    location: Mapped[str | None] = mapped_column(String(200))
    carrier: Mapped[str] = mapped_column(String(80), default="")
    tracking_number: Mapped[str] = mapped_column(String(120), default="")
    tracking_url: Mapped[str] = mapped_column(String(500), default="")
    created_by: Mapped[str] = mapped_column(String(80))
    shipped_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]


class FulfillmentLine(PropertyScoped, Base):
    __tablename__ = "ord_fulfillment_lines"
    __table_args__ = (
        Index("ix_ord_fulfillment_lines_fulfillment", "fulfillment_id", "id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[IdPK]
    fulfillment_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("ord_fulfillments.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("ord_order_lines.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(BigInteger)


class Payment(PropertyScoped, Base):
    """A payment taken or a refund given (``kind``), by hand or reported by a gateway."""

    __tablename__ = "ord_payments"
    __table_args__ = (
        UniqueConstraint("property_id", "idempotency_key"),
        # A gateway reports each of its transactions once, however often it retries.
        UniqueConstraint("property_id", "gateway", "reference"),
        Index("ix_ord_payments_order", "order_id", "id"),
        CheckConstraint("amount_minor > 0", name="amount_positive"),
    )

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ord_orders.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(10))  # payment, refund
    amount_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    method: Mapped[str] = mapped_column(String(40))
    gateway: Mapped[str | None] = mapped_column(String(64))
    reference: Mapped[str | None] = mapped_column(String(120))
    idempotency_key: Mapped[str | None] = mapped_column(String(120))
    # For a refund: the payment it gave money back on, when there is one.
    refunded_payment_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("ord_payments.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class OrderReturn(PropertyScoped, Base):
    """Lines a customer sends back: requested, then received (restocked or written off)."""

    __tablename__ = "ord_returns"
    __table_args__ = (
        UniqueConstraint("order_id", "number"),
        Index("ix_ord_returns_order", "order_id", "id"),
    )

    id: Mapped[IdPK]
    order_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("ord_orders.id", ondelete="CASCADE"))
    number: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(20))  # requested, received, canceled
    reason: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str | None] = mapped_column(String(64))
    refund_payment_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("ord_payments.id", ondelete="SET NULL")
    )
    requested_by: Mapped[str] = mapped_column(String(80))
    requested_at: Mapped[dt.datetime]
    received_at: Mapped[dt.datetime | None]


class ReturnLine(PropertyScoped, Base):
    __tablename__ = "ord_return_lines"
    __table_args__ = (
        Index("ix_ord_return_lines_return", "return_id", "id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[IdPK]
    return_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("ord_returns.id", ondelete="CASCADE")
    )
    order_line_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("ord_order_lines.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(BigInteger)
    restock: Mapped[bool | None] = mapped_column(Boolean)  # decided when received


class OrderSettings(PropertyScoped, Base):
    """Per property: numbering, tax, and how long an unconfirmed unpaid order holds stock."""

    __tablename__ = "ord_settings"
    __table_args__ = (
        UniqueConstraint("property_id"),
        CheckConstraint(
            "tax_rate_basis_points >= 0 AND tax_rate_basis_points <= 10000", name="tax_rate_range"
        ),
        CheckConstraint("unpaid_expiry_minutes >= 0", name="expiry_not_negative"),
    )

    id: Mapped[IdPK]
    number_prefix: Mapped[str] = mapped_column(String(12), default="")
    next_number: Mapped[int] = mapped_column(BigInteger, default=1001)
    # 1900 = 19.00 %.
    tax_rate_basis_points: Mapped[int] = mapped_column(Integer, default=0)
    # True: catalog prices already include the tax (Europe); False: tax is added (US).
    prices_include_tax: Mapped[bool] = mapped_column(Boolean, default=False)
    # 0: unconfirmed unpaid orders never expire.
    unpaid_expiry_minutes: Mapped[int] = mapped_column(Integer, default=60)
