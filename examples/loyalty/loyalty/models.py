"""Tables of loyalty: members, their points ledger, and each property's earning rules.

Property-scoped: a property runs its own programme (a tenant-wide one is a
documented extension). A member's ``balance`` is the sum of their ledger
entries, kept in the row so a redemption can test and take points in one
UPDATE (see service.redeem).
"""

from __future__ import annotations

import datetime as dt

from core.db import Base, BigIntPK, IdPK, PropertyScoped
from sqlalchemy import CheckConstraint, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column


class LoyaltySettings(PropertyScoped, Base):
    __tablename__ = "loyalty_settings"
    __table_args__ = (
        UniqueConstraint("property_id"),
        CheckConstraint(
            "points_per_order_unit >= 0 AND points_per_stay_unit >= 0", name="rates_not_negative"
        ),
        CheckConstraint("expiry_days >= 0", name="expiry_not_negative"),
    )

    id: Mapped[IdPK]
    # Points per major unit of the currency paid (1 per euro) on orders and on stays.
    points_per_order_unit: Mapped[int]
    points_per_stay_unit: Mapped[int]
    # A balance expires this many days after the member's last earning or redemption;
    # 0: never.
    expiry_days: Mapped[int]


class Member(PropertyScoped, Base):
    __tablename__ = "loyalty_members"
    __table_args__ = (
        UniqueConstraint("property_id", "email"),
        Index("ix_loyalty_members_property_enrolled", "property_id", "enrolled_at", "id"),
    )

    id: Mapped[IdPK]
    email: Mapped[str] = mapped_column(String(320))  # lower case
    name: Mapped[str] = mapped_column(String(200), default="")
    balance: Mapped[int] = mapped_column(default=0)
    lifetime_points: Mapped[int] = mapped_column(default=0)
    enrolled_at: Mapped[dt.datetime]
    last_activity_at: Mapped[dt.datetime]


class Entry(PropertyScoped, Base):
    """One change of a member's points. ``key`` makes each change happen once: an event
    delivered twice, a till's retried redemption."""

    __tablename__ = "loyalty_entries"
    __table_args__ = (
        UniqueConstraint("property_id", "key"),
        CheckConstraint("points <> 0", name="points_not_zero"),
        Index("ix_loyalty_entries_member", "property_id", "member_id", "id"),
        Index("ix_loyalty_entries_origin", "property_id", "origin"),
    )

    id: Mapped[IdPK]
    member_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("loyalty_members.id", ondelete="CASCADE")
    )
    kind: Mapped[str] = mapped_column(String(20))  # earn, reverse, redeem, expire
    points: Mapped[int]  # signed
    origin: Mapped[str] = mapped_column(String(80))  # order:SO-1001, stay:R-1002, ...
    key: Mapped[str] = mapped_column(String(120))
    note: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[dt.datetime]
