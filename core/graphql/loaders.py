"""DataLoaders over a plugin's tables: one query per kind of child for a whole page.

    def lines_of_order(info: Info) -> DataLoader[int, list[OrderLine]]:
        return request_loader(info, "orders.lines", grouped_by(OrderLine, "order_id", OrderLine.id))

``request_loader`` keeps one loader per key for the request (through
``info.context.loader``), so every resolver of a page shares its batch; each
batch reads through the request's scoped session, so tenancy holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

Load = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Any]]]


def request_loader(info: Info, key: str, load: Load) -> DataLoader[Any, Any]:
    """The request's DataLoader named ``key`` (prefix it with your plugin's name)."""

    async def batch(keys: Sequence[Any]) -> list[Any]:
        async with info.context.db() as session:
            return await load(session, keys)

    return info.context.loader(key, lambda: DataLoader(batch))


def one_by(model: Any, column: str = "id") -> Load:
    """Rows of ``model`` by ``column`` (unique), one per key; None for a key not found."""

    async def load(session: AsyncSession, keys: Sequence[Any]) -> list[Any]:
        attr = getattr(model, column)
        rows = {
            getattr(row, column): row
            for row in await session.scalars(select(model).where(attr.in_(keys)))
        }
        return [rows.get(key) for key in keys]

    return load


def grouped_by(model: Any, column: str, *order: Any) -> Load:
    """Rows of ``model`` grouped by ``column`` (a foreign key), in ``order``; [] for none."""

    async def load(session: AsyncSession, keys: Sequence[Any]) -> list[Any]:
        groups: dict[Any, list[Any]] = defaultdict(list)
        attr = getattr(model, column)
        for row in await session.scalars(select(model).where(attr.in_(keys)).order_by(*order)):
            groups[getattr(row, column)].append(row)
        return [groups.get(key, []) for key in keys]

    return load
