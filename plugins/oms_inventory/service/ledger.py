"""The one way stock levels change: a guarded update plus a ledger row, together.

Every change is a conditional UPDATE that refuses to take any quantity below
zero or to promise more than is on hand, and the database's CHECK constraints
say the same. Under concurrency this is what makes overselling impossible:
on PostgreSQL the WHERE clause is re-checked after waiting for a concurrent
writer (READ COMMITTED), on SQLite write transactions run one at a time
(BEGIN IMMEDIATE). A refused change returns None and writes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import session_scope, upsert_insert
from core.events import record_event
from plugins.oms_inventory.models import StockLevel, StockMovement, Variant


class MovementKind(Enum):
    RECEIPT = "receipt"
    ADJUSTMENT = "adjustment"
    ALLOCATION = "allocation"
    RELEASE = "release"
    SHIPMENT = "shipment"
    RETURN = "return"
    TRANSFER_OUT = "transfer_out"
    TRANSFER_IN = "transfer_in"
    HOLD = "hold"
    HOLD_RELEASE = "hold_release"


@dataclass(frozen=True)
class LevelChange:
    """A level before and after one applied movement."""

    level_id: int
    variant_id: int
    location_id: int
    available_before: int
    available_after: int


async def level_for(session: AsyncSession, variant_id: int, location_id: int) -> StockLevel:
    """The level of a SKU at a location, created empty on first use (race-safe)."""
    level = await session.scalar(
        select(StockLevel).where(
            StockLevel.variant_id == variant_id, StockLevel.location_id == location_id
        )
    )
    if level is not None:
        return level
    scope = session_scope(session)
    values = {
        "tenant_id": scope.tenant_id,
        "property_id": scope.property_id,
        "variant_id": variant_id,
        "location_id": location_id,
        "on_hand": 0,
        "allocated": 0,
        "held": 0,
    }
    # Two requests may create the same level at once: the loser's insert does nothing.
    await session.execute(
        upsert_insert(session, StockLevel)
        .values(**values)
        .on_conflict_do_nothing(index_elements=["variant_id", "location_id"])
    )
    level = await session.scalar(
        select(StockLevel)
        .where(StockLevel.variant_id == variant_id, StockLevel.location_id == location_id)
        .execution_options(populate_existing=True)
    )
    assert level is not None
    return level


async def lock_levels(session: AsyncSession, *where: Any) -> None:
    """Lock the levels matching ``where`` in id order, before changing any of them.

    A transaction that changes several levels (an order's lines, a split over
    locations, a transfer) would otherwise lock each as it goes, in its own order;
    two of them on PostgreSQL can then each hold a row the other waits for, and
    one fails with a deadlock. Taking the locks up front in one order makes them
    queue instead. SQLite runs one writer at a time (BEGIN IMMEDIATE) already.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    await session.execute(
        select(StockLevel.id).where(*where).order_by(StockLevel.id).with_for_update()
    )


async def apply_movement(
    session: AsyncSession,
    *,
    kind: MovementKind,
    variant_id: int,
    location_id: int,
    on_hand: int = 0,
    allocated: int = 0,
    held: int = 0,
    reference: str | None,
    reason: str | None,
    actor: str,
    clock: Clock,
) -> LevelChange | None:
    """Change one level by the given deltas and record it; None if that would break a rule."""
    level = await level_for(session, variant_id, location_id)
    new_on_hand = StockLevel.on_hand + on_hand
    new_allocated = StockLevel.allocated + allocated
    new_held = StockLevel.held + held
    result = await session.execute(
        update(StockLevel)
        .where(
            StockLevel.id == level.id,
            new_on_hand >= 0,
            new_allocated >= 0,
            new_held >= 0,
            new_on_hand - new_allocated - new_held >= 0,
        )
        .values(on_hand=new_on_hand, allocated=new_allocated, held=new_held)
        .returning(StockLevel.on_hand, StockLevel.allocated, StockLevel.held)
        .execution_options(synchronize_session=False)
    )
    row = result.first()
    if row is None:
        return None
    available_after = row.on_hand - row.allocated - row.held
    session.add(
        StockMovement(
            kind=kind.value,
            variant_id=variant_id,
            location_id=location_id,
            on_hand_delta=on_hand,
            allocated_delta=allocated,
            held_delta=held,
            reference=reference,
            reason=reason,
            actor=actor,
            created_at=clock.now(),
        )
    )
    sku = await session.scalar(select(Variant.sku).where(Variant.id == variant_id))
    record_event(
        session, "oms_inventory.stock_changed",
        {"level_id": level.id, "sku": sku, "location_id": location_id, "kind": kind.value,
         "on_hand_delta": on_hand, "allocated_delta": allocated, "held_delta": held,
         "on_hand": row.on_hand, "allocated": row.allocated, "held": row.held,
         "available": available_after, "reference": reference},
        clock=clock,
    )  # fmt: skip
    return LevelChange(
        level_id=level.id,
        variant_id=variant_id,
        location_id=location_id,
        available_before=available_after - (on_hand - allocated - held),
        available_after=available_after,
    )


async def available_at(session: AsyncSession, variant_id: int, location_id: int) -> int:
    row = (
        await session.execute(
            select(StockLevel.on_hand, StockLevel.allocated, StockLevel.held).where(
                StockLevel.variant_id == variant_id, StockLevel.location_id == location_id
            )
        )
    ).first()
    return 0 if row is None else row.on_hand - row.allocated - row.held
