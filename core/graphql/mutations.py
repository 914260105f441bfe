"""The mutation pattern: one write transaction, typed payload errors on failure."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import Enum
from typing import Any, TypeVar

from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from core.errors import CoreErrorCode, DomainError
from core.graphql.errors import error_from

P = TypeVar("P")
log = logging.getLogger(__name__)

# PostgreSQL gave up on the transaction because of another one: deadlock detected,
# serialization failure. Running the work again in a new transaction is correct.
RETRYABLE_STATES = frozenset({"40P01", "40001"})
ATTEMPTS = 3


def database_state(exc: DBAPIError) -> str | None:
    """PostgreSQL's SQLSTATE of a driver error, or SQLite's equivalent for a unique
    violation ("23505"); None for anything else."""
    original = exc.orig
    state = getattr(original, "sqlstate", None) or getattr(original, "pgcode", None)
    if state:
        return str(state)
    if getattr(original, "sqlite_errorname", "") in (
        "SQLITE_CONSTRAINT_UNIQUE", "SQLITE_CONSTRAINT_PRIMARYKEY",
    ):  # fmt: skip
        return "23505"
    return None


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
    Losing a race the database settles is never an internal error either: a
    deadlock or serialization failure runs the work again in a new transaction
    (up to three times), and a unique violation (two requests creating the same
    thing at once, the loser past its own check) becomes a CONFLICT.
    """
    for attempt in range(1, ATTEMPTS + 1):
        try:
            async with info.context.transaction() as session:
                return await work(session)
        except DomainError as exc:
            return payload(errors=[error_from(exc, error_type, code_enum)])
        except DBAPIError as exc:
            state = database_state(exc)
            if state in RETRYABLE_STATES and attempt < ATTEMPTS:
                log.info("transaction retried after SQLSTATE %s (attempt %d)", state, attempt)
                continue
            if state == "23505":
                conflict = DomainError(
                    CoreErrorCode.CONFLICT,
                    "this conflicts with a change made at the same moment; try again",
                )
                return payload(errors=[error_from(conflict, error_type, code_enum)])
            raise
    raise AssertionError("unreachable")  # pragma: no cover
