"""oms_orders: Multi-channel orders: lifecycle, fulfilment and tracking, payments, returns.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It contributes nothing yet; its capabilities arrive in their own issue.
"""

from core import Plugin
from plugins.oms_orders import hooks

plugin = Plugin(
    name="oms_orders",
    version="0.1.0",
    description="Multi-channel orders: lifecycle, fulfilment and tracking, payments, returns.",
    hooks=hooks,
    requires=(),
)
