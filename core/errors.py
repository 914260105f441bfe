"""Domain errors raised by services, free of GraphQL.

A service raises :class:`DomainError` for an expected failure (bad input,
insufficient stock, an invalid transition). The GraphQL layer turns it into a
typed payload error; the transaction it happened in is rolled back, so a
failed request changes nothing.
"""

from __future__ import annotations

from enum import Enum
from typing import Any


class CoreErrorCode(Enum):
    INVALID_INPUT = "invalid_input"
    NOT_FOUND = "not_found"
    PERMISSION_DENIED = "permission_denied"
    CONFLICT = "conflict"
    INVALID_TRANSITION = "invalid_transition"
    PLUGIN_REQUIRED = "plugin_required"
    INVALID_CREDENTIALS = "invalid_credentials"
    INVALID_TOKEN = "invalid_token"
    RATE_LIMITED = "rate_limited"


class DomainError(Exception):
    """An expected failure with a machine-readable code, a field path and details."""

    def __init__(
        self,
        code: Enum,
        message: str,
        *,
        field: list[str] | None = None,
        **details: Any,
    ) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
        self.details = details

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.code!r}, {self.message!r}, field={self.field!r})"


class NotFound(DomainError):
    def __init__(self, what: str, *, field: list[str] | None = None) -> None:
        super().__init__(CoreErrorCode.NOT_FOUND, f"{what} not found", field=field)
