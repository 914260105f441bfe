"""A test-only plugin (not shipped): a table with a migration, a query, a mutation,
a subscription, an event hook, a job and seed data. Tests enable and disable it per
property to prove the plugin contract end to end.
"""

from pathlib import Path

from core import Plugin
from notes_plugin import hooks, hookspecs

plugin = Plugin(
    name="test_notes",
    version="0.0.1",
    description="Notes on a property (test plugin).",
    hooks=hooks,
    hookspecs=hookspecs,
    migrations=Path(__file__).parent / "migrations",
)
