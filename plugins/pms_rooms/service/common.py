"""What the rooms services share: their context, settings and the business date, locking
a reservation, its history, the status machine."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import session_scope
from core.errors import DomainError
from core.events import record_event
from core.plugins import HookRelay, call_hook
from core.tenancy import Property
from plugins.pms_rooms.models import HotelSettings, Reservation, ReservationEvent
from plugins.pms_rooms.service.errors import RoomsErrorCode, not_found
from plugins.pms_rooms.service.snapshots import ReservationSnapshot
from plugins.pms_rooms.transitions import ReservationStatus, can_change


@dataclass(frozen=True)
class RoomsContext:
    """Everything a rooms operation needs besides its arguments. ``hooks`` reaches only
    the plugins the property has enabled (pms_housekeeping's answers, say)."""

    session: AsyncSession
    hooks: HookRelay
    clock: Clock
    actor: str

    async def announce(self, hook: str, **kwargs: object) -> None:
        """Call one of our own hooks on the plugins enabled here."""
        await call_hook(getattr(self.hooks, hook), session=self.session, clock=self.clock, **kwargs)

    async def ask(self, hook: str, **kwargs: object) -> list[object]:
        """Every enabled plugin's answer to one of the questions we ask (hookspecs.py)."""
        return await call_hook(
            getattr(self.hooks, hook), session=self.session, clock=self.clock, **kwargs
        )


async def local_now(session: AsyncSession, clock: Clock) -> dt.datetime:
    """Now in the property's time zone."""
    prop = await session.get(Property, session_scope(session).property_id)
    return clock.now().astimezone(ZoneInfo(prop.time_zone if prop is not None else "UTC"))


async def local_today(session: AsyncSession, clock: Clock) -> dt.date:
    """Today in the property's time zone."""
    return (await local_now(session, clock)).date()


async def settings_for(
    session: AsyncSession, clock: Clock, *, for_update: bool = False
) -> HotelSettings:
    """The property's hotel settings, created on first use with today as business date."""
    statement = select(HotelSettings)
    if for_update:
        statement = statement.with_for_update()
    settings = await session.scalar(statement)
    if settings is None:
        settings = HotelSettings(
            check_in_time="15:00", check_out_time="11:00", night_audit_time="03:00",
            business_date=await local_today(session, clock), next_booking_number=1001,
            default_credit_limit_minor=0,
        )  # fmt: skip
        session.add(settings)
        await session.flush()
    return settings


async def business_date(ctx: RoomsContext) -> dt.date:
    return (await settings_for(ctx.session, ctx.clock)).business_date


async def lock_reservation(
    session: AsyncSession, reservation_id: int, *, field: list[str]
) -> Reservation:
    """The reservation, locked until the transaction ends and read fresh."""
    row = await session.scalar(
        select(Reservation)
        .where(Reservation.id == reservation_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    if row is None:
        raise not_found("reservation", field)
    return row


def add_history(ctx: RoomsContext, reservation: Reservation, kind: str, detail: str = "") -> None:
    ctx.session.add(
        ReservationEvent(
            reservation_id=reservation.id, kind=kind, detail=detail, actor=ctx.actor[:80],
            created_at=ctx.clock.now(),
        )
    )  # fmt: skip


def invalid_transition(
    reservation: Reservation, target: ReservationStatus, why: str = ""
) -> DomainError:
    current = reservation.status.replace("_", " ")
    message = f"reservation {reservation.number} is {current}: it cannot become "
    message += target.value.replace("_", " ") + (f" ({why})" if why else "")
    return DomainError(
        RoomsErrorCode.INVALID_TRANSITION, message, field=["reservation"],
        status=reservation.status.upper(),
    )  # fmt: skip


def move_status(reservation: Reservation, target: ReservationStatus) -> ReservationStatus:
    """Set ``target`` if the transition table allows it; returns the old status."""
    current = ReservationStatus(reservation.status)
    if not can_change(current, target):
        raise invalid_transition(reservation, target)
    reservation.status = target.value
    return current


async def announce_reservation(
    ctx: RoomsContext,
    reservation: Reservation,
    hook: str,
    event: str,
    *,
    payload_extra: dict[str, object] | None = None,
    **extra: object,
) -> None:
    """Record ``pms_rooms.<event>`` and call ``pms_rooms_<hook>`` with a snapshot.

    ``extra`` goes to the hook and, when JSON-plain, to the event; ``payload_extra`` to
    the event only."""
    await ctx.session.flush()
    snapshot = ReservationSnapshot.of(reservation)
    payload = {**snapshot.payload(), "actor": ctx.actor}
    payload.update({k: v for k, v in extra.items() if isinstance(v, str | int | bool | None)})
    payload.update(payload_extra or {})
    record_event(ctx.session, f"pms_rooms.{event}", payload, clock=ctx.clock)
    await ctx.announce(hook, reservation=snapshot, actor=ctx.actor, **extra)


def nights(arrival: dt.date, departure: dt.date) -> list[dt.date]:
    return [arrival + dt.timedelta(days=i) for i in range((departure - arrival).days)]
