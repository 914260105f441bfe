"""The rules of loyalty: the only code that writes its tables.

Every change of points is one ``Entry`` plus the same change to the member's
``balance``, in one transaction, and each happens once per ``key``. Earning
and reversing follow other plugins' events (reactions.py); redeeming is a
staff action that never takes a balance below zero, even when two tills try
at once.
"""

from __future__ import annotations

import datetime as dt
from enum import Enum

from core.clock import Clock
from core.errors import DomainError
from core.events import record_event
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.models import Entry, LoyaltySettings, Member


class LoyaltyErrorCode(Enum):
    # Core codes we raise or the core raises for us (in_transaction's CONFLICT); any
    # other core code reaches the client as INVALID_INPUT with its message.
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    # Our own.
    ALREADY_ENROLLED = "already_enrolled"
    INSUFFICIENT_POINTS = "insufficient_points"
    REFERENCE_REUSED = "reference_reused"


def invalid(message: str, field: str, **details: object) -> DomainError:
    return DomainError(LoyaltyErrorCode.INVALID_INPUT, message, field=[field], **details)


def clean_email(email: str) -> str:
    email = email.strip().lower()
    if "@" not in email or len(email) > 320 or any(c.isspace() for c in email):
        raise invalid("an email address, like ada@example.com", "email")
    return email


# A property's rules until its manager changes them.
DEFAULTS = {"points_per_order_unit": 1, "points_per_stay_unit": 5, "expiry_days": 365}


async def settings_for(session: AsyncSession) -> LoyaltySettings:
    """The property's earning rules, made with the defaults on first use."""
    settings = await session.scalar(select(LoyaltySettings))
    if settings is None:
        settings = LoyaltySettings(**DEFAULTS)
        session.add(settings)
        await session.flush()
    return settings


async def update_settings(
    session: AsyncSession,
    *,
    points_per_order_unit: int | None,
    points_per_stay_unit: int | None,
    expiry_days: int | None,
) -> LoyaltySettings:
    settings = await settings_for(session)
    for field, value, most in (
        ("pointsPerOrderUnit", points_per_order_unit, 1000),
        ("pointsPerStayUnit", points_per_stay_unit, 1000),
        ("expiryDays", expiry_days, 3650),
    ):
        if value is not None and not 0 <= value <= most:
            raise invalid(f"{field} is 0 to {most}", field)
    if points_per_order_unit is not None:
        settings.points_per_order_unit = points_per_order_unit
    if points_per_stay_unit is not None:
        settings.points_per_stay_unit = points_per_stay_unit
    if expiry_days is not None:
        settings.expiry_days = expiry_days
    await session.flush()
    return settings


async def member_by_email(session: AsyncSession, email: str) -> Member | None:
    return await session.scalar(select(Member).where(Member.email == email.strip().lower()))


async def enroll(session: AsyncSession, email: str, name: str, *, clock: Clock) -> Member:
    """Enrol a customer or guest who agreed to join: only members earn."""
    email = clean_email(email)
    name = name.strip()
    if len(name) > 200:
        raise invalid("a name has at most 200 characters", "name")
    if await member_by_email(session, email) is not None:
        raise DomainError(
            LoyaltyErrorCode.ALREADY_ENROLLED, f"{email} is already a member", field=["email"]
        )
    member = Member(email=email, name=name, enrolled_at=clock.now(), last_activity_at=clock.now())
    session.add(member)
    await session.flush()
    record_event(
        session, "loyalty.member_enrolled", {"member_id": member.id, "email": email}, clock=clock
    )
    return member


EVENT_OF_KIND = {
    "earn": "loyalty.points_earned",
    "reverse": "loyalty.points_reversed",
    "redeem": "loyalty.points_redeemed",
    "expire": "loyalty.points_expired",
}


async def _post(
    session: AsyncSession,
    member: Member,
    *,
    kind: str,
    points: int,
    origin: str,
    key: str,
    note: str,
    clock: Clock,
) -> Entry:
    """Move the balance by ``points`` in one UPDATE (two transactions changing one member
    never lose each other's change), then write the entry."""
    activity = {"last_activity_at": clock.now()} if kind == "earn" else {}
    lifetime = {"lifetime_points": Member.lifetime_points + points} if kind == "earn" else {}
    await session.execute(
        update(Member)
        .where(Member.id == member.id)
        .values(balance=Member.balance + points, **activity, **lifetime)
        .execution_options(synchronize_session=False)
    )
    return await _write_entry(
        session, member, kind=kind, points=points, origin=origin, key=key, note=note,
        clock=clock,
    )  # fmt: skip


async def _write_entry(
    session: AsyncSession,
    member: Member,
    *,
    kind: str,
    points: int,
    origin: str,
    key: str,
    note: str,
    clock: Clock,
) -> Entry:
    """The entry for a balance change already made, and its event."""
    entry = Entry(
        member_id=member.id, kind=kind, points=points, origin=origin, key=key, note=note,
        created_at=clock.now(),
    )  # fmt: skip
    session.add(entry)
    await session.flush()
    await session.refresh(member)
    record_event(
        session, EVENT_OF_KIND[kind],
        {"member_id": member.id, "email": member.email, "entry_id": entry.id, "kind": kind,
         "points": points, "balance": member.balance, "origin": origin},
        clock=clock,
    )  # fmt: skip
    return entry


async def _entry(session: AsyncSession, key: str) -> Entry | None:
    return await session.scalar(select(Entry).where(Entry.key == key))


async def earn(
    session: AsyncSession,
    email: str,
    points: int,
    *,
    origin: str,
    key: str,
    note: str,
    clock: Clock,
) -> Entry | None:
    """Give a member points once per ``key``; nothing for someone who is not a member."""
    member = await member_by_email(session, email)
    if member is None or points <= 0 or await _entry(session, key) is not None:
        return None
    return await _post(
        session, member, kind="earn", points=points, origin=origin, key=key, note=note,
        clock=clock,
    )  # fmt: skip


async def reverse(
    session: AsyncSession, origin: str, points: int, *, key: str, note: str, clock: Clock
) -> Entry | None:
    """Take back up to ``points`` of what ``origin`` earned (a refund), once per ``key``.

    Never more than ``origin`` has left, so refunds in parts take back at most what
    the order earned. The balance may go below zero when the points were spent
    meanwhile: the member owes them, and redeems nothing until back above zero.
    """
    if points <= 0 or await _entry(session, key) is not None:
        return None
    rows = (
        await session.execute(
            select(Entry.member_id, func.sum(Entry.points))
            .where(Entry.origin == origin, Entry.kind.in_(("earn", "reverse")))
            .group_by(Entry.member_id)
        )
    ).all()
    if not rows:
        return None
    ((member_id, left),) = rows
    taken = min(points, int(left))
    member = await session.get(Member, member_id)
    if taken <= 0 or member is None:
        return None
    return await _post(
        session, member, kind="reverse", points=-taken, origin=origin, key=key, note=note,
        clock=clock,
    )  # fmt: skip


async def redeem(
    session: AsyncSession,
    email: str,
    points: int,
    *,
    reference: str,
    note: str,
    clock: Clock,
) -> Entry:
    """Spend a member's points against ``reference`` (a bill, a voucher).

    A retry with the same reference returns the first redemption. The test and the
    take are one UPDATE (``balance >= points``): of two tills spending the last
    points at once, one wins and the other gets INSUFFICIENT_POINTS.
    """
    reference = reference.strip()
    if not 1 <= len(reference) <= 80:
        raise invalid("a reference of 1 to 80 characters (the bill or voucher)", "reference")
    if points <= 0:
        raise invalid("redeem at least 1 point", "points")
    if len(note) > 200:
        raise invalid("a note has at most 200 characters", "note")
    member = await member_by_email(session, email)
    if member is None:
        raise DomainError(
            LoyaltyErrorCode.NOT_FOUND, f"{email.strip()} is not a member", field=["email"]
        )
    key = f"redeem:{reference}"
    earlier = await _entry(session, key)
    if earlier is not None:
        if earlier.member_id != member.id or earlier.points != -points:
            raise DomainError(
                LoyaltyErrorCode.REFERENCE_REUSED,
                f"reference {reference} was used for another redemption", field=["reference"],
            )  # fmt: skip
        return earlier
    taken = await session.execute(
        update(Member)
        .where(Member.id == member.id, Member.balance >= points)
        .values(balance=Member.balance - points, last_activity_at=clock.now())
        .execution_options(synchronize_session=False)
    )
    if taken.rowcount != 1:
        await session.refresh(member)
        raise DomainError(
            LoyaltyErrorCode.INSUFFICIENT_POINTS,
            f"{member.email} has {member.balance} points, {points} asked",
            field=["points"], balance=member.balance,
        )  # fmt: skip
    return await _write_entry(
        session, member, kind="redeem", points=-points, origin=key, key=key,
        note=note.strip(), clock=clock,
    )  # fmt: skip


async def expire_balances(session: AsyncSession, *, clock: Clock) -> int:
    """Expire the balance of every member idle for the property's ``expiry_days``;
    returns how many balances expired. Safe to run again: an expired balance is 0."""
    settings = await settings_for(session)
    if settings.expiry_days == 0:
        return 0
    cutoff = clock.now() - dt.timedelta(days=settings.expiry_days)
    idle = await session.scalars(
        select(Member).where(Member.balance > 0, Member.last_activity_at < cutoff)
    )
    expired = 0
    for member in idle.all():
        await _post(
            session, member, kind="expire", points=-member.balance, origin="expiry",
            key=f"expire:{member.id}:{member.last_activity_at.isoformat()}",
            note=f"no activity for {settings.expiry_days} days", clock=clock,
        )  # fmt: skip
        expired += 1
    return expired
