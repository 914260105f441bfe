"""pos_bridge: outlets and their tills, sales paid at the outlet or charged to a guest's
room, retail sales that take stock and become POS orders, voids, signed webhooks,
daily summaries that reconcile with the folios and the orders.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It requires nothing: a shop runs it without pms_rooms (no charge to
room), a hotel without oms_orders (no stock); both through the hooks those
plugins offer, and its schema shows only what applies.
"""

from pathlib import Path

from core import Plugin

# models: importing the package puts the tables in Base.metadata (migrations, drift checks).
from plugins.pos_bridge import hooks, models  # noqa: F401

plugin = Plugin(
    name="pos_bridge",
    version="0.1.0",
    description="Outlets and devices: charge to room, retail sales from OMS stock.",
    hooks=hooks,
    core_requires=">=0.1,<0.2",
    requires=(),
    migrations=Path(__file__).parent / "migrations",
)
