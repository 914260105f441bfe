"""What must always hold in oms_inventory's data (``concierge check``): each stock level
equals its ledger, promises no more than is on hand, and its allocated units are its
open allocations."""

from __future__ import annotations

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.invariants import CheckContext, Invariant
from plugins.oms_inventory.models import Allocation, Location, StockLevel, StockMovement, Variant


async def _levels(session: AsyncSession) -> dict[tuple[int, int], tuple[StockLevel, str]]:
    """Every level with a readable name (SKU at location)."""
    rows = await session.execute(
        select(StockLevel, Variant.sku, Location.code)
        .join(Variant, Variant.id == StockLevel.variant_id)
        .join(Location, Location.id == StockLevel.location_id)
    )
    return {
        (level.variant_id, level.location_id): (level, f"{sku} at {code}")
        for level, sku, code in rows
    }


async def levels_match_ledger(session: AsyncSession, context: CheckContext) -> list[str]:
    m = StockMovement
    sums = {
        (row.variant_id, row.location_id): (int(row.on_hand), int(row.allocated), int(row.held))
        for row in await session.execute(
            select(
                m.variant_id, m.location_id, func.sum(m.on_hand_delta).label("on_hand"),
                func.sum(m.allocated_delta).label("allocated"),
                func.sum(m.held_delta).label("held"),
            ).group_by(m.variant_id, m.location_id)
        )
    }  # fmt: skip
    problems = []
    for key, (level, name) in (await _levels(session)).items():
        stored = (level.on_hand, level.allocated, level.held)
        ledger = sums.get(key, (0, 0, 0))
        if stored != ledger:
            problems.append(
                f"level {name}: on hand/allocated/held {stored}, its ledger says {ledger}"
            )
    return problems


async def nothing_oversold(session: AsyncSession, context: CheckContext) -> list[str]:
    problems = []
    for level, name in (await _levels(session)).values():
        if min(level.on_hand, level.allocated, level.held) < 0 or (
            level.allocated + level.held > level.on_hand
        ):
            problems.append(
                f"level {name}: {level.on_hand} on hand, {level.allocated} allocated, "
                f"{level.held} held"
            )
    return problems


async def allocations_match_levels(session: AsyncSession, context: CheckContext) -> list[str]:
    a = Allocation
    open_units = {
        (row.variant_id, row.location_id): int(row.units)
        for row in await session.execute(
            select(
                a.variant_id, a.location_id, func.sum(a.quantity - a.shipped).label("units")
            ).group_by(a.variant_id, a.location_id)
        )
    }
    return [
        f"level {name}: {level.allocated} allocated, its open allocations hold "
        f"{open_units.get(key, 0)}"
        for key, (level, name) in (await _levels(session)).items()
        if level.allocated != open_units.get(key, 0)
    ]


INVARIANTS = [
    Invariant(
        "oms_inventory.levels_match_ledger",
        "each level's on hand, allocated and held equal the sums of its ledger",
        levels_match_ledger,
    ),
    Invariant(
        "oms_inventory.nothing_oversold",
        "no level is negative or promises more than is on hand",
        nothing_oversold,
    ),
    Invariant(
        "oms_inventory.allocations_match_levels",
        "each level's allocated units are its open allocations' units",
        allocations_match_levels,
    ),
]
