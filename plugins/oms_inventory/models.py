"""Tables of oms_inventory: catalog, locations, stock levels, the ledger, holds, reordering.

Invariants the database keeps, whatever the code does: a SKU is unique within
the tenant; a stock level's on hand, allocated and held quantities are never
negative and never promise more than is on hand (available >= 0).
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

from core.db import Base, BigIntPK, IdPK, PropertyScoped, TenantScoped


class Product(TenantScoped, Base):
    """A sellable thing; its variants carry SKUs and prices. Shared by the tenant's shops."""

    __tablename__ = "inv_products"
    __table_args__ = (Index("ix_inv_products_tenant_name", "tenant_id", "name", "id"),)

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class Variant(TenantScoped, Base):
    __tablename__ = "inv_variants"
    __table_args__ = (
        UniqueConstraint("tenant_id", "sku"),
        Index("ix_inv_variants_tenant_barcode", "tenant_id", "barcode"),
        CheckConstraint("price_minor >= 0", name="price_not_negative"),
    )

    id: Mapped[IdPK]
    product_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_products.id", ondelete="CASCADE"), index=True
    )
    sku: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    price_minor: Mapped[int] = mapped_column(BigInteger)
    currency: Mapped[str] = mapped_column(String(3))
    barcode: Mapped[str | None] = mapped_column(String(64))
    attributes: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class Location(PropertyScoped, Base):
    """A warehouse, shop floor or store room of one property."""

    __tablename__ = "inv_locations"
    __table_args__ = (UniqueConstraint("property_id", "code"),)

    id: Mapped[IdPK]
    code: Mapped[str] = mapped_column(String(32))
    name: Mapped[str] = mapped_column(String(120))
    # Lower is tried first by the priority strategy.
    priority: Mapped[int] = mapped_column(Integer, default=100)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]


class StockLevel(PropertyScoped, Base):
    """One SKU at one location. available = on_hand - allocated - held."""

    __tablename__ = "inv_stock_levels"
    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint("on_hand >= 0", name="on_hand_not_negative"),
        CheckConstraint("allocated >= 0", name="allocated_not_negative"),
        CheckConstraint("held >= 0", name="held_not_negative"),
        CheckConstraint("on_hand - allocated - held >= 0", name="available_not_negative"),
    )

    id: Mapped[IdPK]
    variant_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_variants.id", ondelete="CASCADE"), index=True
    )
    location_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_locations.id", ondelete="CASCADE"), index=True
    )
    on_hand: Mapped[int] = mapped_column(BigInteger, default=0)
    allocated: Mapped[int] = mapped_column(BigInteger, default=0)
    held: Mapped[int] = mapped_column(BigInteger, default=0)


class StockMovement(PropertyScoped, Base):
    """The ledger: every change to a level, so levels can be re-derived and audited."""

    __tablename__ = "inv_stock_movements"
    __table_args__ = (
        Index("ix_inv_stock_movements_level", "variant_id", "location_id", "id"),
        Index("ix_inv_stock_movements_property_created", "property_id", "created_at", "id"),
        Index("ix_inv_stock_movements_reference", "property_id", "reference"),
    )

    id: Mapped[IdPK]
    kind: Mapped[str] = mapped_column(String(20))
    variant_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_variants.id", ondelete="CASCADE")
    )
    location_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_locations.id", ondelete="CASCADE")
    )
    on_hand_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    allocated_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    held_delta: Mapped[int] = mapped_column(BigInteger, default=0)
    reference: Mapped[str | None] = mapped_column(String(120))
    reason: Mapped[str | None] = mapped_column(String(300))
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class Allocation(PropertyScoped, Base):
    """Units promised to one reference (an order) at one level, until shipped or released."""

    __tablename__ = "inv_allocations"
    __table_args__ = (
        Index("ix_inv_allocations_reference", "property_id", "reference"),
        CheckConstraint("quantity >= 0", name="quantity_not_negative"),
        CheckConstraint("shipped >= 0 AND shipped <= quantity", name="shipped_within_quantity"),
    )

    id: Mapped[IdPK]
    reference: Mapped[str] = mapped_column(String(120))
    variant_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_variants.id", ondelete="CASCADE")
    )
    location_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_locations.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(BigInteger)
    shipped: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime]


class StockHold(PropertyScoped, Base):
    """Units held for a cart until ``expires_at``; they count against availability."""

    __tablename__ = "inv_holds"
    __table_args__ = (
        Index("ix_inv_holds_key", "property_id", "hold_key"),
        Index("ix_inv_holds_expires", "released_at", "expires_at"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
    )

    id: Mapped[IdPK]
    hold_key: Mapped[str] = mapped_column(String(120))
    variant_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_variants.id", ondelete="CASCADE")
    )
    location_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_locations.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(BigInteger)
    expires_at: Mapped[dt.datetime]
    released_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]


class InventorySettings(PropertyScoped, Base):
    """How a property allocates across its locations."""

    __tablename__ = "inv_settings"
    __table_args__ = (UniqueConstraint("property_id"),)

    id: Mapped[IdPK]
    strategy: Mapped[str] = mapped_column(String(20), default="priority")
    allow_split: Mapped[bool] = mapped_column(Boolean, default=True)
    hold_minutes: Mapped[int] = mapped_column(Integer, default=15)


class ReorderRule(PropertyScoped, Base):
    """Odoo-style order point: below ``minimum``, suggest buying up to ``maximum``."""

    __tablename__ = "inv_reorder_rules"
    __table_args__ = (
        UniqueConstraint("variant_id", "location_id"),
        CheckConstraint("minimum >= 0", name="minimum_not_negative"),
        CheckConstraint("maximum >= minimum", name="maximum_at_least_minimum"),
        CheckConstraint("multiple >= 1", name="multiple_positive"),
    )

    id: Mapped[IdPK]
    variant_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_variants.id", ondelete="CASCADE")
    )
    location_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_locations.id", ondelete="CASCADE")
    )
    minimum: Mapped[int] = mapped_column(BigInteger)
    maximum: Mapped[int] = mapped_column(BigInteger)
    multiple: Mapped[int] = mapped_column(BigInteger, default=1)


class PurchaseOrder(PropertyScoped, Base):
    __tablename__ = "inv_purchase_orders"
    __table_args__ = (
        UniqueConstraint("property_id", "number"),
        Index("ix_inv_purchase_orders_status", "property_id", "status", "id"),
    )

    id: Mapped[IdPK]
    number: Mapped[str] = mapped_column(String(32))
    status: Mapped[str] = mapped_column(String(24), default="draft")
    location_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_locations.id", ondelete="CASCADE")
    )
    created_at: Mapped[dt.datetime]
    ordered_at: Mapped[dt.datetime | None]
    received_at: Mapped[dt.datetime | None]


class PurchaseOrderLine(PropertyScoped, Base):
    __tablename__ = "inv_purchase_order_lines"
    __table_args__ = (
        UniqueConstraint("purchase_order_id", "variant_id"),
        CheckConstraint("quantity > 0", name="quantity_positive"),
        CheckConstraint("received >= 0 AND received <= quantity", name="received_within"),
    )

    id: Mapped[IdPK]
    purchase_order_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_purchase_orders.id", ondelete="CASCADE"), index=True
    )
    variant_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("inv_variants.id", ondelete="CASCADE")
    )
    quantity: Mapped[int] = mapped_column(BigInteger)
    received: Mapped[int] = mapped_column(BigInteger, default=0)
