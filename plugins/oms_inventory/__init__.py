"""oms_inventory: Catalog, locations, stock that never oversells, stock ledger, reorder rules.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It contributes nothing yet; its capabilities arrive in their own issue.
"""

from core import Plugin
from plugins.oms_inventory import hooks

plugin = Plugin(
    name="oms_inventory",
    version="0.1.0",
    description="Catalog, locations, stock that never oversells, stock ledger, reorder rules.",
    hooks=hooks,
    requires=(),
)
