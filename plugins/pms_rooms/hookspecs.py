"""Hooks pms_rooms declares: what it announces, what it asks, and the folio and guest
lookups it offers (pos_bridge).

Announcements run inside the transaction that made the change, on the plugins
the property has enabled, after the change is written; a DomainError raised
refuses the whole change. After-commit work (e-mail, webhooks) reacts to the
``pms_rooms.*`` events instead (docs/rooms.md lists them). ``reservation`` is
a :class:`plugins.pms_rooms.service.snapshots.ReservationSnapshot`.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Any

from core import hookspec

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

    from core.clock import Clock
    from core.plugins import HookRelay
    from plugins.pms_rooms.service.snapshots import FolioLineSnapshot, ReservationSnapshot


# ---------------------------------------------------------------------------
# Announcements: reservations and room nights
# ---------------------------------------------------------------------------


@hookspec
def pms_rooms_reservation_created(
    session: AsyncSession, reservation: ReservationSnapshot, actor: str, clock: Clock
) -> None:
    """A reservation was booked (its room nights held, its folio opened). Not called again
    when a retry with the same idempotency key returns the booking."""


@hookspec
def pms_rooms_reservation_changed(
    session: AsyncSession, reservation: ReservationSnapshot, actor: str, clock: Clock
) -> None:
    """Dates, room type, party or room changed (a room move too: the snapshot's
    ``room_id`` is the new room)."""


@hookspec
def pms_rooms_room_moved(
    session: AsyncSession,
    reservation: ReservationSnapshot,
    from_room_id: int,
    from_room_number: str,
    actor: str,
    clock: Clock,
) -> None:
    """A reservation moved out of room ``from_room_number`` into ``reservation.room_id`` for
    its nights still to come; called after ``pms_rooms_reservation_changed``. When the
    snapshot's status is ``in_house`` the guest had been living in the old room."""


@hookspec
def pms_rooms_reservation_canceled(
    session: AsyncSession,
    reservation: ReservationSnapshot,
    fee_minor: int,
    actor: str,
    clock: Clock,
) -> None:
    """A reservation was canceled; ``fee_minor`` was charged to its folio (0: free)."""


@hookspec
def pms_rooms_reservation_checked_in(
    session: AsyncSession,
    reservation: ReservationSnapshot,
    room_number: str,
    actor: str,
    clock: Clock,
) -> None:
    """The guest checked in to ``room_number``."""


@hookspec
def pms_rooms_check_in_reverted(
    session: AsyncSession,
    reservation: ReservationSnapshot,
    room_number: str,
    actor: str,
    clock: Clock,
) -> None:
    """A check-in was undone; the reservation is confirmed again (housekeeping marks the
    room dirty: someone was in it)."""


@hookspec
def pms_rooms_reservation_checked_out(
    session: AsyncSession,
    reservation: ReservationSnapshot,
    room_number: str,
    balance_minor: int,
    actor: str,
    clock: Clock,
) -> None:
    """The guest checked out of ``room_number``; the folio closed with ``balance_minor``
    (0 unless checked out with an override)."""


@hookspec
def pms_rooms_reservation_no_show(
    session: AsyncSession,
    reservation: ReservationSnapshot,
    fee_minor: int,
    actor: str,
    clock: Clock,
) -> None:
    """The guest did not arrive: marked by staff or by the night audit."""


@hookspec
def pms_rooms_room_nights_released(
    session: AsyncSession,
    room_id: int,
    nights: list[dt.date],
    reservation_id: int,
    clock: Clock,
) -> None:
    """``nights`` of room ``room_id`` are free again (a cancellation, a no-show, a change,
    a move, an early departure)."""


@hookspec
def pms_rooms_charge_posted(
    session: AsyncSession, reservation: ReservationSnapshot, line: FolioLineSnapshot, clock: Clock
) -> None:
    """A charge reached a folio (a room night, a fee, an outlet's bill, an extra)."""


# ---------------------------------------------------------------------------
# Questions pms_rooms asks (pms_housekeeping answers them)
# ---------------------------------------------------------------------------


@hookspec
def pms_rooms_room_ready(
    session: AsyncSession, room_id: int, room_number: str, clock: Clock
) -> bool | None:
    """Is the room ready for a guest to check in? Asked of every enabled plugin before a
    check-in; any ``False`` refuses it (ROOM_NOT_READY). ``None``: no opinion. With no
    plugin answering, every room is ready."""


@hookspec
def pms_rooms_rooms_out_of_order(
    session: AsyncSession, start: dt.date, end: dt.date, clock: Clock
) -> list[int] | None:
    """Ids of rooms out of order on any night from ``start`` to ``end`` (excluded). They are
    left out of availability and assignment, and refused at check-in."""


# ---------------------------------------------------------------------------
# Folios for other plugins (pos_bridge): declared and implemented by pms_rooms
# ---------------------------------------------------------------------------


@hookspec(firstresult=True)
def pms_rooms_find_in_house_guest(
    session: AsyncSession, room_number: str, last_name: str
) -> dict[str, Any] | None:
    """The in-house stay in ``room_number`` whose guest has ``last_name`` (either case):
    ``{"reservation_id", "reservation_number", "guest_name", "departure", "balance_minor",
    "credit_limit_minor", "no_post"}``, or None when there is none (unknown room, another
    name, nobody in house)."""


@hookspec(firstresult=True)
def pms_rooms_post_charge(
    session: AsyncSession,
    reservation_id: int,
    amount_minor: int,
    description: str,
    reference: str,
    source: str,
    actor: str,
    clock: Clock,
    hooks: HookRelay,
) -> dict[str, Any] | None:
    """Charge ``amount_minor`` to a reservation's folio on behalf of an outlet; idempotent
    by ``reference`` (the sale's id). ``hooks`` is the caller's property relay (the
    posting is announced through it: ``pms_rooms_charge_posted``). Returns
    ``{"line_id", "folio_id", "balance_minor"}``.
    Raises DomainError: NOT_IN_HOUSE (checked out, canceled, not arrived), NO_POST,
    CREDIT_LIMIT_EXCEEDED, NOT_FOUND, INVALID_INPUT (an amount not positive, a source
    or description too long), CONFLICT (the reference posted with another amount).
    A retry of a posted reference returns it, even after check-out."""


@hookspec(firstresult=True)
def pms_rooms_void_charge(
    session: AsyncSession,
    reservation_id: int,
    amount_minor: int,
    description: str,
    reference: str,
    voids_reference: str,
    source: str,
    actor: str,
    clock: Clock,
    hooks: HookRelay,
) -> dict[str, Any] | None:
    """Take back ``amount_minor`` (positive) of the outlet charge posted under
    ``voids_reference``: a correction line on the folio, idempotent by ``reference``.
    Returns ``{"line_id", "folio_id", "balance_minor"}``.
    Raises DomainError: NOT_FOUND (no such charge on the reservation's folio),
    INVALID_INPUT (an amount not positive, or above what is left of the charge),
    FOLIO_CLOSED (the guest has checked out), CONFLICT (the reference posted with
    another amount)."""


@hookspec(firstresult=True)
def pms_rooms_postings(session: AsyncSession, references: list[str]) -> dict[str, int] | None:
    """The folio amounts posted under each of ``references`` (signed: a charge positive,
    a correction negative), for an outlet's daily reconciliation. References with no
    line are left out."""
