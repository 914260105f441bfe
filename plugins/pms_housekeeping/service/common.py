"""What the housekeeping services share: their context, the settings, finding a room."""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import is_read_only
from plugins.pms_housekeeping.models import HousekeepingSettings
from plugins.pms_housekeeping.service.errors import not_found
from plugins.pms_rooms.service import views
from plugins.pms_rooms.service.views import RoomView

# What each permission lets a caller do here (declared in hooks.py).
READ = "housekeeping:read"  # the board, every task, blocks, histories
TASKS = "housekeeping:tasks"  # see and work on one's own tasks
WRITE = "housekeeping:write"  # conditions by hand, tasks for anyone, blocks, settings
INSPECT = "housekeeping:inspect"  # pass or fail a cleaned room
EVERYTHING = frozenset({READ, TASKS, WRITE, INSPECT})


@dataclass(frozen=True)
class HousekeepingContext:
    """Everything a housekeeping operation needs besides its arguments.

    ``user_id`` is the signed-in user (None for API keys, jobs and hooks);
    ``permissions`` what the caller holds here: hooks and jobs act with all of
    them.
    """

    session: AsyncSession
    clock: Clock
    actor: str
    user_id: int | None = None
    permissions: frozenset[str] = field(default=EVERYTHING)

    def may(self, permission: str) -> bool:
        return permission in self.permissions


async def settings_for(session: AsyncSession) -> HousekeepingSettings:
    """The property's housekeeping settings, created with the defaults on first use."""
    settings = await session.scalar(select(HousekeepingSettings))
    if settings is None:
        settings = HousekeepingSettings(inspection_required=False, stay_over_cleaning=True)
        if not is_read_only(session):  # made when the plugin is enabled; this is a fallback
            session.add(settings)
            await session.flush()
    return settings


async def room_numbered(session: AsyncSession, number: str, field: list[str]) -> RoomView:
    room = await views.room_by_number(session, number)
    if room is None:
        raise not_found(f"room {number.strip()}", field)
    return room
