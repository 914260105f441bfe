"""Allocating stock to orders across locations, and holding it for carts.

All or nothing: ``allocate`` raises InsufficientStock for the first line that
cannot be covered, and the caller's transaction rolls back every unit taken
for the other lines. Each unit is taken with the ledger's guarded update, so
two requests racing for the last unit never both get it (see ledger.py).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from plugins.oms_inventory.models import Allocation, Location, StockHold, StockLevel, Variant
from plugins.oms_inventory.service.catalog import settings_for, variant_by_sku
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
    lock_levels,
)
from plugins.oms_inventory.service.reorder import after_change

# A guarded update can lose a race on PostgreSQL after the read that chose it;
# read again and retry a few times before giving up on a location.
MAX_RETRIES_PER_LOCATION = 5


@dataclass(frozen=True)
class LineRequest:
    sku: str
    quantity: int


@dataclass(frozen=True)
class Taken:
    sku: str
    variant_id: int
    location_id: int
    quantity: int


async def describe_taken(
    session: AsyncSession, taken: Sequence[Taken]
) -> list[dict[str, str | int]]:
    """``{"sku", "location" (its code), "quantity"}`` for each taken (or shipped) part."""
    codes = {
        row.id: row.code
        for row in await session.scalars(
            select(Location).where(Location.id.in_({t.location_id for t in taken}))
        )
    }
    skus = {
        row.id: row.sku
        for row in await session.scalars(
            select(Variant).where(Variant.id.in_({t.variant_id for t in taken}))
        )
    }
    return [
        {"sku": skus[t.variant_id], "location": codes[t.location_id], "quantity": t.quantity}
        for t in taken
    ]


async def _candidates(
    session: AsyncSession, variant_id: int, strategy: str
) -> list[tuple[int, int]]:
    """(location_id, available) of active locations, in the order the strategy tries them."""
    rows = (
        await session.execute(
            select(
                Location.id,
                Location.priority,
                StockLevel.on_hand - StockLevel.allocated - StockLevel.held,
            )
            .join(StockLevel, StockLevel.location_id == Location.id)
            .where(StockLevel.variant_id == variant_id, Location.active.is_(True))
        )
    ).all()
    if strategy == "most_stock":
        rows.sort(key=lambda r: (-r[2], r[1], r[0]))
    else:
        rows.sort(key=lambda r: (r[1], r[0]))
    return [(r[0], r[2]) for r in rows]


async def _fresh_available(session: AsyncSession, variant_id: int, location_id: int) -> int:
    row = (
        await session.execute(
            select(StockLevel.on_hand - StockLevel.allocated - StockLevel.held)
            .where(StockLevel.variant_id == variant_id, StockLevel.location_id == location_id)
            .execution_options(populate_existing=True)
        )
    ).first()
    return 0 if row is None else int(row[0])


async def _take_at(
    session: AsyncSession,
    *,
    kind: MovementKind,
    variant_id: int,
    location_id: int,
    wanted: int,
    whole_only: bool,
    reference: str,
    actor: str,
    clock: Clock,
) -> LevelChange | None:
    """Take up to ``wanted`` units at one location (exactly ``wanted`` when ``whole_only``)."""
    field = "allocated" if kind is MovementKind.ALLOCATION else "held"
    for _ in range(MAX_RETRIES_PER_LOCATION):
        available = await _fresh_available(session, variant_id, location_id)
        amount = wanted if whole_only else min(wanted, available)
        if amount <= 0 or amount > available:
            return None
        change = await apply_movement(
            session, kind=kind, variant_id=variant_id, location_id=location_id,
            reference=reference, reason=None, actor=actor, clock=clock, **{field: amount},
        )  # fmt: skip
        if change is not None:
            return change
    return None


async def _take(
    session: AsyncSession,
    *,
    kind: MovementKind,
    line: LineRequest,
    path: list[str],
    reference: str,
    actor: str,
    clock: Clock,
) -> list[tuple[Taken, LevelChange]]:
    positive_quantity(line.quantity, [*path, "quantity"])
    variant = await variant_by_sku(session, line.sku, field=[*path, "sku"])
    settings = await settings_for(session)
    candidates = await _candidates(session, variant.id, settings.strategy)
    # What the error will report: the whole stock, or the best single location.
    offered = [max(a, 0) for _, a in candidates]
    can_offer = sum(offered) if settings.allow_split else max(offered, default=0)
    remaining = line.quantity
    taken: list[tuple[Taken, LevelChange]] = []
    for location_id, _ in candidates:
        change = await _take_at(
            session, kind=kind, variant_id=variant.id, location_id=location_id,
            wanted=remaining, whole_only=not settings.allow_split, reference=reference,
            actor=actor, clock=clock,
        )  # fmt: skip
        if change is None:
            continue
        amount = change.available_before - change.available_after
        taken.append((Taken(variant.sku, variant.id, location_id, amount), change))
        remaining -= amount
        if remaining == 0:
            return taken
    raise InsufficientStock(
        variant.sku, line.quantity, min(can_offer, line.quantity - 1), [*path, "quantity"]
    )


MAX_REFERENCE_LENGTH = 120
MAX_HOLD_KEY_LENGTH = 100  # stored as "hold:<key>" in the ledger's 120-character reference


async def allocate(
    session: AsyncSession,
    *,
    reference: str,
    lines: Sequence[LineRequest],
    hold_key: str | None = None,
    actor: str,
    clock: Clock,
) -> list[Taken]:
    """Allocate every line for ``reference`` (an order), or raise and take nothing.

    ``hold_key`` first releases the cart's holds, so its units count for this order.
    All or nothing by itself, in a savepoint: a caller that catches the error and
    commits (a back-order, say) keeps no half-taken units.
    """
    if not reference.strip() or len(reference) > MAX_REFERENCE_LENGTH:
        raise invalid(
            f"an allocation needs a reference of 1 to {MAX_REFERENCE_LENGTH} characters",
            ["reference"],
        )
    if hold_key is not None and len(hold_key) > MAX_HOLD_KEY_LENGTH:
        raise invalid(f"a hold key has at most {MAX_HOLD_KEY_LENGTH} characters", ["holdKey"])
    async with session.begin_nested():
        return await _allocate(
            session, reference=reference, lines=lines, hold_key=hold_key, actor=actor,
            clock=clock,
        )  # fmt: skip


async def _allocate(
    session: AsyncSession,
    *,
    reference: str,
    lines: Sequence[LineRequest],
    hold_key: str | None,
    actor: str,
    clock: Clock,
) -> list[Taken]:
    if not lines:
        raise invalid("allocate at least one line", ["lines"])
    # Every level this order may touch, locked in one order (see ledger.lock_levels).
    skus = {line.sku.strip() for line in lines}
    touched = select(Variant.id).where(Variant.sku.in_(skus))
    if hold_key:
        touched = touched.union(
            select(StockHold.variant_id).where(
                StockHold.hold_key == hold_key, StockHold.released_at.is_(None)
            )
        )
    await lock_levels(session, StockLevel.variant_id.in_(touched))
    # Checked under the locks: the same order sent twice at once is allocated once.
    existing = await session.scalar(
        select(Allocation.id).where(Allocation.reference == reference).limit(1)
    )
    if existing is not None:
        raise DomainError(
            InventoryErrorCode.CONFLICT, f"{reference} is already allocated", field=["reference"]
        )
    if hold_key:
        await release_hold(session, hold_key=hold_key, actor=actor, clock=clock)
    result: list[Taken] = []
    changes: list[LevelChange] = []
    for index, line in enumerate(lines):
        for taken, change in await _take(
            session, kind=MovementKind.ALLOCATION, line=line, path=["lines", str(index)],
            reference=reference, actor=actor, clock=clock,
        ):  # fmt: skip
            session.add(
                Allocation(
                    reference=reference, variant_id=taken.variant_id,
                    location_id=taken.location_id, quantity=taken.quantity, shipped=0,
                    created_at=clock.now(),
                )
            )  # fmt: skip
            result.append(taken)
            changes.append(change)
    await session.flush()
    for change in changes:
        await after_change(session, change, clock=clock)
    return result


async def _allocations(session: AsyncSession, reference: str) -> list[Allocation]:
    """The reference's allocations, read again once their levels are locked: a release or
    shipment of the same reference that committed meanwhile is then seen, not repeated."""
    statement = select(Allocation).where(Allocation.reference == reference).order_by(Allocation.id)
    rows = (await session.scalars(statement)).all()
    if not rows:
        raise DomainError(
            InventoryErrorCode.NOT_FOUND, f"nothing is allocated to {reference}",
            field=["reference"],
        )  # fmt: skip
    await lock_levels(session, StockLevel.variant_id.in_({a.variant_id for a in rows}))
    return list((await session.scalars(statement.execution_options(populate_existing=True))).all())


async def release(session: AsyncSession, *, reference: str, actor: str, clock: Clock) -> int:
    """Give back every unit allocated to ``reference`` and not yet shipped; returns how many."""
    released = 0
    for allocation in await _allocations(session, reference):
        remaining = allocation.quantity - allocation.shipped
        if remaining == 0:
            continue
        change = await apply_movement(
            session, kind=MovementKind.RELEASE, variant_id=allocation.variant_id,
            location_id=allocation.location_id, allocated=-remaining, reference=reference,
            reason=None, actor=actor, clock=clock,
        )  # fmt: skip
        assert change is not None
        allocation.quantity = allocation.shipped
        released += remaining
    await session.flush()
    return released


async def ship(
    session: AsyncSession,
    *,
    reference: str,
    lines: Sequence[LineRequest] | None,
    location_id: int | None = None,
    actor: str,
    clock: Clock,
) -> list[Taken]:
    """Ship allocated units: out of on hand and out of allocated, in the ledger.

    ``lines`` None ships everything still allocated to ``reference``.
    """
    allocations = await _allocations(session, reference)
    if location_id is not None:
        allocations = [a for a in allocations if a.location_id == location_id]
    wanted: dict[int, int] | None = None
    skus: dict[int, str] = {}
    if lines is not None:
        wanted = {}
        for index, line in enumerate(lines):
            positive_quantity(line.quantity, ["lines", str(index), "quantity"])
            variant = await variant_by_sku(
                session, line.sku, field=["lines", str(index), "sku"], active_only=False
            )
            wanted[variant.id] = wanted.get(variant.id, 0) + line.quantity
            skus[variant.id] = variant.sku
        for variant_id, quantity in wanted.items():
            open_units = sum(
                a.quantity - a.shipped for a in allocations if a.variant_id == variant_id
            )
            if quantity > open_units:
                raise invalid(
                    f"only {open_units} of {skus[variant_id]} are allocated and unshipped",
                    ["lines"],
                )
    shipped: list[Taken] = []
    for allocation in allocations:
        remaining = allocation.quantity - allocation.shipped
        if wanted is not None:
            remaining = min(remaining, wanted.get(allocation.variant_id, 0))
        if remaining <= 0:
            continue
        change = await apply_movement(
            session, kind=MovementKind.SHIPMENT, variant_id=allocation.variant_id,
            location_id=allocation.location_id, on_hand=-remaining, allocated=-remaining,
            reference=reference, reason=None, actor=actor, clock=clock,
        )  # fmt: skip
        assert change is not None
        allocation.shipped += remaining
        if wanted is not None:
            wanted[allocation.variant_id] -= remaining
        shipped.append(Taken("", allocation.variant_id, allocation.location_id, remaining))
    await session.flush()
    return shipped


# -- holds ------------------------------------------------------------------------


async def place_hold(
    session: AsyncSession,
    *,
    hold_key: str,
    line: LineRequest,
    minutes: int | None,
    actor: str,
    clock: Clock,
) -> list[StockHold]:
    """Hold units for a cart; they count against availability until released or expired.

    All or nothing, in a savepoint (see :func:`allocate`)."""
    if not hold_key.strip() or len(hold_key) > MAX_HOLD_KEY_LENGTH:
        raise invalid(
            f"a hold needs a key (the cart's id) of 1 to {MAX_HOLD_KEY_LENGTH} characters",
            ["key"],
        )
    async with session.begin_nested():
        return await _place_hold(
            session, hold_key=hold_key, line=line, minutes=minutes, actor=actor, clock=clock
        )


async def _place_hold(
    session: AsyncSession,
    *,
    hold_key: str,
    line: LineRequest,
    minutes: int | None,
    actor: str,
    clock: Clock,
) -> list[StockHold]:
    settings = await settings_for(session)
    lifetime = dt.timedelta(minutes=settings.hold_minutes if minutes is None else minutes)
    if not dt.timedelta(minutes=1) <= lifetime <= dt.timedelta(days=7):
        raise invalid("a hold lasts 1 minute to 7 days", ["minutes"])
    await lock_levels(
        session,
        StockLevel.variant_id.in_(select(Variant.id).where(Variant.sku == line.sku.strip())),
    )
    holds: list[StockHold] = []
    changes: list[LevelChange] = []
    for taken, change in await _take(
        session, kind=MovementKind.HOLD, line=line, path=[], reference=f"hold:{hold_key}",
        actor=actor, clock=clock,
    ):  # fmt: skip
        hold = StockHold(
            hold_key=hold_key, variant_id=taken.variant_id, location_id=taken.location_id,
            quantity=taken.quantity, expires_at=clock.now() + lifetime, created_at=clock.now(),
        )  # fmt: skip
        session.add(hold)
        holds.append(hold)
        changes.append(change)
    await session.flush()
    for change in changes:
        await after_change(session, change, clock=clock)
    return holds


async def _release_holds(
    session: AsyncSession, holds: Sequence[StockHold], *, reason: str, actor: str, clock: Clock
) -> int:
    if not holds:
        return 0
    await lock_levels(session, StockLevel.variant_id.in_({h.variant_id for h in holds}))
    # Again under the locks: a release that committed meanwhile (the expiry job, the
    # cart's order, the same request twice) must not give the units back twice.
    holds = (
        await session.scalars(
            select(StockHold)
            .where(StockHold.id.in_([h.id for h in holds]), StockHold.released_at.is_(None))
            .order_by(StockHold.id)
            .execution_options(populate_existing=True)
        )
    ).all()
    released = 0
    for hold in holds:
        change = await apply_movement(
            session, kind=MovementKind.HOLD_RELEASE, variant_id=hold.variant_id,
            location_id=hold.location_id, held=-hold.quantity, reference=f"hold:{hold.hold_key}",
            reason=reason, actor=actor, clock=clock,
        )  # fmt: skip
        assert change is not None
        hold.released_at = clock.now()
        released += hold.quantity
    await session.flush()
    return released


async def release_hold(session: AsyncSession, *, hold_key: str, actor: str, clock: Clock) -> int:
    holds = (
        await session.scalars(
            select(StockHold).where(StockHold.hold_key == hold_key, StockHold.released_at.is_(None))
        )
    ).all()
    return await _release_holds(session, holds, reason="released", actor=actor, clock=clock)


async def release_expired_holds(session: AsyncSession, *, clock: Clock) -> int:
    """Release every hold past its expiry in the session's scope (the job fans out)."""
    holds = (
        await session.scalars(
            select(StockHold)
            .where(StockHold.released_at.is_(None), StockHold.expires_at <= clock.now())
            .order_by(StockHold.id)
            .limit(1000)
        )
    ).all()
    return await _release_holds(session, holds, reason="expired", actor="job:holds", clock=clock)
