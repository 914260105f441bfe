"""loyalty as an installed plugin: its migrations match its models, tenants never see each
other's members, and the demo resort runs it with demo members."""

from __future__ import annotations

from core.config import Settings
from core.demo import DEMO_PASSWORD, demo_email, seed_demo
from core.isolation import run_isolation_suite
from core.migrate import schema_drift
from core.plugins import PluginHost
from core.testing import ConciergeTestKit


async def test_the_migrations_match_the_models(concierge: ConciergeTestKit) -> None:
    assert await schema_drift(concierge.db) == []


async def test_tenants_never_see_each_others_members(concierge: ConciergeTestKit) -> None:
    report = await run_isolation_suite(concierge)
    # Every Node type, LoyaltyMember and LoyaltyEntry included, had objects to aim at.
    assert report.problems == [], str(report)


async def test_the_demo_resort_runs_loyalty(
    concierge: ConciergeTestKit, concierge_settings: Settings, concierge_host: PluginHost
) -> None:
    assert await seed_demo(concierge_settings, concierge_host, concierge.clock)
    login = await concierge.login(demo_email("owner"), DEMO_PASSWORD)
    token = login.ok()["login"]["accessToken"]
    data = await concierge.graphql(
        "{ loyaltyMembers { edges { node { email balance lifetimePoints } } } }",
        property="demo-resort", token=token,
    )  # fmt: skip
    assert data.ok()["loyaltyMembers"]["edges"] == [
        {"node": {"email": "ada@demo.example", "balance": 150, "lifetimePoints": 250}},
        {"node": {"email": "grace@demo.example", "balance": 0, "lifetimePoints": 0}},
    ]
