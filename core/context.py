"""The per-request context every resolver receives as ``info.context``."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from core.auth import Principal
from core.db import Scope
from core.plugins import HookRelay, call_hook

if TYPE_CHECKING:
    from starlette.requests import HTTPConnection

    from core.runtime import Runtime

T = TypeVar("T")


@dataclass(frozen=True)
class PropertyInfo:
    """The property a request acts in, with the plugins it has enabled."""

    id: int
    tenant_id: int
    slug: str
    name: str
    time_zone: str
    currency: str
    locale: str
    plugins: frozenset[str]


class Context:
    """Tenant, property, principal, database access, hooks, loaders and the clock.

    Database access goes through :meth:`db` (reads) and :meth:`transaction`
    (writes). Sibling fields resolve concurrently, and one SQLAlchemy session
    must not be used by two coroutines at once, so reads share one session
    behind a per-request lock; DataLoaders keep the number of reads small.
    """

    def __init__(
        self,
        runtime: Runtime,
        request: HTTPConnection | None,
        principal: Principal | None,
        property: PropertyInfo | None,
    ) -> None:
        self.runtime = runtime
        self.request = request
        self.principal = principal
        self.property = property
        self.clock = runtime.clock
        self.settings = runtime.settings
        self.hooks: HookRelay = runtime.host.relay(property.plugins if property else frozenset())
        self.extras: dict[str, Any] = {}
        self.connection_params: dict[str, Any] | None = None  # set by WebSocket connection_init
        # A WebSocket asked for a property that does not exist (refused at connection_init).
        self.property_missing = False
        # True for WebSocket connections: no read session is kept between uses.
        self.long_lived = False
        # The credential a WebSocket signed in with, re-checked while it stays open.
        self.ws_credential: str | None = None
        self._watchers: list[asyncio.Task[None]] = []
        self._loaders: dict[str, Any] = {}
        self._read_session: AsyncSession | None = None
        self._lock = asyncio.Lock()

    @property
    def permissions(self) -> frozenset[str]:
        """What the caller may do here: at this property, or tenant-wide on /graphql."""
        if self.principal is None:
            return frozenset()
        return self.principal.permissions_on(self.property.id if self.property else None)

    @property
    def scope(self) -> Scope:
        if self.principal is None:
            raise PermissionError("this operation needs an authenticated caller")
        if self.property is not None and self.property.tenant_id != self.principal.tenant_id:
            # Never reached (the endpoint answers 404 first), and must never be: a property
            # scope reads rows by property_id alone (core.db._filter_to_scope).
            raise PermissionError("the property belongs to another tenant")
        return Scope.tenant(self.principal.tenant_id, self.property.id if self.property else None)

    async def extend_from_hooks(self) -> None:
        """Let the property's enabled plugins add to ``extras`` (``concierge_request_context``)."""
        if self.property is None or self.principal is None:
            return
        for extra in await call_hook(self.hooks.concierge_request_context, context=self):
            if extra:
                self.extras.update(extra)

    def loader(self, key: str, factory: Callable[[], T]) -> T:
        """The request's DataLoader under ``key``, made by ``factory`` on first use."""
        if key not in self._loaders:
            self._loaders[key] = factory()
        return self._loaders[key]

    def forget_loaded(self) -> None:
        """Empty the DataLoaders: what they hold is read again on next use (a
        subscription does this before each event it yields)."""
        self._loaders.clear()

    @asynccontextmanager
    async def db(self) -> AsyncIterator[AsyncSession]:
        """The request's read session, for one resolver at a time.

        A WebSocket context lives as long as its connection, so there the
        session ends after each use: no snapshot goes stale and no pooled
        connection idles in a transaction between events.
        """
        async with self._lock:
            if self._read_session is None:
                self._read_session = self.runtime.db.session(self.scope, write=False)
            try:
                yield self._read_session
            finally:
                if self.long_lived:
                    await self._read_session.close()
                    self._read_session = None

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A write transaction: committed when the block ends, rolled back if it raises.

        Read and write inside the block through the session it yields (it sees
        the transaction's own changes; :meth:`db` does not). Events recorded in
        it are delivered after the commit, and reads start afresh (a new read
        session, empty DataLoaders) so the mutation's payload shows the change.
        """
        async with self.runtime.events.transaction(self.scope) as session:
            yield session
        async with self._lock:
            # The payload must show the change: drop the read session (closing keeps
            # already-loaded objects readable, unlike a rollback, which expires them)
            # and the DataLoaders' cached rows, so later fields read afresh.
            if self._read_session is not None:
                await self._read_session.close()
                self._read_session = None
            self._loaders.clear()

    def start_watcher(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run ``coroutine`` alongside the connection; cancelled when the context closes."""
        self._watchers.append(asyncio.create_task(coroutine))

    async def close(self) -> None:
        for task in self._watchers:
            task.cancel()
        await asyncio.gather(*self._watchers, return_exceptions=True)
        self._watchers.clear()
        # Under the lock, so nothing is still reading through the session. When a field
        # fails, graphql-core cancels its siblings, and strawberry a DataLoader batch no
        # one waits for any more; the batch may be mid-query, and execution ends before
        # its cancellation has. Closing the session then would roll back under that query
        # on the same connection, which breaks it and fails the response.
        async with self._lock:
            if self._read_session is not None:
                await self._read_session.close()
                self._read_session = None
