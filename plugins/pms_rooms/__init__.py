"""pms_rooms: Rooms, rates, availability, reservations without double booking, folios.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It contributes nothing yet; its capabilities arrive in their own issue.
"""

from core import Plugin
from plugins.pms_rooms import hooks

plugin = Plugin(
    name="pms_rooms",
    version="0.1.0",
    description="Rooms, rates, availability, reservations without double booking, folios.",
    hooks=hooks,
    requires=(),
)
