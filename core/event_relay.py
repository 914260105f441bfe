"""Events across processes: PostgreSQL's LISTEN/NOTIFY feeds every process's bus.

Each process publishes the events it delivers to its own in-process bus
(core.events), then, on PostgreSQL, sends ``NOTIFY concierge_events`` with
their ids and its origin in the transaction that marks them delivered. Every
process that has a live subscriber listens on a connection of its own, loads
the events another origin announced and publishes them to its bus, so a
subscriber on one server hears of a change made through another. SQLite
deployments are one process: nothing to relay.

Live subscriptions are best effort: an event announced while a process was
not listening is not replayed to it (webhooks, which must not miss any,
read the outbox instead).
"""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import Database, Scope

log = logging.getLogger(__name__)

CHANNEL = "concierge_events"
# NOTIFY payloads are capped at 8000 bytes: ids go in batches well below that.
IDS_PER_NOTIFY = 400


def new_origin() -> str:
    return uuid.uuid4().hex


async def announce(session: AsyncSession, origin: str, event_ids: Iterable[int]) -> None:
    """NOTIFY the other processes of ``event_ids``, when ``session`` commits (PostgreSQL)."""
    if session.get_bind().dialect.name != "postgresql":
        return
    ids = sorted(event_ids)
    for start in range(0, len(ids), IDS_PER_NOTIFY):
        payload = json.dumps({"origin": origin, "ids": ids[start : start + IDS_PER_NOTIFY]})
        await session.execute(
            text("SELECT pg_notify(:channel, :payload)"), {"channel": CHANNEL, "payload": payload}
        )


class EventRelay:
    """Listens for other processes' events and publishes them to this process's bus.

    Started on the first subscription (:meth:`ensure_listening`), stopped with
    the runtime. A lost connection is reopened on the next subscription.
    """

    def __init__(self, db: Database, origin: str) -> None:
        self.db = db
        self.origin = origin
        self._connection: Any = None
        self._lock = asyncio.Lock()
        self._tasks: set[asyncio.Task[None]] = set()
        self.publish: Any = None  # set by the bus that owns the relay

    @property
    def listening(self) -> bool:
        return self._connection is not None and not self._connection.is_closed()

    async def ensure_listening(self) -> None:
        if self.db.is_sqlite or self.listening:
            return
        async with self._lock:
            if self.listening:
                return
            import asyncpg

            url = make_url(self.db.url).set(drivername="postgresql")
            self._connection = await asyncpg.connect(url.render_as_string(hide_password=False))
            await self._connection.add_listener(CHANNEL, self._notified)

    def _notified(self, connection: Any, pid: int, channel: str, payload: str) -> None:
        try:
            message = json.loads(payload)
        except ValueError:
            return
        if message.get("origin") == self.origin:
            return  # published here already
        task = asyncio.get_running_loop().create_task(self._publish(message.get("ids") or []))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _publish(self, ids: list[int]) -> None:
        from core.events import DomainEvent, OutboxEvent

        try:
            async with self.db.session(Scope.system(), write=False) as session:
                rows = await session.scalars(
                    select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)
                )
                events = [DomainEvent.from_row(row) for row in rows]
        except Exception:
            log.exception("loading relayed events failed")
            return
        for event in events:
            self.publish(event)

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
        if self._connection is not None and not self._connection.is_closed():
            await self._connection.close()
        self._connection = None
