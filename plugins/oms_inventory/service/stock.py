"""Receiving, adjusting, transferring and returning stock at a location."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from plugins.oms_inventory.models import StockLevel
from plugins.oms_inventory.service.catalog import location_by_code, variant_by_sku
from plugins.oms_inventory.service.errors import (
    InsufficientStock,
    InventoryErrorCode,
    invalid,
    positive_quantity,
)
from plugins.oms_inventory.service.ledger import (
    LevelChange,
    MovementKind,
    apply_movement,
    available_at,
    lock_levels,
)
from plugins.oms_inventory.service.reorder import after_change


async def receive_stock(
    session: AsyncSession,
    *,
    sku: str,
    location_code: str,
    quantity: int,
    reference: str | None,
    actor: str,
    clock: Clock,
) -> LevelChange:
    positive_quantity(quantity, ["quantity"])
    variant = await variant_by_sku(session, sku, field=["sku"], active_only=False)
    location = await location_by_code(session, location_code, field=["location"])
    change = await apply_movement(
        session, kind=MovementKind.RECEIPT, variant_id=variant.id, location_id=location.id,
        on_hand=quantity, reference=reference, reason=None, actor=actor, clock=clock,
    )  # fmt: skip
    assert change is not None  # adding stock cannot break a rule
    return change


async def adjust_stock(
    session: AsyncSession,
    *,
    sku: str,
    location_code: str,
    delta: int,
    reason: str,
    actor: str,
    clock: Clock,
) -> LevelChange:
    """Correct on-hand stock after a count; never below what is promised (allocated, held)."""
    if delta == 0:
        raise invalid("an adjustment changes the quantity: it cannot be 0", ["quantity"])
    if not reason.strip():
        raise invalid("say why: an adjustment needs a reason", ["reason"])
    variant = await variant_by_sku(session, sku, field=["sku"], active_only=False)
    location = await location_by_code(session, location_code, field=["location"])
    change = await apply_movement(
        session, kind=MovementKind.ADJUSTMENT, variant_id=variant.id, location_id=location.id,
        on_hand=delta, reference=None, reason=reason.strip()[:300], actor=actor, clock=clock,
    )  # fmt: skip
    if change is None:
        available = await available_at(session, variant.id, location.id)
        raise InsufficientStock(variant.sku, -delta, available, ["quantity"])
    await after_change(session, change, clock=clock)
    return change


async def transfer_stock(
    session: AsyncSession,
    *,
    sku: str,
    from_code: str,
    to_code: str,
    quantity: int,
    actor: str,
    clock: Clock,
) -> tuple[LevelChange, LevelChange]:
    positive_quantity(quantity, ["quantity"])
    if from_code.strip() == to_code.strip():
        raise DomainError(
            InventoryErrorCode.SAME_LOCATION,
            "a transfer goes to another location",
            field=["toLocation"],
        )
    variant = await variant_by_sku(session, sku, field=["sku"], active_only=False)
    source = await location_by_code(session, from_code, field=["fromLocation"])
    target = await location_by_code(session, to_code, field=["toLocation"])
    reference = f"transfer:{source.code}->{target.code}"
    # Both levels, in one order: a transfer the other way waits instead of deadlocking.
    await lock_levels(
        session,
        StockLevel.variant_id == variant.id,
        StockLevel.location_id.in_((source.id, target.id)),
    )
    out = await apply_movement(
        session, kind=MovementKind.TRANSFER_OUT, variant_id=variant.id, location_id=source.id,
        on_hand=-quantity, reference=reference, reason=None, actor=actor, clock=clock,
    )  # fmt: skip
    if out is None:
        available = await available_at(session, variant.id, source.id)
        raise InsufficientStock(variant.sku, quantity, available, ["quantity"])
    into = await apply_movement(
        session, kind=MovementKind.TRANSFER_IN, variant_id=variant.id, location_id=target.id,
        on_hand=quantity, reference=reference, reason=None, actor=actor, clock=clock,
    )  # fmt: skip
    assert into is not None
    await after_change(session, out, clock=clock)
    return out, into


async def return_stock(
    session: AsyncSession,
    *,
    sku: str,
    location_code: str,
    quantity: int,
    restock: bool,
    reference: str | None,
    actor: str,
    clock: Clock,
) -> LevelChange | None:
    """A customer return: back on hand when ``restock``, else recorded as written off."""
    positive_quantity(quantity, ["quantity"])
    variant = await variant_by_sku(session, sku, field=["sku"], active_only=False)
    location = await location_by_code(session, location_code, field=["location"])
    change = await apply_movement(
        session, kind=MovementKind.RETURN, variant_id=variant.id, location_id=location.id,
        on_hand=quantity if restock else 0, reference=reference,
        reason=None if restock else f"written off: {quantity} returned unsellable",
        actor=actor, clock=clock,
    )  # fmt: skip
    return change
