"""Typed failures of the POS bridge (every core code name too, see core.graphql.error_from).

The folio's and the orders' refusals keep their names (NOT_IN_HOUSE,
INSUFFICIENT_STOCK, ...): raised by pms_rooms' or oms_orders' hooks, they map
onto the members below by name.
"""

from __future__ import annotations

from enum import Enum

from core.errors import DomainError


class PosErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    INVALID_TRANSITION = "invalid_transition"
    PLUGIN_REQUIRED = "plugin_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    RATE_LIMITED = "rate_limited"
    # The bridge's own.
    SALE_ID_REUSED = "sale_id_reused"
    GUEST_NOT_FOUND = "guest_not_found"
    OVER_VOID = "over_void"
    # Refusals of the folio (pms_rooms) and the orders (oms_orders), passed on.
    NOT_IN_HOUSE = "not_in_house"
    NO_POST = "no_post"
    CREDIT_LIMIT_EXCEEDED = "credit_limit_exceeded"
    FOLIO_CLOSED = "folio_closed"
    INSUFFICIENT_STOCK = "insufficient_stock"
    PRICE_CHANGED = "price_changed"
    OVER_RETURN = "over_return"


def invalid(message: str, field: list[str] | None = None, **details: object) -> DomainError:
    return DomainError(PosErrorCode.INVALID_INPUT, message, field=field, **details)


def not_found(what: str, field: list[str] | None = None) -> DomainError:
    return DomainError(PosErrorCode.NOT_FOUND, f"{what} not found", field=field)
