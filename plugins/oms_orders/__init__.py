"""oms_orders: orders from every channel, their lifecycle, fulfilment and tracking,
payments and returns.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It uses oms_inventory only through the hooks oms_inventory declares,
so it also runs on a property without it (then lines carry their own prices
and no stock moves). The hooks it offers others are in hookspecs.py.
"""

from pathlib import Path

from core import Plugin
from plugins.oms_orders import hooks, hookspecs

plugin = Plugin(
    name="oms_orders",
    version="0.1.0",
    description="Multi-channel orders: lifecycle, fulfilment and tracking, payments, returns.",
    hooks=hooks,
    core_requires=">=0.1,<0.2",
    hookspecs=hookspecs,
    migrations=Path(__file__).parent / "migrations",
)
