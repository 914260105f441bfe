"""pos_bridge: Outlets and devices: charge to room, retail sales from OMS stock.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It contributes nothing yet; its capabilities arrive in their own issue.
"""

from core import Plugin
from plugins.pos_bridge import hooks

plugin = Plugin(
    name="pos_bridge",
    version="0.1.0",
    description="Outlets and devices: charge to room, retail sales from OMS stock.",
    hooks=hooks,
    requires=(),
)
