"""Errors the API shows: typed payload errors, and the few top-level ones.

Expected failures are payload errors (``errors: [...]`` on every mutation
payload): an ``Error`` interface with a ``code`` enum per domain, the
``field`` path and a message. Top-level GraphQL errors are for malformed
requests and auth failures (:class:`ClientError`); anything else is a bug
and is masked before it reaches a client.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from enum import Enum
from typing import Any, TypeVar

import strawberry
from graphql import GraphQLError

from core.errors import CoreErrorCode, DomainError

CoreErrorCodeEnum = strawberry.enum(CoreErrorCode, name="CoreErrorCode")


@strawberry.interface(description="A typed, expected failure of a mutation.")
class Error:
    message: str
    field: list[str] | None = strawberry.field(
        default=None, description="Path to the input field at fault, if one is."
    )


@strawberry.type(description="A failure reported by the core (input, lookup, permission).")
class CoreError(Error):
    code: CoreErrorCodeEnum  # type: ignore[valid-type]


E = TypeVar("E")


def error_from(exc: DomainError, error_type: type[E], code_enum: type[Enum] | None = None) -> E:
    """Turn a service's DomainError into ``error_type`` (a strawberry type with ``code``).

    A core code raised inside a plugin service maps onto the plugin's enum
    member of the same name, so plugins can reuse core failures; a name the
    enum lacks becomes its INVALID_INPUT (every error enum has one).
    """
    code: Any = exc.code
    if code_enum is not None and not isinstance(code, code_enum):
        # A code the enum lacks (another plugin's, raised from its hook) still reaches the
        # client as a typed error with its message, never as an internal error.
        code = code_enum.__members__.get(code.name) or code_enum["INVALID_INPUT"]
    kwargs: dict[str, Any] = {"message": exc.message, "field": exc.field, "code": code}
    fields = getattr(error_type, "__strawberry_definition__", None)
    if fields is not None:
        names = {f.python_name for f in fields.fields}
        kwargs.update({k: v for k, v in exc.details.items() if k in names})
    return error_type(**kwargs)


class ClientError(GraphQLError):
    """A top-level error the client caused (auth, malformed arguments); never masked."""

    def __init__(self, message: str, code: str = "BAD_REQUEST") -> None:
        super().__init__(message, extensions={"code": code})


@contextmanager
def as_client_error() -> Iterator[None]:
    """Around a service call in a query resolver: queries have no payload errors, so an
    expected failure there (a DomainError: arguments out of range, dates reversed) is
    the client's malformed request, a top-level error with the DomainError's code and
    message, never an internal error."""
    try:
        yield
    except DomainError as exc:
        raise ClientError(exc.message, code=exc.code.name) from None


def is_client_facing(error: GraphQLError) -> bool:
    """Errors shown as they are: graphql-core's own (syntax, validation) and ClientError."""
    original = error.original_error
    return original is None or isinstance(original, ClientError | GraphQLError)
