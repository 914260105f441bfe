"""What a plugin's subscription listens to: its property's delivered events.

A subscription resolver iterates :func:`property_events` and yields what each
event is about, read afresh: a WebSocket context lives as long as its
connection, so before each event the request's DataLoaders are emptied (a
row cached for the previous event would be stale by now).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from typing import Any

from strawberry.types import Info

from core.events import DomainEvent


async def property_events(info: Info, names: Iterable[str]) -> AsyncIterator[DomainEvent]:
    """The events named ``names`` delivered at the request's property, as they come."""
    wanted = frozenset(names)
    async with info.context.runtime.bus.subscribe(info.context.property.id) as queue:
        while True:
            event = await queue.get()
            if event.name in wanted:
                info.context.forget_loaded()
                yield event


async def changed_rows(
    info: Info,
    names: Iterable[str],
    model: Any,
    id_key: str,
    *,
    match: dict[str, object] | None = None,
) -> AsyncIterator[Any]:
    """The row each event named ``names`` is about (``model`` by ``payload[id_key]``), read
    afresh. ``match`` keeps only events whose payload has those values (a None value
    matches anything: an argument left out); rows gone meanwhile are skipped."""
    wanted = {key: value for key, value in (match or {}).items() if value is not None}
    async for event in property_events(info, names):
        if any(event.payload.get(key) != value for key, value in wanted.items()):
            continue
        async with info.context.db() as session:
            row = await session.get(model, event.payload[id_key])
        if row is not None:
            yield row
