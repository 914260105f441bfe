"""Periodic jobs that plugins register: run in-process by ``concierge serve``, or once from cron.

A job runs in one process at a time. On PostgreSQL a session-level advisory
lock keyed by the job's name guards each run, so several app processes behind
a load balancer never run the same job together. On SQLite (one process by
design) an in-process lock does the same.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database, Scope, advisory_key
from core.events import EventDispatcher
from core.plugins import HookRelay, PluginError, PluginHost, await_me_maybe

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    """A periodic job. ``run`` receives a :class:`JobContext`; it may be ``async``."""

    name: str
    interval: dt.timedelta
    run: Callable[[JobContext], Awaitable[Any] | Any]
    description: str = ""


@dataclass
class JobContext:
    db: Database
    host: PluginHost
    clock: Clock
    events: EventDispatcher

    @asynccontextmanager
    async def transaction(self, scope: Scope) -> AsyncIterator[AsyncSession]:
        """A write transaction; events it records are delivered when it commits."""
        async with self.events.transaction(scope) as session:
            yield session

    async def hooks_for(self, session: AsyncSession, property_id: int) -> HookRelay:
        """The hooks of the plugins ``property_id`` has enabled, as its requests get them:
        a job acting for one property reaches only what that property runs."""
        from core.tenancy import enabled_plugins

        return self.host.relay(await enabled_plugins(session, property_id))

    async def for_each_property(
        self, plugin: str, work: Callable[[int, int], Awaitable[int]], *, what: str
    ) -> int:
        """Await ``work(tenant_id, property_id)`` for every property with ``plugin``
        enabled, in turn, and return the sum of what it returns.

        A property whose work raises is logged (``"<what> failed for property N"``)
        and skipped: one property's failure (a plugin refusing, a bug) must not hold
        up the others; the next run tries it again. ``work`` opens its own
        transactions (:meth:`transaction`, :meth:`hooks_for`).
        """
        done = 0
        for tenant_id, property_id in await self.properties_with_plugin(plugin):
            try:
                done += await work(tenant_id, property_id)
            except Exception:
                log.exception("%s failed for property %s", what, property_id)
        return done

    async def properties_with_plugin(self, plugin: str) -> list[tuple[int, int]]:
        """(tenant_id, property_id) of every property that has ``plugin`` enabled."""
        from core.tenancy import PropertyPlugin

        async with self.db.session(Scope.system(), write=False) as session:
            rows = await session.execute(
                select(PropertyPlugin.tenant_id, PropertyPlugin.property_id)
                .where(PropertyPlugin.plugin == plugin, PropertyPlugin.enabled.is_(True))
                .order_by(PropertyPlugin.property_id)
            )
            return [(row.tenant_id, row.property_id) for row in rows]


async def _deliver_pending_events(context: JobContext) -> int:
    return await context.events.deliver_pending()


async def _prune_login_attempts(context: JobContext) -> int:
    from core.sessions import prune_login_attempts

    async with context.transaction(Scope.system()) as session:
        return await prune_login_attempts(session, clock=context.clock)


async def _refresh_statistics(context: JobContext) -> int:
    await context.db.refresh_statistics()
    return 0


CORE_JOBS = (
    Job(
        name="core.deliver_events",
        interval=dt.timedelta(seconds=30),
        run=_deliver_pending_events,
        description="Retry delivery of domain events whose handlers failed or never ran.",
    ),
    Job(
        name="core.prune_login_attempts",
        interval=dt.timedelta(hours=6),
        run=_prune_login_attempts,
        description="Forget sign-in attempts older than a day (the rate limits need 15 minutes).",
    ),
    Job(
        name="core.refresh_statistics",
        interval=dt.timedelta(hours=12),
        run=_refresh_statistics,
        description="SQLite: ANALYZE, so the query planner picks the right index as tables "
        "grow (PostgreSQL's autovacuum does this itself).",
    ),
)


def collect_jobs(host: PluginHost) -> dict[str, Job]:
    jobs: dict[str, tuple[str, Job]] = {job.name: ("core", job) for job in CORE_JOBS}
    for impl in host.manager.hook.concierge_jobs.get_hookimpls():
        for job in impl.function() or []:
            if job.name in jobs:
                raise PluginError(
                    f"job {job.name!r} is registered by both {jobs[job.name][0]!r} "
                    f"and {impl.plugin_name!r}"
                )
            jobs[job.name] = (impl.plugin_name, job)
    return {name: job for name, (_, job) in jobs.items()}


class JobRunner:
    def __init__(self, context: JobContext) -> None:
        self.context = context
        self.jobs = collect_jobs(context.host)
        self._local_locks: dict[str, asyncio.Lock] = {}
        self._tasks: list[asyncio.Task[None]] = []

    @asynccontextmanager
    async def _exclusive(self, name: str) -> AsyncIterator[bool]:
        """Yield True when this process holds the job's lock, False when another run has it."""
        local = self._local_locks.setdefault(name, asyncio.Lock())
        if local.locked():
            yield False
            return
        async with local:
            db = self.context.db
            if db.is_sqlite:
                yield True
                return
            key = advisory_key(f"concierge.job:{name}")
            # A dedicated connection holds the session-level lock for the whole run.
            async with db.engine.connect() as conn:
                got = await conn.scalar(text("SELECT pg_try_advisory_lock(:key)"), {"key": key})
                await conn.commit()
                if not got:
                    yield False
                    return
                try:
                    yield True
                finally:
                    await conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": key})
                    await conn.commit()

    async def run_once(self, name: str) -> bool:
        """Run job ``name`` now; False when another process or task is running it."""
        job = self.jobs.get(name)
        if job is None:
            raise KeyError(f"unknown job {name!r}; known: {', '.join(sorted(self.jobs))}")
        async with self._exclusive(name) as acquired:
            if not acquired:
                log.info("job %s is running elsewhere; skipped", name)
                return False
            log.info("job %s started", name)
            await await_me_maybe(job.run(self.context))
            log.info("job %s finished", name)
            return True

    async def _loop(self, job: Job) -> None:
        while True:
            await asyncio.sleep(job.interval.total_seconds())
            try:
                await self.run_once(job.name)
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("job %s failed; it runs again in %s", job.name, job.interval)

    def start(self) -> None:
        for job in self.jobs.values():
            self._tasks.append(asyncio.create_task(self._loop(job), name=f"job:{job.name}"))

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks.clear()
