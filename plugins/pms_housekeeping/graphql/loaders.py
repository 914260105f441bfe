"""DataLoaders of pms_housekeeping: one query per kind of child for a whole page."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql.loaders import Load, one_by, request_loader
from core.users import User
from plugins.pms_rooms.service import views


def _loader(info: Info, key: str, load: Load) -> DataLoader[Any, Any]:
    return request_loader(info, f"pms_housekeeping.{key}", load)


def user(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "user", one_by(User))


def arrival_today(info: Info) -> DataLoader[int, bool]:
    """Whether a guest is due in today in each room (one query for the whole page)."""
    clock = info.context.clock

    async def load(session: AsyncSession, room_ids: Sequence[int]) -> list[bool]:
        today = await views.business_date(session, clock)
        arrivals = await views.arrivals_by_room(session, today)
        return [room_id in arrivals for room_id in room_ids]

    return _loader(info, "arrival_today", load)
