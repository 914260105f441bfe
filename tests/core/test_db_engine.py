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


async def test_the_statistics_job_lets_sqlites_planner_use_the_narrow_index(
    concierge: ConciergeTestKit,
) -> None:
    """Without statistics SQLite reads a page's order lines through the tenant's index (the
    whole tenant's lines); after `core.refresh_statistics` through (order_id)."""
    if not concierge.db.is_sqlite:
        pytest.skip("PostgreSQL's autovacuum keeps its statistics")
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["oms_orders"])
    place = "mutation($i: PlaceOrderInput!) { placeOrder(input: $i) { errors { code } } }"
    for n in range(10):
        lines = [
            {"sku": sku, "quantity": 1, "unitPrice": "5.00", "name": sku} for sku in ("A", "B")
        ]
        order = {"idempotencyKey": f"o-{n}", "email": "ada@example.com", "lines": lines}
        placed = await concierge.graphql(place, {"i": order}, property=shop)
        assert placed.ok()["placeOrder"]["errors"] == []
    plan = (
        "EXPLAIN QUERY PLAN SELECT * FROM ord_order_lines WHERE order_id IN (1, 2, 3)"
        f" AND tenant_id = {tenant.id} ORDER BY position"
    )
    async with concierge.db.engine.connect() as conn:
        before = " ".join(str(row) for row in await conn.execute(text(plan)))
    assert "tenant_id" in before  # the planner's guess when it knows nothing
    assert await concierge.run_job("core.refresh_statistics")
    async with concierge.db.engine.connect() as conn:
        after = " ".join(str(row) for row in await conn.execute(text(plan)))
        assert await conn.scalar(text("SELECT count(*) FROM sqlite_stat1")) > 0
    assert "order_id" in after, after
