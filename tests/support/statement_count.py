"""Counting the SQL statements the app sends: a ``before_cursor_execute`` listener on the
app's own engine while a block runs (requests go through the real HTTP app)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import event

from core.testing import ConciergeTestKit


class StatementLog:
    def __init__(self) -> None:
        self.statements: list[str] = []

    def __call__(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        self.statements.append(" ".join(statement.split()))


@contextmanager
def counting(kit: ConciergeTestKit) -> Iterator[StatementLog]:
    """The statements the app's engine sends while the block runs."""
    log = StatementLog()
    engine = kit.db.engine.sync_engine
    event.listen(engine, "before_cursor_execute", log)
    try:
        yield log
    finally:
        event.remove(engine, "before_cursor_execute", log)
