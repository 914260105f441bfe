"""What a stay costs on a rate plan, night by night, and which restrictions it breaks."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from plugins.pms_rooms.models import RateOverride, RatePlan
from plugins.pms_rooms.service.common import nights


@dataclass(frozen=True)
class Quote:
    prices: dict[dt.date, int]
    broken: list[str]  # the restrictions the stay breaks, readable; empty: bookable

    @property
    def total(self) -> int:
        return sum(self.prices.values())


async def overrides_for(
    session: AsyncSession, plan_ids: list[int], start: dt.date, end: dt.date
) -> dict[tuple[int, dt.date], RateOverride]:
    """Overrides of ``plan_ids`` from ``start`` to ``end`` (included), by (plan, date)."""
    rows = await session.scalars(
        select(RateOverride).where(
            RateOverride.rate_plan_id.in_(plan_ids),
            RateOverride.date >= start,
            RateOverride.date <= end,
        )
    )
    return {(row.rate_plan_id, row.date): row for row in rows}


def quote(
    plan: RatePlan,
    arrival: dt.date,
    departure: dt.date,
    overrides: dict[tuple[int, dt.date], RateOverride],
) -> Quote:
    """Nightly prices and broken restrictions: closed on any night, closed to arrival on
    the arrival date, closed to departure on the departure date, and the minimum and
    maximum stay that apply on the arrival date."""
    prices: dict[dt.date, int] = {}
    broken: list[str] = []
    for night in nights(arrival, departure):
        override = overrides.get((plan.id, night))
        prices[night] = (
            override.price_minor
            if override is not None and override.price_minor is not None
            else plan.base_price_minor
        )
        if override is not None and override.closed:
            broken.append(f"closed on {night.isoformat()}")
    on_arrival = overrides.get((plan.id, arrival))
    on_departure = overrides.get((plan.id, departure))
    if on_arrival is not None and on_arrival.closed_to_arrival:
        broken.append(f"closed to arrival on {arrival.isoformat()}")
    if on_departure is not None and on_departure.closed_to_departure:
        broken.append(f"closed to departure on {departure.isoformat()}")
    min_stay = on_arrival.min_stay if on_arrival and on_arrival.min_stay else plan.min_stay
    max_stay = on_arrival.max_stay if on_arrival and on_arrival.max_stay else plan.max_stay
    length = (departure - arrival).days
    if length < min_stay:
        broken.append(f"minimum stay {min_stay} nights")
    if max_stay is not None and length > max_stay:
        broken.append(f"maximum stay {max_stay} nights")
    return Quote(prices, broken)


def cancellation_fee(plan: RatePlan, prices: dict[str, int], days_before_arrival: int) -> int:
    """The fee for canceling ``days_before_arrival`` days before arrival (0: free)."""
    if days_before_arrival >= plan.free_cancellation_days:
        return 0
    total = sum(prices.values())
    if plan.cancellation_fee_kind == "first_night":
        return prices[min(prices)] if prices else 0
    if plan.cancellation_fee_kind == "percent":
        return (total * plan.cancellation_fee_value + 5_000) // 10_000
    return min(plan.cancellation_fee_value, total)
