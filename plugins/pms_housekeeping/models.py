"""Tables of pms_housekeeping: each room's condition and its history, out-of-order and
out-of-service blocks, cleaning and inspection tasks, per-property settings.

Rooms and stays belong to pms_rooms; these tables point at its rooms and read
stays through ``plugins.pms_rooms.service.views``. Occupancy is never stored:
it is whether pms_rooms has a stay in house in the room.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, IdPK, PropertyScoped


class HousekeepingSettings(PropertyScoped, Base):
    __tablename__ = "hk_settings"
    __table_args__ = (UniqueConstraint("property_id"),)

    id: Mapped[IdPK]
    # Check-in needs an inspected room (True) or a clean one is enough (False).
    inspection_required: Mapped[bool] = mapped_column(Boolean, default=False)
    # The daily job makes occupied rooms dirty and gives each a stay-over task.
    stay_over_cleaning: Mapped[bool] = mapped_column(Boolean, default=True)
    # The business date the daily job last made stay-over tasks for (once a day).
    stay_overs_made_for: Mapped[dt.date | None] = mapped_column(Date)


class RoomCondition(PropertyScoped, Base):
    """A room's condition now. A room without a row is clean (never marked otherwise)."""

    __tablename__ = "hk_room_conditions"
    __table_args__ = (
        UniqueConstraint("room_id"),
        Index("ix_hk_room_conditions_condition", "property_id", "condition"),
    )

    id: Mapped[IdPK]
    room_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pms_rooms.id", ondelete="CASCADE"))
    condition: Mapped[str] = mapped_column(String(12))  # dirty, clean, inspected
    changed_at: Mapped[dt.datetime | None]
    changed_by: Mapped[str] = mapped_column(String(80), default="")


class ConditionChange(PropertyScoped, Base):
    """One change of a room's condition: from what, to what, why, by whom."""

    __tablename__ = "hk_condition_changes"
    __table_args__ = (
        Index("ix_hk_condition_changes_room", "room_id", "id"),
        Index("ix_hk_condition_changes_property", "property_id", "id"),
    )

    id: Mapped[IdPK]
    room_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pms_rooms.id", ondelete="CASCADE"))
    previous: Mapped[str] = mapped_column(String(12))
    condition: Mapped[str] = mapped_column(String(12))
    # check_out, check_in_reverted, room_move, stay_over, cleaned, inspected,
    # inspection_failed, manual
    reason: Mapped[str] = mapped_column(String(40))
    note: Mapped[str] = mapped_column(Text, default="")
    task_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("hk_tasks.id", ondelete="SET NULL")
    )
    actor: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]


class RoomBlock(PropertyScoped, Base):
    """A room out of order (not sold) or out of service (sold, with a known defect) for
    the nights from ``start`` to ``end`` (excluded), like a stay's arrival and departure."""

    __tablename__ = "hk_room_blocks"
    __table_args__ = (
        CheckConstraint("end_date > start_date", name="end_after_start"),
        Index("ix_hk_room_blocks_room", "room_id", "start_date"),
        Index("ix_hk_room_blocks_dates", "property_id", "end_date", "start_date"),
    )

    id: Mapped[IdPK]
    room_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pms_rooms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # out_of_order, out_of_service
    reason: Mapped[str] = mapped_column(String(200))
    start_date: Mapped[dt.date] = mapped_column(Date)
    end_date: Mapped[dt.date] = mapped_column(Date)
    # active; released: ended early by hand (end_date moved to the day it ended);
    # canceled: called off before its first night (its dates kept, blocking nothing).
    status: Mapped[str] = mapped_column(String(12), default="active")
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]
    released_at: Mapped[dt.datetime | None]
    released_by: Mapped[str | None] = mapped_column(String(80))


class HousekeepingTask(PropertyScoped, Base):
    """Work on one room: a departure or stay-over cleaning, an inspection, a repair."""

    __tablename__ = "hk_tasks"
    __table_args__ = (
        # Tasks made by hooks and the daily job carry a key: made twice, kept once.
        UniqueConstraint("property_id", "source_key"),
        Index("ix_hk_tasks_property", "property_id", "id"),
        Index("ix_hk_tasks_open", "property_id", "status", "business_date"),
        Index("ix_hk_tasks_assignee", "assignee_user_id", "status", "id"),
        Index("ix_hk_tasks_room", "room_id", "status"),
    )

    id: Mapped[IdPK]
    room_id: Mapped[int] = mapped_column(BigIntPK, ForeignKey("pms_rooms.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(20))  # departure, stay_over, inspection, maintenance
    status: Mapped[str] = mapped_column(String(20))  # see transitions.py
    business_date: Mapped[dt.date] = mapped_column(Date)  # the hotel day it is for
    assignee_user_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("users.id", ondelete="SET NULL")
    )
    note: Mapped[str] = mapped_column(Text, default="")
    source_key: Mapped[str | None] = mapped_column(String(80))
    created_by: Mapped[str] = mapped_column(String(80))
    created_at: Mapped[dt.datetime]
    started_at: Mapped[dt.datetime | None]
    finished_at: Mapped[dt.datetime | None]
    finished_by: Mapped[str | None] = mapped_column(String(80))
    inspected_at: Mapped[dt.datetime | None]
    inspected_by: Mapped[str | None] = mapped_column(String(80))
    canceled_at: Mapped[dt.datetime | None]
