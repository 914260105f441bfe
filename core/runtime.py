"""The application's long-lived services, built once per process and shared by requests."""

from __future__ import annotations

from dataclasses import dataclass, field

from core.clock import Clock, SystemClock
from core.config import Settings
from core.db import Database
from core.event_relay import EventRelay, new_origin
from core.events import EventBus, EventDispatcher
from core.jobs import JobContext, JobRunner
from core.permissions import Permission, collect_permissions
from core.plugins import PluginHost
from core.schema import SchemaRegistry


@dataclass
class Runtime:
    settings: Settings
    db: Database
    host: PluginHost
    clock: Clock
    bus: EventBus
    events: EventDispatcher
    schemas: SchemaRegistry
    jobs: JobRunner
    permissions: dict[str, Permission] = field(default_factory=dict)

    @classmethod
    def build(cls, settings: Settings, host: PluginHost, *, clock: Clock | None = None) -> Runtime:
        clock = clock or SystemClock()
        db = Database.from_settings(settings)
        bus = EventBus(relay=None if db.is_sqlite else EventRelay(db, new_origin()))
        events = EventDispatcher(db, host, bus, clock)
        return cls(
            settings=settings,
            db=db,
            host=host,
            clock=clock,
            bus=bus,
            events=events,
            schemas=SchemaRegistry(host, settings),
            jobs=JobRunner(JobContext(db=db, host=host, clock=clock, events=events)),
            permissions=collect_permissions(host),
        )

    async def close(self) -> None:
        await self.jobs.stop()
        if self.bus.relay is not None:
            await self.bus.relay.close()
        await self.db.dispose()
