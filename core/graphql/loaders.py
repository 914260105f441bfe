"""DataLoaders over a plugin's tables: one query per kind of child for a whole page.

    def lines_of_order(info: Info) -> DataLoader[int, list[OrderLine]]:
        return request_loader(info, "orders.lines", grouped_by(OrderLine, "order_id", OrderLine.id))

``request_loader`` keeps one loader per key for the request (through
``info.context.loader``), so every resolver of a page shares its batch; each
batch reads through the request's scoped session, so tenancy holds.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any, TypeVar

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.dataloader import DataLoader
from strawberry.types import Info

Load = Callable[[AsyncSession, Sequence[Any]], Awaitable[list[Any]]]
R = TypeVar("R")


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


def now_or_later(loader: DataLoader[Any, Any], key: Any, convert: Callable[[Any], R]) -> Any:
    """``convert(value)`` for ``key``: at once when ``loader`` already holds the value (the
    page's resolver loaded it ahead, :func:`load_ahead`), else an awaitable of it.

    Call it from a plain ``def`` resolver. A resolver that returns a value costs
    graphql-core no coroutine, task or gather; on a board of 300 rooms those were a fifth
    of the request (benchmarks/README.md). graphql-core awaits the awaitable otherwise,
    so the field works wherever its object comes from.
    """
    future = loader.cache_map.get(key) if loader.cache else None
    ready = future is not None and future.done() and not future.cancelled()
    if ready and future.exception() is None:
        return convert(future.result())

    async def later() -> R:
        return convert(await loader.load(key))

    return later()


async def load_ahead(loader: DataLoader[Any, Any], keys: Iterable[Any]) -> None:
    """Load ``keys`` now, in one batch, so :func:`now_or_later` answers without waiting."""
    wanted = list(dict.fromkeys(key for key in keys if key is not None))
    if wanted:
        await loader.load_many(wanted)
