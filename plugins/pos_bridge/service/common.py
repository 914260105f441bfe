"""What the POS services share: their context."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.plugins import HookRelay, call_first_optional


@dataclass(frozen=True)
class PosContext:
    """Everything a POS operation needs besides its arguments.

    ``plugins`` are those the property has enabled: pms_rooms (charge to room) and
    oms_orders (retail orders) are reached through their hooks, never imported.
    ``api_key_id`` is the calling device's key, if a device calls.
    """

    session: AsyncSession
    hooks: HookRelay
    clock: Clock
    actor: str
    plugins: frozenset[str]
    currency: str
    time_zone: str
    api_key_id: int | None = None

    @property
    def charges_rooms(self) -> bool:
        return "pms_rooms" in self.plugins

    @property
    def sells_retail(self) -> bool:
        return "oms_orders" in self.plugins

    def local_today(self) -> dt.date:
        return self.clock.now().astimezone(ZoneInfo(self.time_zone)).date()

    async def call(self, hook: str, **kwargs: object) -> object:
        """Another plugin's firstresult hook, with our session, clock and relay."""
        return await call_first_optional(self.hooks, hook, session=self.session, **kwargs)
