"""Folios: a reservation's charges, payments, refunds and corrections, and its balance.

Every posting locks the folio row, writes one line and moves the balance by
the same amount in the same transaction, so a balance always equals the sum
of its lines. A reference makes a posting idempotent (UNIQUE (folio_id,
reference)): the night audit run twice, a till retrying, post once.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import DomainError
from core.events import record_event
from core.money import MAX_MINOR_UNITS
from plugins.pms_rooms.models import Folio, FolioLine, Guest, Reservation, Room
from plugins.pms_rooms.service.common import RoomsContext, lock_reservation, settings_for
from plugins.pms_rooms.service.errors import RoomsErrorCode, invalid, not_found
from plugins.pms_rooms.service.snapshots import FolioLineSnapshot, ReservationSnapshot
from plugins.pms_rooms.transitions import ReservationStatus

KINDS = ("charge", "payment", "refund", "correction")


async def folio_for(session: AsyncSession, reservation: Reservation) -> Folio:
    folio = await session.scalar(select(Folio).where(Folio.reservation_id == reservation.id))
    if folio is None:
        folio = Folio(
            reservation_id=reservation.id, number=reservation.number, status="open",
            balance_minor=0, closed_at=None, close_note="",
        )  # fmt: skip
        session.add(folio)
        await session.flush()
    return folio


async def _locked_folio(session: AsyncSession, reservation: Reservation) -> Folio:
    await folio_for(session, reservation)
    folio = await session.scalar(
        select(Folio)
        .where(Folio.reservation_id == reservation.id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    assert folio is not None
    return folio


async def post_line(
    ctx: RoomsContext,
    reservation: Reservation,
    *,
    kind: str,
    source: str,
    description: str,
    amount_minor: int,
    reference: str,
    check_open: bool = True,
    business_date: dt.date | None = None,
    corrects_line_id: int | None = None,
    extra: dict[str, object] | None = None,
) -> tuple[FolioLine, bool]:
    """Post one line; returns (line, posted). The same reference again returns the line
    already there (posted False) if it is the same posting, CONFLICT otherwise."""
    if kind not in KINDS:
        raise invalid(f"a folio line is one of {', '.join(KINDS)}", ["kind"])
    if abs(amount_minor) > MAX_MINOR_UNITS:
        raise invalid("the amount is too large", ["amount"])
    if not description.strip() or len(description) > 200:
        raise invalid("a description has 1 to 200 characters", ["description"])
    if not reference or len(reference) > 120:
        raise invalid("a reference has 1 to 120 characters", ["reference"])
    folio = await _locked_folio(ctx.session, reservation)
    existing = await _posted(ctx.session, folio, reference)
    if existing is not None:
        if (existing.kind, existing.amount_minor) != (kind, amount_minor):
            raise DomainError(
                RoomsErrorCode.CONFLICT,
                f"reference {reference!r} was posted with another amount", field=["reference"],
            )  # fmt: skip
        return existing, False
    if check_open and folio.status != "open":
        raise DomainError(
            RoomsErrorCode.FOLIO_CLOSED, f"folio {folio.number} is closed", field=["reservation"]
        )
    line = FolioLine(
        folio_id=folio.id, kind=kind, source=source, description=description.strip(),
        amount_minor=amount_minor,
        business_date=business_date or (await settings_for(ctx.session, ctx.clock)).business_date,
        reference=reference, corrects_line_id=corrects_line_id, actor=ctx.actor[:80],
        created_at=ctx.clock.now(), extra=dict(extra or {}),
    )  # fmt: skip
    ctx.session.add(line)
    folio.balance_minor += amount_minor
    await ctx.session.flush()
    snapshot = FolioLineSnapshot.of(line)
    record_event(
        ctx.session, "pms_rooms.folio_posted",
        {"reservation_id": reservation.id, "reservation_number": reservation.number,
         "folio_id": folio.id, "line_id": line.id, "kind": kind, "source": source,
         "amount_minor": amount_minor, "balance_minor": folio.balance_minor,
         "reference": reference},
        clock=ctx.clock,
    )  # fmt: skip
    if kind == "charge":
        await ctx.announce(
            "pms_rooms_charge_posted", reservation=ReservationSnapshot.of(reservation),
            line=snapshot,
        )  # fmt: skip
    return line, True


async def _posted(session: AsyncSession, folio: Folio, reference: str) -> FolioLine | None:
    return await session.scalar(
        select(FolioLine).where(FolioLine.folio_id == folio.id, FolioLine.reference == reference)
    )


async def _sum(session: AsyncSession, folio: Folio, kind: str) -> int:
    total = await session.scalar(
        select(func.coalesce(func.sum(FolioLine.amount_minor), 0)).where(
            FolioLine.folio_id == folio.id, FolioLine.kind == kind
        )
    )
    return int(total or 0)


async def net_charges(session: AsyncSession, folio: Folio) -> int:
    """What the stay was worth: the folio's charges less their corrections."""
    return await _sum(session, folio, "charge") + await _sum(session, folio, "correction")


async def record_folio_entry(
    ctx: RoomsContext,
    reservation_id: int,
    *,
    kind: str,
    amount_minor: int,
    description: str,
    reference: str,
    corrects_line_id: int | None = None,
    source: str = "manual",
) -> tuple[Reservation, FolioLine]:
    """A posting by staff: a charge (extra), a payment, a refund, or a correction of a charge.

    Amounts are given positive. Payments lower the balance; refunds raise it and
    never exceed what was paid and not yet refunded; a correction lowers the
    balance by at most what is left of the charge it corrects.
    """
    if amount_minor <= 0:
        raise invalid("the amount must be positive", ["amount"])
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    folio = await _locked_folio(ctx.session, reservation)
    repeat = await _posted(ctx.session, folio, reference)
    if repeat is not None:  # a retry: the first posting, whatever the limits say now
        if repeat.kind != kind or abs(repeat.amount_minor) != amount_minor:
            raise DomainError(
                RoomsErrorCode.CONFLICT,
                "this idempotency key was used for another posting", field=["idempotencyKey"],
            )  # fmt: skip
        return reservation, repeat
    signed = amount_minor
    if kind == "payment":
        signed = -amount_minor
    elif kind == "refund":
        paid = -await _sum(ctx.session, folio, "payment")
        refunded = await _sum(ctx.session, folio, "refund")
        if amount_minor > paid - refunded:
            raise DomainError(
                RoomsErrorCode.INVALID_INPUT,
                f"folio {folio.number} has {paid - refunded} (minor units) paid and not "
                f"refunded, {amount_minor} asked", field=["amount"],
            )  # fmt: skip
    elif kind == "correction":
        charge = await ctx.session.get(FolioLine, corrects_line_id) if corrects_line_id else None
        if charge is None or charge.folio_id != folio.id or charge.kind != "charge":
            raise not_found(f"charge on folio {folio.number}", ["corrects"])
        corrected = -int(
            await ctx.session.scalar(
                select(func.coalesce(func.sum(FolioLine.amount_minor), 0)).where(
                    FolioLine.corrects_line_id == charge.id
                )
            )
            or 0
        )
        if amount_minor > charge.amount_minor - corrected:
            raise invalid(
                f"that charge has {charge.amount_minor - corrected} left to correct", ["amount"]
            )
        signed = -amount_minor
    elif kind != "charge":
        raise invalid(f"a folio line is one of {', '.join(KINDS)}", ["kind"])
    line, _ = await post_line(
        ctx, reservation, kind=kind, source=source, description=description,
        amount_minor=signed, reference=reference,
        corrects_line_id=corrects_line_id if kind == "correction" else None,
    )  # fmt: skip
    return reservation, line


async def in_house_by_room(
    session: AsyncSession, room_number: str, last_name: str
) -> Reservation | None:
    """The in-house reservation in this room whose guest has this last name (either case)."""
    row = await session.execute(
        select(Reservation, Guest)
        .join(Room, Room.id == Reservation.room_id)
        .join(Guest, Guest.id == Reservation.guest_id)
        .where(Room.number == room_number.strip(), Reservation.status == "in_house")
    )
    for reservation, guest in row:
        if guest.last_name.strip().casefold() == last_name.strip().casefold():
            return reservation
    return None


async def post_outlet_charge(
    ctx: RoomsContext,
    reservation_id: int,
    *,
    amount_minor: int,
    description: str,
    reference: str,
    source: str = "pos",
    extra: dict[str, object] | None = None,
) -> FolioLine:
    """A charge from an outlet (restaurant, bar, shop) to a guest's room: only while the
    stay is in house (departing today included), never for a reservation marked no-post,
    never past its credit limit. Idempotent by ``reference``: a retry gets the first
    posting back even after the guest checked out. A void is a negative sale, not a
    negative charge: amounts are positive."""
    if amount_minor <= 0:
        raise invalid("an outlet's charge is a positive amount", ["amount"])
    if not source.strip() or len(source) > 40:
        raise invalid("a source has 1 to 40 characters", ["source"])
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    folio = await _locked_folio(ctx.session, reservation)
    repeat = await _posted(ctx.session, folio, reference)
    if repeat is not None:
        if (repeat.kind, repeat.amount_minor) != ("charge", amount_minor):
            raise DomainError(
                RoomsErrorCode.CONFLICT,
                f"reference {reference!r} was posted with another amount", field=["reference"],
            )  # fmt: skip
        return repeat
    if reservation.status != ReservationStatus.IN_HOUSE.value:
        raise DomainError(
            RoomsErrorCode.NOT_IN_HOUSE,
            f"reservation {reservation.number} is {reservation.status.replace('_', ' ')}",
            field=["reservation"],
        )  # fmt: skip
    if reservation.no_post:
        raise DomainError(
            RoomsErrorCode.NO_POST, f"reservation {reservation.number} takes no charges",
            field=["reservation"],
        )  # fmt: skip
    limit = reservation.credit_limit_minor
    if limit > 0 and folio.balance_minor + amount_minor > limit:
        raise DomainError(
            RoomsErrorCode.CREDIT_LIMIT_EXCEEDED,
            f"the charge would take folio {folio.number} to "
            f"{folio.balance_minor + amount_minor}, above its limit {limit} (minor units)",
            field=["amount"],
        )  # fmt: skip
    line, _ = await post_line(
        ctx, reservation, kind="charge", source=source, description=description,
        amount_minor=amount_minor, reference=reference, extra=extra,
    )  # fmt: skip
    return line


async def void_outlet_charge(
    ctx: RoomsContext,
    reservation_id: int,
    *,
    amount_minor: int,
    description: str,
    reference: str,
    voids_reference: str,
    source: str = "pos",
) -> FolioLine:
    """Take back (part of) an outlet's charge: a correction of the line posted under
    ``voids_reference``, of at most what is left of it, while the folio is open.
    Idempotent by ``reference``."""
    reservation = await lock_reservation(ctx.session, reservation_id, field=["reservation"])
    folio = await _locked_folio(ctx.session, reservation)
    charge = await _posted(ctx.session, folio, voids_reference)
    if charge is None or charge.kind != "charge":
        raise not_found(f"charge {voids_reference!r} on folio {folio.number}", ["voids"])
    _, line = await record_folio_entry(
        ctx, reservation_id, kind="correction", amount_minor=amount_minor,
        description=description, reference=reference, corrects_line_id=charge.id, source=source,
    )  # fmt: skip
    return line


async def postings_by_reference(session: AsyncSession, references: list[str]) -> dict[str, int]:
    """The signed sum of the folio lines posted under each reference."""
    if not references:
        return {}
    rows = await session.execute(
        select(FolioLine.reference, func.sum(FolioLine.amount_minor))
        .where(FolioLine.reference.in_(references))
        .group_by(FolioLine.reference)
    )
    return {reference: int(total) for reference, total in rows}
