"""Room types, rooms, rate plans and their date overrides: what the hotel sells."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.money import MAX_MINOR_UNITS
from plugins.pms_rooms.models import RateOverride, RatePlan, Room, RoomType
from plugins.pms_rooms.service.errors import RoomsErrorCode, invalid, not_found

FEE_KINDS = ("first_night", "percent", "fixed")


def _code(value: str, field: list[str], limit: int = 20) -> str:
    value = value.strip()
    if not value or len(value) > limit or not all(c.isalnum() or c in "-_." for c in value):
        raise invalid(f"a code has 1 to {limit} letters, digits, - _ or .", field)
    return value


def _text(value: str, limit: int, field: list[str]) -> str:
    value = value.strip()
    if len(value) > limit:
        raise invalid(f"at most {limit} characters", field)
    return value


async def _unique(session: AsyncSession, model: type, column: str, value: str, what: str) -> None:
    if await session.scalar(select(model.id).where(getattr(model, column) == value)) is not None:
        raise DomainError(RoomsErrorCode.CONFLICT, f"{what} {value} exists", field=[column])


async def room_type_by_code(session: AsyncSession, code: str, field: list[str]) -> RoomType:
    row = await session.scalar(select(RoomType).where(RoomType.code == code.strip()))
    if row is None:
        raise not_found(f"room type {code}", field)
    return row


async def create_room_type(
    session: AsyncSession, *, code: str, name: str, capacity: int, beds: str, description: str
) -> RoomType:
    code = _code(code, ["code"])
    if not name.strip():
        raise invalid("a room type needs a name", ["name"])
    if not 1 <= capacity <= 50:
        raise invalid("capacity is 1 to 50 guests", ["capacity"])
    await _unique(session, RoomType, "code", code, "room type")
    row = RoomType(
        code=code, name=_text(name, 120, ["name"]), capacity=capacity,
        beds=_text(beds, 120, ["beds"]), description=_text(description, 2000, ["description"]),
        active=True,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def create_room(
    session: AsyncSession, *, number: str, room_type: str, floor: str, features: list[str]
) -> Room:
    number = _code(number, ["number"])
    kind = await room_type_by_code(session, room_type, ["roomType"])
    await _unique(session, Room, "number", number, "room")
    if len(features) > 30 or any(len(f) > 60 or not f.strip() for f in features):
        raise invalid("at most 30 features of 1 to 60 characters", ["features"])
    row = Room(
        number=number, room_type_id=kind.id, floor=_text(floor, 20, ["floor"]),
        features=[f.strip() for f in features], active=True,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


@dataclass(frozen=True)
class RatePlanSpec:
    code: str
    name: str
    room_type: str
    base_price_minor: int
    min_stay: int = 1
    max_stay: int | None = None
    free_cancellation_days: int = 1
    cancellation_fee_kind: str = "first_night"
    cancellation_fee_value: int = 0


async def create_rate_plan(session: AsyncSession, spec: RatePlanSpec) -> RatePlan:
    code = _code(spec.code, ["code"])
    kind = await room_type_by_code(session, spec.room_type, ["roomType"])
    await _unique(session, RatePlan, "code", code, "rate plan")
    if not 0 <= spec.base_price_minor <= MAX_MINOR_UNITS:
        raise invalid("the nightly price must not be negative", ["price"])
    if not 1 <= spec.min_stay <= 365 or (
        spec.max_stay is not None and not spec.min_stay <= spec.max_stay <= 365
    ):
        raise invalid("stays are 1 to 365 nights, the maximum at least the minimum", ["minStay"])
    if not 0 <= spec.free_cancellation_days <= 365:
        raise invalid("free cancellation is 0 to 365 days before arrival", ["freeCancellationDays"])
    if spec.cancellation_fee_kind not in FEE_KINDS:
        raise invalid(f"the fee is one of {', '.join(FEE_KINDS)}", ["cancellationFeeKind"])
    if spec.cancellation_fee_value < 0 or (
        spec.cancellation_fee_kind == "percent" and spec.cancellation_fee_value > 10_000
    ):
        raise invalid(
            "the fee is 0 to 100 % (basis points) or a positive amount", ["cancellationFeeValue"]
        )
    row = RatePlan(
        code=code, name=_text(spec.name, 120, ["name"]) or code, room_type_id=kind.id,
        base_price_minor=spec.base_price_minor, min_stay=spec.min_stay, max_stay=spec.max_stay,
        free_cancellation_days=spec.free_cancellation_days,
        cancellation_fee_kind=spec.cancellation_fee_kind,
        cancellation_fee_value=spec.cancellation_fee_value, active=True,
    )  # fmt: skip
    session.add(row)
    await session.flush()
    return row


async def rate_plan_by_code(session: AsyncSession, code: str, field: list[str]) -> RatePlan:
    row = await session.scalar(select(RatePlan).where(RatePlan.code == code.strip()))
    if row is None or not row.active:
        raise not_found(f"rate plan {code}", field)
    return row


@dataclass(frozen=True)
class OverrideSpec:
    """What to set on each date; None leaves that part of an existing override as it is
    (a restriction set later keeps an earlier price)."""

    price_minor: int | None = None
    min_stay: int | None = None
    max_stay: int | None = None
    closed: bool | None = None
    closed_to_arrival: bool | None = None
    closed_to_departure: bool | None = None


async def set_rate_override(
    session: AsyncSession, *, rate_plan: str, start: dt.date, end: dt.date, spec: OverrideSpec
) -> list[RateOverride]:
    """Set the same override on every date from ``start`` to ``end`` (both included)."""
    plan = await rate_plan_by_code(session, rate_plan, ["ratePlan"])
    if end < start:
        raise invalid("the last date comes before the first", ["to"])
    if (end - start).days > 731:
        raise invalid("at most two years at once", ["to"])
    if spec.price_minor is not None and not 0 <= spec.price_minor <= MAX_MINOR_UNITS:
        raise invalid("the price must not be negative", ["price"])
    for name in ("min_stay", "max_stay"):
        value = getattr(spec, name)
        if value is not None and not 1 <= value <= 365:
            raise invalid(
                "stays are 1 to 365 nights", ["minStay" if name == "min_stay" else "maxStay"]
            )
    existing = {
        row.date: row
        for row in await session.scalars(
            select(RateOverride).where(
                RateOverride.rate_plan_id == plan.id,
                RateOverride.date >= start,
                RateOverride.date <= end,
            )
        )
    }
    rows = []
    day = start
    while day <= end:
        row = existing.get(day) or RateOverride(
            rate_plan_id=plan.id, date=day, price_minor=None, min_stay=None, max_stay=None,
            closed=False, closed_to_arrival=False, closed_to_departure=False,
        )  # fmt: skip
        for name in (
            "price_minor", "min_stay", "max_stay", "closed", "closed_to_arrival",
            "closed_to_departure",
        ):  # fmt: skip
            value = getattr(spec, name)
            if value is not None:
                setattr(row, name, value)
        session.add(row)
        rows.append(row)
        day += dt.timedelta(days=1)
    await session.flush()
    return rows
