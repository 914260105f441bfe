"""pms_housekeeping: room conditions and their history, out-of-order and out-of-service
blocks, cleaning and inspection tasks, the live housekeeping board.

Registered through the ``concierge.plugins`` entry point like any third-party
plugin. It requires pms_rooms: it reads rooms and stays through
``plugins.pms_rooms.service.views``, reacts to check-outs, reverted check-ins
and room moves through pms_rooms' hooks, and answers the two questions
pms_rooms asks (is this room ready, which rooms are out of order), so
check-in waits for a clean room only where this plugin is enabled.
"""

from pathlib import Path

from core import Plugin
from plugins.pms_housekeeping import hooks

plugin = Plugin(
    name="pms_housekeeping",
    version="0.1.0",
    description="Room conditions, out-of-order blocks, cleaning tasks, the housekeeping board.",
    hooks=hooks,
    core_requires=">=0.1,<0.2",
    requires=("pms_rooms",),
    migrations=Path(__file__).parent / "migrations",
)
