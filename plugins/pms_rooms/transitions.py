"""A reservation's allowed status changes, in one table.

confirmed -> in_house -> checked_out; a check-in can be reverted; a confirmed
reservation can be canceled or marked a no-show. Anything else is refused
with INVALID_TRANSITION.
"""

from __future__ import annotations

from enum import Enum


class ReservationStatus(Enum):
    CONFIRMED = "confirmed"
    IN_HOUSE = "in_house"
    CHECKED_OUT = "checked_out"
    CANCELED = "canceled"
    NO_SHOW = "no_show"


S = ReservationStatus
RESERVATION_TRANSITIONS: dict[ReservationStatus, frozenset[ReservationStatus]] = {
    S.CONFIRMED: frozenset({S.IN_HOUSE, S.CANCELED, S.NO_SHOW}),
    S.IN_HOUSE: frozenset({S.CHECKED_OUT, S.CONFIRMED}),  # back to confirmed: reverted
    S.CHECKED_OUT: frozenset(),
    S.CANCELED: frozenset(),
    S.NO_SHOW: frozenset(),
}

# Statuses whose reservations hold their room nights.
HOLDING_NIGHTS = frozenset({S.CONFIRMED, S.IN_HOUSE})


def can_change(current: ReservationStatus, target: ReservationStatus) -> bool:
    return target in RESERVATION_TRANSITIONS[current]
