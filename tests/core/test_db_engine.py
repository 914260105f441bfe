"""The engine's database settings, as the embedded default needs them."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from core.db import SQLITE_BUSY_TIMEOUT_MS
from core.testing import ConciergeTestKit


async def test_sqlite_runs_in_wal_with_foreign_keys_and_a_busy_timeout(
    concierge: ConciergeTestKit,
) -> None:
    if not concierge.db.is_sqlite:
        pytest.skip("SQLite settings")
    async with concierge.db.engine.connect() as conn:
        assert await conn.scalar(text("PRAGMA journal_mode")) == "wal"
        assert await conn.scalar(text("PRAGMA foreign_keys")) == 1
        assert await conn.scalar(text("PRAGMA busy_timeout")) == SQLITE_BUSY_TIMEOUT_MS


async def test_read_sessions_cannot_write_on_postgresql(concierge: ConciergeTestKit) -> None:
    from sqlalchemy.exc import DBAPIError

    from core.db import Scope

    if concierge.db.is_sqlite:
        pytest.skip("PostgreSQL READ ONLY transactions")
    async with concierge.db.session(Scope.system(), write=False) as session:
        with pytest.raises(DBAPIError, match="read-only"):
            await session.execute(text("CREATE TABLE forbidden (id int)"))
