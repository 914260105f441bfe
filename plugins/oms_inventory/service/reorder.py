"""Reorder rules, draft purchase orders, receiving them, and low/out-of-stock events.

Odoo's order points: when a SKU's forecast at a location (available plus what
open purchase orders will bring) falls below the rule's minimum, a draft
purchase order line is raised for ``maximum - forecast``, rounded up to the
rule's multiple. Receiving a purchase order adds the stock through the ledger.
"""

from __future__ import annotations

import math

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import advisory_xact_lock, session_scope
from core.errors import DomainError
from core.events import record_event
from plugins.oms_inventory.models import (
    PurchaseOrder,
    PurchaseOrderLine,
    ReorderRule,
    StockLevel,
    Variant,
)
from plugins.oms_inventory.service.catalog import location_by_code, variant_by_sku
from plugins.oms_inventory.service.errors import InventoryErrorCode, invalid, not_found
from plugins.oms_inventory.service.ledger import (
    LevelChange,
    MovementKind,
    apply_movement,
    available_at,
    lock_levels,
)

OPEN_STATUSES = ("draft", "ordered", "partially_received")
# Allowed purchase order transitions, in one place.
PO_TRANSITIONS = {
    "draft": {"ordered", "canceled"},
    "ordered": {"partially_received", "received", "canceled"},
    # Canceling a partly received order closes it short: what arrived stays.
    "partially_received": {"partially_received", "received", "canceled"},
    "received": set(),
    "canceled": set(),
}


async def set_reorder_rule(
    session: AsyncSession,
    *,
    sku: str,
    location_code: str,
    minimum: int,
    maximum: int,
    multiple: int,
    clock: Clock,
) -> ReorderRule:
    if minimum < 0:
        raise invalid("the minimum cannot be negative", ["minimum"])
    if maximum < minimum:
        raise invalid("the maximum must be at least the minimum", ["maximum"])
    if multiple < 1:
        raise invalid("the multiple is at least 1", ["multiple"])
    variant = await variant_by_sku(session, sku, field=["sku"])
    location = await location_by_code(session, location_code, field=["location"])
    rule = await session.scalar(
        select(ReorderRule).where(
            ReorderRule.variant_id == variant.id, ReorderRule.location_id == location.id
        )
    )
    if rule is None:
        rule = ReorderRule(variant_id=variant.id, location_id=location.id)
        session.add(rule)
    rule.minimum, rule.maximum, rule.multiple = minimum, maximum, multiple
    await session.flush()
    await check_reorder(session, variant.id, location.id, clock=clock)
    return rule


async def _incoming(session: AsyncSession, variant_id: int, location_id: int) -> int:
    return int(
        await session.scalar(
            select(
                func.coalesce(func.sum(PurchaseOrderLine.quantity - PurchaseOrderLine.received), 0)
            )
            .join(PurchaseOrder, PurchaseOrder.id == PurchaseOrderLine.purchase_order_id)
            .where(
                PurchaseOrderLine.variant_id == variant_id,
                PurchaseOrder.location_id == location_id,
                PurchaseOrder.status.in_(OPEN_STATUSES),
            )
        )
        or 0
    )


def reorder_quantity(forecast: int, rule: ReorderRule) -> int:
    """Up to the maximum, rounded up to the multiple; nothing when not below the minimum."""
    if forecast >= rule.minimum:
        return 0
    wanted = rule.maximum - forecast
    return math.ceil(wanted / rule.multiple) * rule.multiple


async def _one_draft_at_a_time(session: AsyncSession) -> None:
    """Make transactions raising suggestions in one property wait for each other, so two
    SKUs falling below their minimums at once neither open two drafts nor both number
    theirs PO-000001 (a unique violation). PostgreSQL: a transaction-level advisory
    lock, taken after any stock level lock; SQLite runs one writer at a time already."""
    property_id = session_scope(session).property_id
    await advisory_xact_lock(session, f"concierge.oms_inventory.purchase_orders:{property_id}")


async def _forecast(session: AsyncSession, variant_id: int, location_id: int) -> int:
    return await available_at(session, variant_id, location_id) + await _incoming(
        session, variant_id, location_id
    )


async def check_reorder(
    session: AsyncSession, variant_id: int, location_id: int, *, clock: Clock
) -> PurchaseOrderLine | None:
    """Raise a draft purchase order line if the forecast fell below the rule's minimum."""
    rule = await session.scalar(
        select(ReorderRule).where(
            ReorderRule.variant_id == variant_id, ReorderRule.location_id == location_id
        )
    )
    if rule is None:
        return None
    if reorder_quantity(await _forecast(session, variant_id, location_id), rule) <= 0:
        return None
    await _one_draft_at_a_time(session)
    # Again under the lock: a suggestion committed meanwhile may already cover it.
    forecast = await _forecast(session, variant_id, location_id)
    quantity = reorder_quantity(forecast, rule)
    if quantity <= 0:
        return None
    order = await session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.location_id == location_id, PurchaseOrder.status == "draft")
        .order_by(PurchaseOrder.id)
        .limit(1)
    )
    if order is None:
        count = await session.scalar(select(func.count()).select_from(PurchaseOrder)) or 0
        order = PurchaseOrder(
            number=f"PO-{count + 1:06d}", status="draft", location_id=location_id,
            created_at=clock.now(),
        )  # fmt: skip
        session.add(order)
        await session.flush()
    line = await session.scalar(
        select(PurchaseOrderLine).where(
            PurchaseOrderLine.purchase_order_id == order.id,
            PurchaseOrderLine.variant_id == variant_id,
        )
    )
    if line is None:
        line = PurchaseOrderLine(
            purchase_order_id=order.id, variant_id=variant_id, quantity=quantity, received=0
        )
        session.add(line)
    else:
        line.quantity += quantity
    await session.flush()
    sku = await session.scalar(select(Variant.sku).where(Variant.id == variant_id))
    record_event(
        session,
        "oms_inventory.reorder_suggested",
        {"purchase_order": order.number, "sku": sku, "quantity": quantity, "forecast": forecast},
        clock=clock,
    )
    return line


async def after_change(session: AsyncSession, change: LevelChange, *, clock: Clock) -> None:
    """Events and reorder suggestions when availability drops across a threshold."""
    before, after = change.available_before, change.available_after
    if after >= before:
        return
    sku = await session.scalar(select(Variant.sku).where(Variant.id == change.variant_id))
    payload = {"sku": sku, "location_id": change.location_id, "available": after}
    if after == 0 < before:
        record_event(session, "oms_inventory.stock_out", payload, clock=clock)
    rule = await session.scalar(
        select(ReorderRule).where(
            ReorderRule.variant_id == change.variant_id,
            ReorderRule.location_id == change.location_id,
        )
    )
    if rule is not None:
        if after < rule.minimum <= before:
            record_event(
                session, "oms_inventory.stock_low", {**payload, "minimum": rule.minimum},
                clock=clock,
            )  # fmt: skip
        await check_reorder(session, change.variant_id, change.location_id, clock=clock)


async def _purchase_order(session: AsyncSession, number: str) -> PurchaseOrder:
    """The order, locked (PostgreSQL) until commit: two receipts of it booked at once
    take turns, so neither counts from a stale ``received`` nor passes a stale status."""
    order = await session.scalar(
        select(PurchaseOrder)
        .where(PurchaseOrder.number == number)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    )
    if order is None:
        raise not_found(f"purchase order {number}", ["number"])
    return order


def _transition(order: PurchaseOrder, status: str) -> None:
    if status not in PO_TRANSITIONS[order.status]:
        raise DomainError(
            InventoryErrorCode.INVALID_TRANSITION,
            f"a {order.status} purchase order cannot become {status}",
            field=["number"],
        )
    order.status = status


async def place_purchase_order(
    session: AsyncSession, number: str, *, clock: Clock
) -> PurchaseOrder:
    # The same lock as raising a suggestion: a line cannot join the draft while
    # it is being sent, and a suggestion raised after it opens a new draft.
    await _one_draft_at_a_time(session)
    order = await _purchase_order(session, number)
    _transition(order, "ordered")
    order.ordered_at = clock.now()
    await session.flush()
    return order


async def cancel_purchase_order(session: AsyncSession, number: str) -> PurchaseOrder:
    await _one_draft_at_a_time(session)
    order = await _purchase_order(session, number)
    _transition(order, "canceled")
    await session.flush()
    return order


async def receive_purchase_order(
    session: AsyncSession,
    number: str,
    received: list[tuple[str, int]],
    *,
    actor: str,
    clock: Clock,
) -> PurchaseOrder:
    """Book received quantities (sku, quantity) into the PO's location through the ledger."""
    order = await _purchase_order(session, number)
    if order.status not in ("ordered", "partially_received"):
        raise DomainError(
            InventoryErrorCode.INVALID_TRANSITION,
            f"a {order.status} purchase order cannot be received; place it first",
            field=["number"],
        )
    if not received:
        raise invalid("receive at least one line", ["lines"])
    skus = {sku.strip() for sku, _ in received}
    await lock_levels(
        session,
        StockLevel.location_id == order.location_id,
        StockLevel.variant_id.in_(select(Variant.id).where(Variant.sku.in_(skus))),
    )
    for index, (sku, quantity) in enumerate(received):
        path = ["lines", str(index)]
        if quantity <= 0:
            raise invalid("the quantity must be a positive whole number", [*path, "quantity"])
        variant = await variant_by_sku(session, sku, field=[*path, "sku"], active_only=False)
        line = await session.scalar(
            select(PurchaseOrderLine).where(
                PurchaseOrderLine.purchase_order_id == order.id,
                PurchaseOrderLine.variant_id == variant.id,
            )
        )
        if line is None:
            raise not_found(f"{sku} on {number}", [*path, "sku"])
        if line.received + quantity > line.quantity:
            raise invalid(
                f"only {line.quantity - line.received} of {sku} are still due", [*path, "quantity"]
            )
        line.received += quantity
        await apply_movement(
            session, kind=MovementKind.RECEIPT, variant_id=variant.id,
            location_id=order.location_id, on_hand=quantity, reference=number, reason=None,
            actor=actor, clock=clock,
        )  # fmt: skip
    lines = (
        await session.scalars(
            select(PurchaseOrderLine).where(PurchaseOrderLine.purchase_order_id == order.id)
        )
    ).all()
    complete = all(line.received == line.quantity for line in lines)
    _transition(order, "received" if complete else "partially_received")
    if complete:
        order.received_at = clock.now()
    await session.flush()
    return order
