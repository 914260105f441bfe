"""The tenant isolation suite (core.isolation) over every installed plugin, and the proof
that it catches a leak: a deliberately unscoped plugin makes it fail."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from core.app import create_app
from core.clock import MovableClock
from core.config import Settings
from core.db import Base
from core.isolation import (
    IsolationReport,
    UncoveredType,
    check_isolation,
    node_type_names,
    run_isolation_suite,
    seed_isolation_tenants,
)
from core.plugins import Plugin, PluginHost
from core.testing import TEST_BASE_URL, TEST_SECRET, ConciergeTestKit, migrated_database


def _types(report: IsolationReport, how: str) -> set[str]:
    return {leak.type for leak in report.leaks if leak.how == how}


def _node_types_in_schemas(kit: ConciergeTestKit) -> int:
    """Node types of the account schema and of the property schema with every plugin on,
    counted on the server's side."""
    schemas = kit.runtime.schemas
    return sum(len(node_type_names(s._schema)) for s in (schemas.account(), schemas.full()))


async def test_no_tenant_reaches_another_tenants_objects(concierge: ConciergeTestKit) -> None:
    report = await run_isolation_suite(concierge)

    assert report.problems == [], str(report)
    checked = report.checked
    # User, Property, ApiKey on /graphql; Note (test_notes) and the plugins' on a property.
    assert checked.node_types == _node_types_in_schemas(concierge) >= 4
    assert checked.node_types_covered >= checked.node_types
    assert checked.ids >= checked.node_types
    assert checked.list_queries > 0
    assert checked.node_lookups >= 2 * checked.ids
    # Mutations taking A's IDs (and A's property slug) were called as B.
    assert {"/graphql setMembership", "/graphql revokeApiKey"} <= set(report.mutations_exercised)
    assert checked.mutation_calls >= checked.mutations >= 2


async def test_a_node_type_without_objects_is_reported_uncovered(
    concierge: ConciergeTestKit,
) -> None:
    """No API key, no note: the suite says so instead of passing on nothing."""
    refs = []
    for slug in ("bare-a", "bare-b"):
        tenant = await concierge.tenant(slug)
        refs += [tenant, await concierge.property(tenant, f"{slug}-shop")]

    report = await check_isolation(concierge, *refs)

    assert UncoveredType("/graphql", "ApiKey") in report.uncovered_types
    assert "uncovered on /graphql: no ApiKey" in str(report)
    assert report.leaks == []


# ---------------------------------------------------------------------------
# The suite catches a leak
# ---------------------------------------------------------------------------


@pytest.fixture
def leaky_plugin() -> Plugin:
    """The unscoped test plugin. Its table leaves Base.metadata, which the app does not
    need (migrations create it): the drift check compares the normal test database,
    which has no such table, against Base.metadata."""
    from leaky_plugin import plugin
    from leaky_plugin.models import GossipRow

    if GossipRow.__table__.key in Base.metadata.tables:
        Base.metadata.remove(GossipRow.__table__)
    return plugin


@pytest.fixture
async def leaky_concierge(
    leaky_plugin: Plugin, clock: MovableClock, tmp_path: Path
) -> AsyncIterator[ConciergeTestKit]:
    """A kit over its own app and database with test_notes and the leaky plugin only: the
    suite's own behaviour does not need the built-in plugins, whose data would only make
    it slower (the suite over every plugin runs in the test above)."""
    from notes_plugin import plugin as notes_plugin

    host = PluginHost([notes_plugin, leaky_plugin])
    async with migrated_database(host, tmp_path) as url:
        settings = Settings(
            database_url=url, secret_key=TEST_SECRET, data_dir=tmp_path, run_jobs=False
        )
        app = create_app(settings, host=host, clock=clock, run_jobs=False)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(transport=transport, base_url=TEST_BASE_URL) as client:
                yield ConciergeTestKit(app, client)
        finally:
            await app.state.runtime.close()


async def test_the_suite_catches_an_unscoped_type(leaky_concierge: ConciergeTestKit) -> None:
    a, b = await seed_isolation_tenants(leaky_concierge)
    report = await check_isolation(leaky_concierge, a.tenant, a.property, b.tenant, b.property)

    assert report.uncovered_types == []
    assert "Gossip" in _types(report, "list")
    assert "Gossip" in _types(report, "node")
    assert "Gossip" in _types(report, "nodes")
    assert "Gossip" in _types(report, "mutation")  # retractGossip given A's gossip
    # Only the leaky type leaks.
    assert {leak.type for leak in report.leaks} == {"Gossip"}
    assert any("Gossip" in problem for problem in report.problems)
    assert "PROBLEM list leak on /graphql/" in str(report)

    # A type shared by design is covered, but not a leak.
    shared = await check_isolation(
        leaky_concierge, a.tenant, a.property, b.tenant, b.property, shared_types=["Gossip"]
    )
    assert shared.problems == [], str(shared)
