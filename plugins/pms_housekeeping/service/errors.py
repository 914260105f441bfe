"""Typed failures of housekeeping (every core code name too, see core.graphql.error_from)."""

from __future__ import annotations

from enum import Enum

from core.errors import DomainError


class HousekeepingErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    CONFLICT = "conflict"
    PERMISSION_DENIED = "permission_denied"
    INVALID_TRANSITION = "invalid_transition"
    PLUGIN_REQUIRED = "plugin_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    RATE_LIMITED = "rate_limited"
    # Housekeeping's own.
    ROOM_HAS_STAYS = "room_has_stays"
    BLOCK_OVERLAPS = "block_overlaps"
    NOT_A_HOUSEKEEPER = "not_a_housekeeper"


def invalid(message: str, field: list[str] | None = None, **details: object) -> DomainError:
    return DomainError(HousekeepingErrorCode.INVALID_INPUT, message, field=field, **details)


def not_found(what: str, field: list[str] | None = None) -> DomainError:
    return DomainError(HousekeepingErrorCode.NOT_FOUND, f"{what} not found", field=field)
