"""pms_rooms: room types and rooms, rates and availability, reservations that can never
double-book a room, the front desk, folios and the night audit.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It asks pms_housekeeping its questions (is the room ready, which rooms
are out of order) through hooks it declares itself, so it runs without it.
"""

from pathlib import Path

from core import Plugin
from plugins.pms_rooms import hooks, hookspecs

plugin = Plugin(
    name="pms_rooms",
    version="0.1.0",
    description="Rooms, rates, availability, reservations without double booking, folios.",
    hooks=hooks,
    core_requires=">=0.1,<0.2",
    hookspecs=hookspecs,
    migrations=Path(__file__).parent / "migrations",
)
