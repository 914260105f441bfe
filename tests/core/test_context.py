"""The request context: reads and writes from resolvers, and the GraphQL caches."""

from __future__ import annotations

import asyncio

from notes_plugin.models import NoteRow
from sqlalchemy import func, select

from core.context import Context
from core.graphql.extensions import _validate_cached
from core.testing import ConciergeTestKit


async def _context(concierge: ConciergeTestKit, *, long_lived: bool = False) -> Context:
    from core.app import load_property
    from core.auth import Principal

    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    prop = await load_property(concierge.runtime, shop.slug)
    context = Context(concierge.runtime, None, Principal(tenant.id, "test"), prop)
    context.long_lived = long_lived
    return context


async def test_reading_inside_a_transaction_does_not_deadlock(concierge: ConciergeTestKit) -> None:
    context = await _context(concierge)

    async def write_then_read() -> int:
        async with context.transaction() as session:
            session.add(NoteRow(text="new", created_at=concierge.clock.now()))
            async with context.db() as reader:  # a resolver helper reading mid-mutation
                return int(await reader.scalar(select(func.count()).select_from(NoteRow)))

    seen_before_commit = await asyncio.wait_for(write_then_read(), timeout=10)
    assert seen_before_commit == 1  # the read session does not see the uncommitted note
    async with context.db() as reader:
        assert await reader.scalar(select(func.count()).select_from(NoteRow)) == 2
    await context.close()


async def test_a_long_lived_context_keeps_no_read_transaction_open(
    concierge: ConciergeTestKit,
) -> None:
    context = await _context(concierge, long_lived=True)
    async with context.db() as reader:
        await reader.scalar(select(func.count()).select_from(NoteRow))
    assert context._read_session is None  # closed after use: nothing idles in a transaction
    async with concierge.db.transaction(context.scope) as session:
        session.add(NoteRow(text="later", created_at=concierge.clock.now()))
    async with context.db() as reader:  # a fresh snapshot sees the new row
        assert await reader.scalar(select(func.count()).select_from(NoteRow)) == 2


async def test_identical_queries_hit_the_validation_cache(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    query = "{ notes(first: 3) { totalCount } currentProperty { slug } }"
    await concierge.graphql(query, property=shop)
    hits_before = _validate_cached.cache_info().hits
    for _ in range(3):
        assert (await concierge.graphql(query, property=shop)).ok()
    assert _validate_cached.cache_info().hits == hits_before + 3
