"""oms_inventory: catalog, locations, stock that never oversells, the stock ledger, reorder.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. Other plugins reach its stock through the hooks in hookspecs.py.
"""

from pathlib import Path

from core import Plugin
from plugins.oms_inventory import hooks, hookspecs

plugin = Plugin(
    name="oms_inventory",
    version="0.1.0",
    description="Catalog, locations, stock that never oversells, stock ledger, reorder rules.",
    hooks=hooks,
    core_requires=">=0.1,<0.2",
    hookspecs=hookspecs,
    migrations=Path(__file__).parent / "migrations",
)
