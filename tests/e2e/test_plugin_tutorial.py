"""The plugin tutorial (docs/plugins.md) quotes examples/loyalty, whose own tests CI runs
after installing it with pip (.ci/run): every quoted block must still be in its file, so
the tutorial shows code that runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).parents[2]
GUIDE = ROOT / "docs" / "plugins.md"
BLOCK = re.compile(r"```(?:python|toml)\n# (examples/\S+)\n(.*?)```", re.S)


def quotes() -> list[tuple[str, str]]:
    return [(m.group(1), m.group(2)) for m in BLOCK.finditer(GUIDE.read_text())]


def test_every_quote_of_the_example_plugin_is_in_its_file() -> None:
    found = quotes()
    assert len(found) >= 15, "the tutorial lost its quotes"
    for path, code in found:
        source = (ROOT / path).read_text()
        assert code in source, f"docs/plugins.md quotes {path}, which no longer has:\n{code}"


def test_the_tutorial_covers_each_part_of_a_plugin() -> None:
    """Table and migration branch, types, a query and a mutation, a permission, a reaction to
    another plugin's event, a job, tests: each quoted from where it lives."""
    text = "\n".join(code for _, code in quotes())
    for needle in (
        "class Member(PropertyScoped, Base):",
        "branch_labels",
        "class LoyaltyEntry(relay.Node):",
        "class LoyaltyQuery:",
        "class LoyaltyMutation:",
        "def concierge_permissions()",
        "async def concierge_event(",
        '"oms_orders.payment_recorded": order_paid',
        "def concierge_jobs()",
        "async def test_a_paid_order_earns_and_its_refunds_take_the_points_back(",
        '[project.entry-points."concierge.plugins"]',
    ):
        assert needle in text, needle
