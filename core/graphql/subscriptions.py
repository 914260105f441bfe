"""What a plugin's subscription listens to: its property's delivered events.

A subscription resolver iterates :func:`property_events` and yields what each
event is about, read afresh: a WebSocket context lives as long as its
connection, so before each event the request's DataLoaders are emptied (a
row cached for the previous event would be stale by now).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable

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
