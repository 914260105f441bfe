"""Typed failures of the inventory service."""

from __future__ import annotations

from enum import Enum

from core.errors import DomainError


class InventoryErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    DUPLICATE_SKU = "duplicate_sku"
    INSUFFICIENT_STOCK = "insufficient_stock"
    SAME_LOCATION = "same_location"
    INVALID_TRANSITION = "invalid_transition"


def invalid(message: str, field: list[str]) -> DomainError:
    return DomainError(InventoryErrorCode.INVALID_INPUT, message, field=field)


def not_found(what: str, field: list[str]) -> DomainError:
    return DomainError(InventoryErrorCode.NOT_FOUND, f"{what} not found", field=field)


class InsufficientStock(DomainError):
    """Fewer units available than asked for; carries how many there are."""

    def __init__(self, sku: str, requested: int, available: int, field: list[str]) -> None:
        super().__init__(
            InventoryErrorCode.INSUFFICIENT_STOCK,
            f"only {available} of {sku} available, {requested} asked for",
            field=field,
            sku=sku,
            requested_quantity=requested,
            available_quantity=available,
        )


def positive_quantity(quantity: int, field: list[str]) -> int:
    if quantity <= 0:
        raise invalid("the quantity must be a positive whole number", field)
    return quantity
