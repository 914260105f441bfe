"""webhooks: a property's events sent to the URLs its integrators register, signed,
retried with backoff until they arrive, logged, redeliverable.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin; it requires none: it reads the core's event outbox, so it sends every
enabled plugin's events (docs/events.md lists them).
"""

from pathlib import Path

from core import Plugin

# models: importing the package puts the tables in Base.metadata (migrations, drift checks).
from plugins.webhooks import hooks, models  # noqa: F401

plugin = Plugin(
    name="webhooks",
    version="0.1.0",
    description="Signed, retried webhooks of a property's events, with a delivery log.",
    hooks=hooks,
    core_requires=">=0.1,<0.2",
    migrations=Path(__file__).parent / "migrations",
)
