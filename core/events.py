"""Domain events: written to an outbox in the changing transaction, delivered after commit.

A service calls :func:`record_event` in the same transaction as its change, so
an event exists exactly when the change does. After the commit the
:class:`EventDispatcher` hands each event to in-process subscribers (the
:class:`EventBus`, which feeds GraphQL subscriptions) and to the
``concierge_event`` hook of the plugins the event's property has enabled.
Delivery is at least once: events whose handlers failed stay pending and the
``core.deliver_events`` job retries them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections import defaultdict
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import JSON, ForeignKey, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock
from core.db import Base as _Base
from core.db import BigIntPK, Database, IdPK, Scope, TenantScoped, session_scope
from core.event_relay import EventRelay, announce, new_origin
from core.plugins import PluginHost, call_hook

log = logging.getLogger(__name__)

PENDING_EVENTS_KEY = "concierge_pending_events"
MAX_DELIVERY_ATTEMPTS = 10
SUBSCRIBER_QUEUE_SIZE = 1_000


class OutboxEvent(TenantScoped, _Base):
    __tablename__ = "outbox_events"
    __table_args__ = (Index("ix_outbox_events_pending", "delivered_at", "id"),)

    id: Mapped[IdPK]
    property_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("properties.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(120))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    occurred_at: Mapped[dt.datetime]
    delivered_at: Mapped[dt.datetime | None]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(Text)


@dataclass(frozen=True)
class DomainEvent:
    """What subscribers and ``concierge_event`` hooks receive."""

    id: int
    name: str
    tenant_id: int
    property_id: int | None
    payload: dict[str, Any]
    occurred_at: dt.datetime

    @classmethod
    def from_row(cls, row: OutboxEvent) -> DomainEvent:
        return cls(
            id=row.id,
            name=row.name,
            tenant_id=row.tenant_id,
            property_id=row.property_id,
            payload=dict(row.payload),
            occurred_at=row.occurred_at,
        )


def record_event(
    session: AsyncSession,
    name: str,
    payload: dict[str, Any],
    *,
    clock: Clock,
    property_id: int | None = None,
) -> OutboxEvent:
    """Add an event to the outbox in ``session``'s transaction.

    ``payload`` must be JSON-serialisable. The property defaults to the
    session's property scope.
    """
    scope = session_scope(session)
    row = OutboxEvent(
        name=name,
        payload=payload,
        occurred_at=clock.now(),
        property_id=property_id if property_id is not None else scope.property_id,
        attempts=0,
    )
    session.add(row)
    session.info.setdefault(PENDING_EVENTS_KEY, []).append(row)
    return row


def take_recorded_events(session: AsyncSession) -> list[int]:
    """The ids of events recorded in ``session`` since the last call (after a commit)."""
    rows = session.info.pop(PENDING_EVENTS_KEY, [])
    return [row.id for row in rows if row.id is not None]


class EventBus:
    """In-process fan-out of delivered events to live subscribers, per property.

    Across processes, on PostgreSQL, a LISTEN/NOTIFY relay (core.event_relay)
    feeds each process's bus with the events the others delivered.
    """

    def __init__(self, relay: EventRelay | None = None) -> None:
        self._queues: dict[int | None, set[asyncio.Queue[DomainEvent]]] = defaultdict(set)
        # Other processes' events (PostgreSQL): listened for from the first subscriber on.
        self.relay = relay
        if relay is not None:
            relay.publish = self.publish

    def publish(self, event: DomainEvent) -> None:
        for queue in list(self._queues.get(event.property_id, ())):
            try:
                queue.put_nowait(event)
            except asyncio.QueueFull:
                log.warning("subscriber queue full; dropping event %s", event.id)

    @asynccontextmanager
    async def subscribe(self, property_id: int | None) -> AsyncIterator[asyncio.Queue[DomainEvent]]:
        if self.relay is not None:
            await self.relay.ensure_listening()
        queue: asyncio.Queue[DomainEvent] = asyncio.Queue(maxsize=SUBSCRIBER_QUEUE_SIZE)
        self._queues[property_id].add(queue)
        try:
            yield queue
        finally:
            self._queues[property_id].discard(queue)

    def subscriber_count(self, property_id: int | None) -> int:
        return len(self._queues.get(property_id, ()))


@dataclass
class EventContext:
    """What a ``concierge_event`` handler may use for follow-up work."""

    dispatcher: EventDispatcher
    tenant_id: int
    property_id: int | None

    @property
    def db(self) -> Database:
        return self.dispatcher.db

    @property
    def clock(self) -> Clock:
        return self.dispatcher.clock

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction scoped to the event's tenant and property.

        Events it records are delivered when it commits.
        """
        async with self.dispatcher.transaction(
            Scope.tenant(self.tenant_id, self.property_id)
        ) as session:
            yield session


class EventDispatcher:
    def __init__(self, db: Database, host: PluginHost, bus: EventBus, clock: Clock) -> None:
        self.db = db
        self.host = host
        self.bus = bus
        self.clock = clock
        # Who this process is to the others it notifies (core.event_relay).
        self.origin = bus.relay.origin if bus.relay is not None else new_origin()

    @asynccontextmanager
    async def transaction(self, scope: Scope) -> AsyncIterator[AsyncSession]:
        """A write transaction whose recorded events are delivered right after it commits."""
        async with self.db.transaction(scope) as session:
            yield session
        try:
            await self.deliver(take_recorded_events(session))
        except Exception:
            # The change is committed: a delivery failure must not report it as failed
            # (the client would retry it). The core.deliver_events job retries these.
            log.exception("delivering events after commit failed; the job will retry")

    async def deliver(self, event_ids: Iterable[int]) -> None:
        ids = list(event_ids)
        if not ids:
            return
        async with self.db.session(Scope.system(), write=False) as session:
            rows = (
                await session.scalars(
                    select(OutboxEvent).where(OutboxEvent.id.in_(ids)).order_by(OutboxEvent.id)
                )
            ).all()
        await self._deliver_rows(rows)

    async def deliver_pending(self, *, older_than: dt.timedelta = dt.timedelta(seconds=30)) -> int:
        """Retry events whose delivery failed or never ran (the process died after commit)."""
        cutoff = self.clock.now() - older_than
        async with self.db.session(Scope.system(), write=False) as session:
            rows = (
                await session.scalars(
                    select(OutboxEvent)
                    .where(
                        OutboxEvent.delivered_at.is_(None),
                        OutboxEvent.occurred_at <= cutoff,
                        OutboxEvent.attempts < MAX_DELIVERY_ATTEMPTS,
                    )
                    .order_by(OutboxEvent.id)
                    .limit(500)
                )
            ).all()
        await self._deliver_rows(rows)
        return len(rows)

    async def _deliver_rows(self, rows: Iterable[OutboxEvent]) -> None:
        from core.tenancy import enabled_plugins

        plugin_sets: dict[int | None, frozenset[str]] = {}
        outcomes: dict[int, str | None] = {}
        published: list[int] = []
        for row in rows:
            event = DomainEvent.from_row(row)
            if row.attempts == 0:
                self.bus.publish(event)
                published.append(event.id)
            if event.property_id not in plugin_sets:
                if event.property_id is None:
                    plugin_sets[None] = frozenset()
                else:
                    async with self.db.session(Scope.system(), write=False) as session:
                        plugin_sets[event.property_id] = await enabled_plugins(
                            session, event.property_id
                        )
            context = EventContext(self, event.tenant_id, event.property_id)
            relay = self.host.relay(plugin_sets[event.property_id])
            try:
                await call_hook(relay.concierge_event, event=event, context=context)
                outcomes[event.id] = None
            except Exception as exc:  # a handler's bug must not lose the event
                log.exception("event %s (%s) handler failed", event.id, event.name)
                outcomes[event.id] = f"{type(exc).__name__}: {exc}"
        if not outcomes:
            return
        async with self.db.transaction(Scope.system()) as session:
            # Committed with the delivery marks: the other processes' buses hear of the
            # events this one just published to its own.
            await announce(session, self.origin, published)
            stored = await session.scalars(
                select(OutboxEvent).where(OutboxEvent.id.in_(list(outcomes)))
            )
            for row in stored:
                row.attempts += 1
                error = outcomes[row.id]
                if error is None:
                    row.delivered_at = self.clock.now()
                    row.last_error = None
                else:
                    row.last_error = error[:2000]
