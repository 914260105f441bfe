"""The mutation pattern: one write transaction, typed payload errors on failure."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from core.errors import DomainError
from core.graphql.errors import error_from

P = TypeVar("P")


async def in_transaction(
    info: Info,
    work: Callable[[AsyncSession], Awaitable[P]],
    payload: Callable[..., P],
    error_type: type[Any],
    code_enum: type[Enum],
) -> P:
    """Run ``work`` in the request's write transaction and return its payload.

    A DomainError rolls the transaction back (nothing half-written) and becomes
    ``payload(errors=[error_type(...)])``, its code mapped onto ``code_enum``.
    """
    try:
        async with info.context.transaction() as session:
            return await work(session)
    except DomainError as exc:
        return payload(errors=[error_from(exc, error_type, code_enum)])
