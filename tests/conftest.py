"""Project-wide fixtures: the shared kit from core.testing plus the test-only plugins."""

import pytest

from core.plugins import Plugin

pytest_plugins = ["core.testing"]


@pytest.fixture(scope="session")
def concierge_extra_plugins() -> list[Plugin]:
    from fake_gateway import plugin as fake_gateway
    from notes_plugin import plugin

    return [plugin, fake_gateway]


@pytest.fixture(autouse=True)
def _reset_notes_plugin_records() -> None:
    from fake_gateway import hooks as fake_gateway_hooks
    from notes_plugin import hooks

    for record in (
        hooks.DELIVERED_EVENTS,
        hooks.JOB_RUNS,
        hooks.ENABLED_ON,
        hooks.DISABLED_ON,
        hooks.FAIL_NEXT_EVENTS,
        fake_gateway_hooks.CALLS,
    ):
        record.clear()
