"""pms_housekeeping: Room conditions, out-of-order blocks, cleaning tasks, the housekeeping board.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It contributes nothing yet; its capabilities arrive in their own issue.
"""

from core import Plugin
from plugins.pms_housekeeping import hooks

plugin = Plugin(
    name="pms_housekeeping",
    version="0.1.0",
    description="Room conditions, out-of-order blocks, cleaning tasks, the housekeeping board.",
    hooks=hooks,
    requires=("pms_rooms",),
)
