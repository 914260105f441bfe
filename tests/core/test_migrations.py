"""Migrations: every branch upgrades, and the migrated database matches the models."""

from __future__ import annotations

from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from core.migrate import alembic_config, schema_drift, table_owners, upgrade
from core.testing import ConciergeTestKit


async def test_models_and_migrations_agree(concierge: ConciergeTestKit) -> None:
    """Autogenerate finds nothing to do on a freshly migrated database (SQLite and PostgreSQL)."""
    assert await schema_drift(concierge.db) == []


async def test_every_branch_is_at_its_head(concierge: ConciergeTestKit, concierge_host) -> None:
    script = ScriptDirectory.from_config(alembic_config(concierge_host))
    expected = set(script.get_heads())
    assert any(script.get_revision(h).branch_labels & {"core"} for h in expected)
    assert any(script.get_revision(h).branch_labels & {"test_notes"} for h in expected)

    async with concierge.db.engine.connect() as conn:
        current = await conn.run_sync(
            lambda sync: set(MigrationContext.configure(sync).get_current_heads())
        )
    # A head another branch depends on is recorded through its dependant.
    applied = {rev.revision for rev in script.iterate_revisions(tuple(current), "base")}
    assert expected <= applied


async def test_migrating_again_changes_nothing(concierge: ConciergeTestKit, concierge_host) -> None:
    await upgrade(concierge.db, concierge_host)
    assert await schema_drift(concierge.db) == []


def test_each_table_belongs_to_the_branch_of_its_owner(concierge_host) -> None:
    owners = table_owners(concierge_host)
    assert owners["tenants"] == "core"
    assert owners["outbox_events"] == "core"
    assert owners["test_notes"] == "test_notes"


async def test_concurrent_upgrades_of_an_empty_database_take_turns(
    concierge_host, tmp_path
) -> None:
    """Processes starting together on a new database all migrate (PostgreSQL: one at a time)."""
    import asyncio
    import uuid

    from core.db import Database
    from core.testing import _admin_execute, test_database_server

    server = test_database_server()
    name = f"concierge_empty_{uuid.uuid4().hex[:12]}"
    if server is None:
        url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    else:
        await _admin_execute(server, f'CREATE DATABASE "{name}"')
        url = server.set(database=name).render_as_string(False)
    databases = [Database(url) for _ in range(3)]
    try:
        await asyncio.gather(*(upgrade(db, concierge_host) for db in databases))
        assert await schema_drift(databases[0]) == []
    finally:
        for db in databases:
            await db.dispose()
        if server is not None:
            await _admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
