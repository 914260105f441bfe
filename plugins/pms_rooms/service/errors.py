"""Typed failures of the rooms service (every core code name too, see core.graphql.error_from)."""

from __future__ import annotations

from enum import Enum

from core.errors import DomainError


class RoomsErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    INVALID_TRANSITION = "invalid_transition"
    PLUGIN_REQUIRED = "plugin_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    RATE_LIMITED = "rate_limited"
    # Rooms' own.
    NOT_AVAILABLE = "not_available"
    RESTRICTION = "restriction"
    CAPACITY_EXCEEDED = "capacity_exceeded"
    ARRIVAL_IN_PAST = "arrival_in_past"
    ARRIVAL_NOT_REACHED = "arrival_not_reached"
    ROOM_NOT_READY = "room_not_ready"
    ROOM_OUT_OF_ORDER = "room_out_of_order"
    ROOM_OCCUPIED = "room_occupied"
    OPEN_BALANCE = "open_balance"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    NOT_IN_HOUSE = "not_in_house"
    NO_POST = "no_post"
    CREDIT_LIMIT_EXCEEDED = "credit_limit_exceeded"
    FOLIO_CLOSED = "folio_closed"


def invalid(message: str, field: list[str] | None = None, **details: object) -> DomainError:
    return DomainError(RoomsErrorCode.INVALID_INPUT, message, field=field, **details)


def not_found(what: str, field: list[str] | None = None) -> DomainError:
    return DomainError(RoomsErrorCode.NOT_FOUND, f"{what} not found", field=field)
