"""Typed failures of the order service.

The code enum holds every name the services it calls may raise (the core's and
oms_inventory's), so ``core.graphql.error_from`` can map any of them onto it.
"""

from __future__ import annotations

from enum import Enum

from core.errors import DomainError


class OrderErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    INVALID_TRANSITION = "invalid_transition"
    PLUGIN_REQUIRED = "plugin_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    RATE_LIMITED = "rate_limited"
    # From oms_inventory, through its hooks.
    DUPLICATE_SKU = "duplicate_sku"
    INSUFFICIENT_STOCK = "insufficient_stock"
    SAME_LOCATION = "same_location"
    # Orders' own.
    EMPTY_ORDER = "empty_order"
    UNKNOWN_SKU = "unknown_sku"
    PRICE_CHANGED = "price_changed"
    CURRENCY_MISMATCH = "currency_mismatch"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    OVERPAYMENT = "overpayment"
    REFUND_EXCEEDS_PAID = "refund_exceeds_paid"
    OVER_FULFILMENT = "over_fulfilment"
    OVER_RETURN = "over_return"
    GATEWAY_UNAVAILABLE = "gateway_unavailable"


def invalid(message: str, field: list[str] | None = None, **details: object) -> DomainError:
    return DomainError(OrderErrorCode.INVALID_INPUT, message, field=field, **details)


def not_found(what: str, field: list[str] | None = None) -> DomainError:
    return DomainError(OrderErrorCode.NOT_FOUND, f"{what} not found", field=field)


def positive_quantity(quantity: int, field: list[str]) -> int:
    if quantity <= 0:
        raise invalid("the quantity must be a positive whole number", field)
    return quantity
