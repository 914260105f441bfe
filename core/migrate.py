"""Migrations: one Alembic branch for the core and one per plugin, upgraded together.

``concierge migrate`` upgrades every head. A plugin's branch is labelled with
the plugin's name, and its first revision depends on the core's head revision
at the time (``depends_on``), so the core's tables exist first.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Table, text

import core.models  # noqa: F401  (registers the core tables on Base.metadata)
from core.db import Base, Database
from core.plugins import PluginHost

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
CORE_VERSIONS = MIGRATIONS_DIR / "versions"


def alembic_config(host: PluginHost) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("path_separator", "os")
    locations = [str(CORE_VERSIONS), *(str(p) for p in host.migration_locations().values())]
    config.set_main_option("version_locations", os.pathsep.join(locations))
    return config


def table_owners(host: PluginHost) -> dict[str, str]:
    """Which branch ("core" or a plugin's name) owns each mapped table."""
    packages = {name: plugin_package(plugin.hooks) for name, plugin in host.plugins.items()}
    owners: dict[str, str] = {}
    for mapper in Base.registry.mappers:
        module = mapper.class_.__module__
        owner = "core"
        for name, package in packages.items():
            if package and (module == package or module.startswith(package + ".")):
                owner = name
        for table in mapper.tables:
            owners[table.name] = owner
    return owners


def plugin_package(hooks: object) -> str | None:
    module = getattr(hooks, "__name__", None) or getattr(type(hooks), "__module__", None)
    if module is None:
        return None
    return module.rsplit(".", 1)[0] if "." in module else module


def _run(connection: Connection, config: Config, fn: Any, *args: Any) -> None:
    config.attributes["connection"] = connection
    fn(config, *args)


# Several app processes may start together; on PostgreSQL they take turns.
MIGRATION_LOCK_KEY = 0x636F6E6369657267  # "concierg"


async def upgrade(db: Database, host: PluginHost, revision: str = "heads") -> None:
    """Upgrade the database to ``revision`` (every branch's head by default).

    On PostgreSQL a transaction-level advisory lock serialises concurrent
    upgrades (several processes starting at once); on SQLite the write
    transaction does.
    """
    config = alembic_config(host)
    async with db.engine.begin() as conn:
        if not db.is_sqlite:
            await conn.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK_KEY}
            )
        await conn.run_sync(_run, config, command.upgrade, revision)


async def make_revision(db: Database, host: PluginHost, branch: str, message: str) -> None:
    """Autogenerate a revision on ``branch`` holding only that branch's tables' changes."""
    config = alembic_config(host)
    owners = table_owners(host)

    def include_object(
        obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
    ) -> bool:
        table = obj if isinstance(obj, Table) else getattr(obj, "table", None)
        table_name = table.name if table is not None else name
        return owners.get(table_name or "", None) == branch

    config.attributes["include_object"] = include_object
    existing = _branch_revision_count(config, branch)
    heads_kwargs: dict[str, Any] = {
        "head": f"{branch}@head",
        "rev_id": f"{branch}_{existing + 1:04d}",
    }
    if existing == 0:
        location = CORE_VERSIONS if branch == "core" else host.plugins[branch].migrations
        heads_kwargs.update(head="base", branch_label=branch, version_path=str(location))
        if branch != "core":
            heads_kwargs["depends_on"] = "core@head"

    def generate(cfg: Config) -> None:
        command.revision(cfg, message=message, autogenerate=True, **heads_kwargs)

    async with db.engine.begin() as conn:
        await conn.run_sync(_run, config, generate)


def _branch_revision_count(config: Config, branch: str) -> int:
    # Alembic gives every revision of a branch the label of its first revision.
    script = ScriptDirectory.from_config(config)
    return sum(1 for rev in script.walk_revisions() if branch in rev.branch_labels)


async def schema_drift(db: Database) -> list[Any]:
    """Differences between the models and the migrated database (empty when they agree)."""

    def compare(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)

    async with db.engine.connect() as conn:
        return await conn.run_sync(compare)
