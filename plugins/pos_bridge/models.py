"""Tables of pos_bridge: outlets and their devices, sales (voids are negative sales that
refer to the first), their lines, and the webhook signatures already seen.

Other plugins' rows are referred to by number only (a reservation, an order):
pos_bridge runs on properties without them, so it keeps no foreign key to their
tables. Money is integer minor units of the property's currency.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    BigInteger,
    Boolean,
    Date,
    ForeignKey,
    Index,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, IdPK, PropertyScoped


class Outlet(PropertyScoped, Base):
    """A place that sells: a restaurant, a bar, a spa, a gift shop."""

    __tablename__ = "pos_outlets"
    __table_args__ = (UniqueConstraint("property_id", "code"),)

    id: Mapped[IdPK]
    code: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    kind: Mapped[str] = mapped_column(String(20))  # restaurant, bar, spa, gift_shop, other
    # The oms_inventory location retail goods leave from (None: wherever allocated).
    stock_location: Mapped[str | None] = mapped_column(String(40))
    # The key the POS vendor signs webhooks with. Kept as is: verifying an HMAC needs it.
    webhook_secret: Mapped[str] = mapped_column(String(80))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class OutletDevice(PropertyScoped, Base):
    """A till: an API key (``pos:sell``) that posts sales for one outlet only."""

    __tablename__ = "pos_outlet_devices"
    __table_args__ = (UniqueConstraint("api_key_id"),)

    id: Mapped[IdPK]
    outlet_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pos_outlets.id", ondelete="CASCADE"), index=True
    )
    api_key_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("api_keys.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(100))
    created_at: Mapped[dt.datetime]


class PosSale(PropertyScoped, Base):
    """A bill settled at an outlet, or a void (negative) of one."""

    __tablename__ = "pos_sales"
    __table_args__ = (
        # The vendor's sale id: the same sale sent twice is posted once.
        UniqueConstraint("outlet_id", "external_id"),
        Index("ix_pos_sales_day", "property_id", "business_date", "outlet_id"),
        Index("ix_pos_sales_property", "property_id", "id"),
        Index("ix_pos_sales_voids", "voids_sale_id"),
    )

    id: Mapped[IdPK]
    outlet_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pos_outlets.id", ondelete="RESTRICT")
    )
    external_id: Mapped[str] = mapped_column(String(80))
    request_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(10))  # sale, void
    voids_sale_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("pos_sales.id", ondelete="RESTRICT")
    )
    settlement: Mapped[str] = mapped_column(String(20))  # paid_at_outlet, room_charge
    payment_method: Mapped[str | None] = mapped_column(String(20))  # cash, card, other
    # Signed: negative for a void. Retail is the part with SKUs (an OMS order).
    total_minor: Mapped[int] = mapped_column(BigInteger)
    retail_minor: Mapped[int] = mapped_column(BigInteger, default=0)
    room_number: Mapped[str | None] = mapped_column(String(20))
    guest_name: Mapped[str | None] = mapped_column(String(200))
    reservation_id: Mapped[int | None] = mapped_column(BigInteger)
    reservation_number: Mapped[str | None] = mapped_column(String(24))
    folio_line_id: Mapped[int | None] = mapped_column(BigInteger)
    order_number: Mapped[str | None] = mapped_column(String(40))
    business_date: Mapped[dt.date] = mapped_column(Date)  # the property's local date
    source: Mapped[str] = mapped_column(String(10))  # graphql, webhook
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class PosSaleLine(PropertyScoped, Base):
    __tablename__ = "pos_sale_lines"
    __table_args__ = (Index("ix_pos_sale_lines_sale", "sale_id", "position"),)

    id: Mapped[IdPK]
    sale_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pos_sales.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    description: Mapped[str] = mapped_column(String(200))
    sku: Mapped[str | None] = mapped_column(String(64))
    quantity: Mapped[int] = mapped_column(Integer)  # negative on a void
    unit_price_minor: Mapped[int] = mapped_column(BigInteger)
    total_minor: Mapped[int] = mapped_column(BigInteger)
    # On a void: the line of the sale it takes back.
    voids_line_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("pos_sale_lines.id", ondelete="RESTRICT")
    )


class WebhookReceipt(PropertyScoped, Base):
    """A webhook signature seen: the same signed request again is a replay."""

    __tablename__ = "pos_webhook_receipts"
    __table_args__ = (
        UniqueConstraint("outlet_id", "signature"),
        Index("ix_pos_webhook_receipts_received", "received_at"),
    )

    id: Mapped[IdPK]
    outlet_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("pos_outlets.id", ondelete="CASCADE")
    )
    signature: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[dt.datetime]
