"""Tenant scoping: rows are filtered and stamped without the caller asking."""

from __future__ import annotations

import asyncio

import pytest
from notes_plugin.models import NoteRow
from sqlalchemy import delete, func, select, update

from core.db import Scope, ScopeError
from core.testing import ConciergeTestKit


@pytest.fixture
async def two_tenants(concierge: ConciergeTestKit):
    acme = await concierge.tenant("acme")
    globex = await concierge.tenant("globex")
    acme_shop = await concierge.property(acme, "acme-shop", plugins=["test_notes"])
    acme_hotel = await concierge.property(acme, "acme-hotel", plugins=["test_notes"])
    globex_shop = await concierge.property(globex, "globex-shop", plugins=["test_notes"])
    # Each property was seeded with one "Welcome" note; add one more each.
    for prop, text in (
        (acme_shop, "acme shop"),
        (acme_hotel, "acme hotel"),
        (globex_shop, "globex"),
    ):
        async with concierge.transaction(prop) as session:
            session.add(NoteRow(text=text, created_at=concierge.clock.now()))
    return acme, globex, acme_shop, acme_hotel, globex_shop


async def test_queries_see_only_the_sessions_tenant(concierge, two_tenants) -> None:
    acme, globex, *_ = two_tenants
    async with concierge.transaction(acme) as session:
        texts = set(await session.scalars(select(NoteRow.text)))
    assert texts == {"Welcome", "acme shop", "acme hotel"}
    async with concierge.transaction(globex) as session:
        texts = set(await session.scalars(select(NoteRow.text)))
        count = await session.scalar(select(func.count()).select_from(NoteRow))
    assert texts == {"Welcome", "globex"}
    assert count == 2


async def test_property_scope_narrows_to_one_property(concierge, two_tenants) -> None:
    _, _, acme_shop, _, _ = two_tenants
    async with concierge.transaction(acme_shop) as session:
        texts = set(await session.scalars(select(NoteRow.text)))
    assert texts == {"Welcome", "acme shop"}


async def test_a_property_scope_reaches_no_other_property_by_get_update_or_delete(
    concierge, two_tenants
) -> None:
    """A property's session filters on property_id alone (no tenant_id term): neither the
    same tenant's other property nor another tenant's is reached by any statement."""
    _, _, acme_shop, acme_hotel, globex_shop = two_tenants
    others = {}
    for prop in (acme_hotel, globex_shop):
        async with concierge.transaction(prop) as session:
            others[prop.slug] = set(await session.scalars(select(NoteRow.id)))
    async with concierge.transaction(acme_shop) as session:
        for ids in others.values():
            for note_id in ids:
                assert await session.get(NoteRow, note_id) is None
        await session.execute(update(NoteRow).values(text="changed"))
        await session.execute(delete(NoteRow).where(NoteRow.text == "changed"))
    for prop in (acme_hotel, globex_shop):
        async with concierge.transaction(prop) as session:
            texts = set(await session.scalars(select(NoteRow.text)))
            assert set(await session.scalars(select(NoteRow.id))) == others[prop.slug]
        assert "changed" not in texts


async def test_get_by_primary_key_cannot_reach_another_tenant(concierge, two_tenants) -> None:
    acme, globex, *_ = two_tenants
    async with concierge.transaction(globex) as session:
        globex_id = await session.scalar(select(NoteRow.id).where(NoteRow.text == "globex"))
    async with concierge.db.session(Scope.tenant(acme.id)) as session:
        assert await session.get(NoteRow, globex_id) is None


async def test_bulk_update_and_delete_stay_inside_the_tenant(concierge, two_tenants) -> None:
    acme, globex, *_ = two_tenants
    async with concierge.transaction(acme) as session:
        await session.execute(update(NoteRow).values(text="changed"))
        await session.execute(delete(NoteRow).where(NoteRow.text == "changed"))
    async with concierge.transaction(globex) as session:
        texts = set(await session.scalars(select(NoteRow.text)))
    assert texts == {"Welcome", "globex"}
    async with concierge.db.session(Scope.system()) as session:
        assert await session.scalar(select(func.count()).select_from(NoteRow)) == 2


async def test_inserts_are_stamped_with_the_scope(concierge, two_tenants) -> None:
    _, _, acme_shop, _, _ = two_tenants
    async with concierge.transaction(acme_shop) as session:
        note = NoteRow(text="stamped", created_at=concierge.clock.now())
        session.add(note)
        await session.flush()
        assert (note.tenant_id, note.property_id) == (acme_shop.tenant_id, acme_shop.id)


async def test_writing_a_row_for_another_tenant_is_refused(concierge, two_tenants) -> None:
    acme, _, _, _, globex_shop = two_tenants
    with pytest.raises(ScopeError):
        async with concierge.transaction(acme) as session:
            session.add(
                NoteRow(
                    text="smuggled",
                    created_at=concierge.clock.now(),
                    tenant_id=globex_shop.tenant_id,
                    property_id=globex_shop.id,
                )
            )
    async with concierge.db.session(Scope.system()) as session:
        assert await session.scalar(select(NoteRow.id).where(NoteRow.text == "smuggled")) is None


async def test_a_session_without_scope_refuses_to_query(concierge) -> None:
    from sqlalchemy.ext.asyncio import AsyncSession

    async with AsyncSession(concierge.db.engine) as session:
        with pytest.raises(ScopeError):
            await session.execute(select(NoteRow))


async def test_concurrent_writers_queue_instead_of_failing(concierge) -> None:
    """Read-then-write transactions racing on one database all succeed (SQLite: BEGIN IMMEDIATE)."""
    tenant = await concierge.tenant("busy")
    prop = await concierge.property(tenant, "busy-shop", plugins=["test_notes"])

    async def writer(index: int) -> None:
        async with concierge.transaction(prop) as session:
            count = await session.scalar(select(func.count()).select_from(NoteRow))
            session.add(
                NoteRow(text=f"note {index} after {count}", created_at=concierge.clock.now())
            )

    await asyncio.gather(*(writer(i) for i in range(40)))
    async with concierge.transaction(prop) as session:
        rows = list(await session.scalars(select(NoteRow.text)))
    assert len(rows) == 41
    if not concierge.db.is_sqlite:
        return  # PostgreSQL runs them concurrently under READ COMMITTED; none failed.
    # On SQLite writers were serialised: each saw every earlier note, so counts are distinct.
    counts = sorted(int(text.rsplit(" ", 1)[1]) for text in rows if text != "Welcome")
    assert counts == list(range(1, 41))
