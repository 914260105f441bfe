"""Points from other plugins' events: orders paid and refunded (oms_orders), stays checked
out (pms_rooms). Nothing here imports those plugins: events are their public contract
(docs/events.md), so loyalty runs on a shop, a hotel or a resort alike.

Delivery is at least once, so each reaction is keyed by the id the event names (a
payment, a refund, a reservation): a second delivery finds its entry and does nothing.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from core.clock import Clock
from core.db import session_scope
from core.events import DomainEvent, EventContext
from core.tenancy import Property
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty import service
from loyalty.rules import points_for

Reaction = Callable[[AsyncSession, dict[str, Any], Clock], Awaitable[None]]


async def order_paid(session: AsyncSession, payload: dict[str, Any], clock: Clock) -> None:
    rate = (await service.settings_for(session)).points_per_order_unit
    await service.earn(
        session, payload["email"],
        points_for(payload["amount_minor"], payload["currency"], rate),
        origin=f"order:{payload['number']}", key=f"payment:{payload['payment_id']}",
        note=f"order {payload['number']}", clock=clock,
    )  # fmt: skip


async def order_refunded(session: AsyncSession, payload: dict[str, Any], clock: Clock) -> None:
    rate = (await service.settings_for(session)).points_per_order_unit
    await service.reverse(
        session, f"order:{payload['number']}",
        points_for(payload["amount_minor"], payload["currency"], rate),
        key=f"refund:{payload['payment_id']}", note=f"refund on order {payload['number']}",
        clock=clock,
    )  # fmt: skip


async def stay_checked_out(session: AsyncSession, payload: dict[str, Any], clock: Clock) -> None:
    if not payload.get("guest_email"):
        return
    rate = (await service.settings_for(session)).points_per_stay_unit
    hotel = await session.get(Property, session_scope(session).property_id)
    currency = hotel.currency if hotel is not None else "EUR"
    await service.earn(
        session, payload["guest_email"],
        points_for(payload.get("charges_minor", 0), currency, rate),
        origin=f"stay:{payload['number']}", key=f"stay:{payload['reservation_id']}",
        note=f"stay {payload['number']}", clock=clock,
    )  # fmt: skip


REACTIONS: dict[str, Reaction] = {
    "oms_orders.payment_recorded": order_paid,
    "oms_orders.refund_recorded": order_refunded,
    "pms_rooms.reservation_checked_out": stay_checked_out,
}


async def react(event: DomainEvent, context: EventContext) -> None:
    reaction = REACTIONS.get(event.name)
    if reaction is None:
        return
    async with context.transaction() as session:
        await reaction(session, event.payload, context.clock)
