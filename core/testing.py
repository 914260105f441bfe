"""pytest fixtures and helpers shared by Concierge's tests and third-party plugin authors.

Load them from a ``conftest.py``::

    pytest_plugins = ["core.testing"]

Every test gets a fresh, fully migrated database: a copy of a SQLite file
migrated once per session, or, when ``CONCIERGE_TEST_DATABASE_URL`` names a
PostgreSQL server, a new database cloned from a migrated template. Nothing is
mocked: requests go through the real ASGI app over httpx.

Fixtures:

* ``concierge_extra_plugins`` (session): plugins to install besides those
  found through entry points; override it to test a plugin that is not
  pip-installed.
* ``concierge_host`` (session): the :class:`core.plugins.PluginHost`.
* ``clock``: a :class:`core.clock.MovableClock` the app uses.
* ``concierge_settings``, ``concierge_app``, ``concierge_client``.
* ``concierge``: a :class:`ConciergeTestKit` to create tenants and properties,
  enable plugins, mint tokens and send GraphQL requests.
* ``invariants_hold_after``: when the test is done, every ``concierge check``
  invariant must hold on its database; mark a module of race tests with
  ``pytestmark = pytest.mark.usefixtures("invariants_hold_after")``.

For an app over another set of plugins, :func:`migrated_database` gives a
fresh database migrated for that :class:`core.plugins.PluginHost`.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import os
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_ws import AsyncWebSocketSession, aconnect_ws
from httpx_ws.transport import ASGIWebSocketTransport
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.applications import Starlette

from core.app import create_app
from core.clock import MovableClock
from core.config import GraphQLLimits, Settings
from core.db import Database, Scope
from core.graphql.http import GRAPHQL_RESPONSE_JSON
from core.migrate import upgrade
from core.plugins import Plugin, PluginHost
from core.runtime import Runtime
from core.sessions import SESSION_LIFETIME, UserSession
from core.tenancy import (
    Property,
    create_property,
    create_tenant,
    disable_plugin,
    enable_plugin,
)
from core.tokens import issue_access_token
from core.users import create_user, set_membership

TEST_DATABASE_ENV = "CONCIERGE_TEST_DATABASE_URL"
TEST_BASE_URL = "http://testserver"
TEST_PASSWORD = "correct horse battery staple"
TEST_SECRET = "test-secret-key-that-is-long-enough-for-production-checks"


# ---------------------------------------------------------------------------
# Databases: one migrated template per session, a fresh copy per test
# ---------------------------------------------------------------------------


def test_database_server() -> URL | None:
    """The PostgreSQL server tests run against, or None for SQLite files."""
    raw = os.environ.get(TEST_DATABASE_ENV)
    return make_url(raw) if raw else None


def _migrations_digest(host: PluginHost) -> str:
    """Changes whenever a migration file or the plugin set changes (names the PG template)."""
    from core.migrate import CORE_VERSIONS

    digest = hashlib.sha256()
    folders = [CORE_VERSIONS, *host.migration_locations().values()]
    for folder in folders:
        for path in sorted(Path(folder).glob("*.py")):
            digest.update(path.name.encode())
            digest.update(path.read_bytes())
    digest.update(",".join(sorted(host.names)).encode())
    return digest.hexdigest()[:12]


async def _admin_execute(server: URL, *statements: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(
        host=server.host,
        port=server.port or 5432,
        user=server.username,
        password=server.password,
        database=server.database or "postgres",
    )
    try:
        for statement in statements:
            await conn.execute(statement)
    finally:
        await conn.close()


async def _migrate_url(url: str, host: PluginHost) -> None:
    db = Database(url)
    try:
        await upgrade(db, host)
    finally:
        await db.dispose()


@dataclass(frozen=True)
class _Template:
    server: URL | None
    sqlite_file: Path | None = None
    pg_name: str | None = None


@pytest.fixture(scope="session")
def concierge_extra_plugins() -> list[Plugin]:
    """Plugins to install besides the entry-point ones; override in your conftest."""
    return []


@pytest.fixture(scope="session")
def concierge_host(concierge_extra_plugins: list[Plugin]) -> PluginHost:
    return PluginHost.discover(extra=concierge_extra_plugins)


@pytest.fixture(scope="session")
def _concierge_template(
    concierge_host: PluginHost, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[_Template]:
    server = test_database_server()
    if server is None:
        path = tmp_path_factory.mktemp("template") / "template.sqlite3"
        asyncio.run(_migrate_url(f"sqlite+aiosqlite:///{path}", concierge_host))
        yield _Template(server=None, sqlite_file=path)
        return
    name = f"concierge_tpl_{_migrations_digest(concierge_host)}_{os.getpid()}"
    asyncio.run(
        _admin_execute(
            server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"'
        )
    )
    asyncio.run(_migrate_url(server.set(database=name).render_as_string(False), concierge_host))
    try:
        yield _Template(server=server, pg_name=name)
    finally:
        asyncio.run(_admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


@pytest.fixture
async def concierge_database_url(
    _concierge_template: _Template, tmp_path: Path
) -> AsyncIterator[str]:
    """A fresh, migrated database for this test."""
    template = _concierge_template
    if template.server is None:
        assert template.sqlite_file is not None
        target = tmp_path / "concierge.sqlite3"
        shutil.copyfile(template.sqlite_file, target)
        yield f"sqlite+aiosqlite:///{target}"
        return
    name = f"concierge_test_{uuid.uuid4().hex[:16]}"
    await _admin_execute(template.server, f'CREATE DATABASE "{name}" TEMPLATE "{template.pg_name}"')
    try:
        yield template.server.set(database=name).render_as_string(False)
    finally:
        await _admin_execute(template.server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@asynccontextmanager
async def migrated_database(host: PluginHost, directory: Path) -> AsyncIterator[str]:
    """The URL of a new database migrated for ``host`` (another set of plugins than the
    session's): a SQLite file in ``directory``, or a database of its own on the test
    PostgreSQL server, dropped afterwards."""
    async with new_migrated_database(host, directory, test_database_server()) as url:
        yield url


@asynccontextmanager
async def new_migrated_database(
    host: PluginHost, directory: Path, server: URL | None
) -> AsyncIterator[str]:
    """A new database migrated for ``host``: a SQLite file in ``directory`` when
    ``server`` is None, else a database of its own on that PostgreSQL server,
    dropped afterwards. Tests and benchmarks share it."""
    if server is None:
        url = f"sqlite+aiosqlite:///{directory / f'concierge-{uuid.uuid4().hex[:8]}.sqlite3'}"
        await _migrate_url(url, host)
        yield url
        return
    name = f"concierge_host_{uuid.uuid4().hex[:16]}"
    await _admin_execute(server, f'CREATE DATABASE "{name}"')
    try:
        url = server.set(database=name).render_as_string(False)
        await _migrate_url(url, host)
        yield url
    finally:
        await _admin_execute(server, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


# ---------------------------------------------------------------------------
# The app
# ---------------------------------------------------------------------------


@pytest.fixture
def clock() -> MovableClock:
    return MovableClock(dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC))


@pytest.fixture
def concierge_settings(concierge_database_url: str, tmp_path: Path) -> Settings:
    return Settings(
        database_url=concierge_database_url,
        secret_key=TEST_SECRET,
        data_dir=tmp_path,
        limits=GraphQLLimits(),
        run_jobs=False,
    )


@pytest.fixture
async def concierge_app(
    concierge_settings: Settings, concierge_host: PluginHost, clock: MovableClock
) -> AsyncIterator[Starlette]:
    app = create_app(concierge_settings, host=concierge_host, clock=clock, run_jobs=False)
    try:
        yield app
    finally:
        await app.state.runtime.close()


@pytest.fixture
async def concierge_client(concierge_app: Starlette) -> AsyncIterator[httpx.AsyncClient]:
    transport = httpx.ASGITransport(app=concierge_app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        yield client


@pytest.fixture
async def concierge(
    concierge_app: Starlette, concierge_client: httpx.AsyncClient
) -> ConciergeTestKit:
    return ConciergeTestKit(concierge_app, concierge_client)


@pytest.fixture
async def invariants_hold_after(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> AsyncIterator[None]:
    """After the test, ``concierge check`` over what it left: a race that each request
    survived but that left stock, stays or money inconsistent still fails."""
    yield
    from core.invariants import check_invariants

    report = await check_invariants(concierge.db, concierge_host, concierge.clock)
    assert report.holds, str(report)


# ---------------------------------------------------------------------------
# The kit
# ---------------------------------------------------------------------------


@dataclass(frozen=True)
class TenantRef:
    id: int
    slug: str


@dataclass(frozen=True)
class PropertyRef:
    id: int
    tenant_id: int
    slug: str


@dataclass(frozen=True)
class UserRef:
    id: int
    tenant_id: int
    email: str
    password: str


@dataclass
class GraphQLResult:
    status: int
    body: dict[str, Any]
    response: httpx.Response
    data: dict[str, Any] | None = field(init=False)
    errors: list[dict[str, Any]] = field(init=False)

    def __post_init__(self) -> None:
        self.data = self.body.get("data")
        self.errors = self.body.get("errors") or []

    def ok(self) -> dict[str, Any]:
        """The data, after asserting a 200 with no top-level errors."""
        assert self.status == 200 and not self.errors, (self.status, self.body)
        assert self.data is not None
        return self.data


class ConciergeTestKit:
    """Test helpers over a real app, database and HTTP client."""

    def __init__(self, app: Starlette, client: httpx.AsyncClient) -> None:
        self.app = app
        self.runtime: Runtime = app.state.runtime
        self.client = client
        # Each tenant made by the kit gets an owner with one open session: token() signs for it.
        # tenant id -> (owner's user id, sign-in session id, when that session expires)
        self._owner_sessions: dict[int, tuple[int, int, dt.datetime]] = {}

    @property
    def db(self) -> Database:
        return self.runtime.db

    @property
    def clock(self) -> Any:
        return self.runtime.clock

    async def tenant(self, slug: str = "acme", name: str | None = None) -> TenantRef:
        """A tenant with an owner (``owner@<slug>.example``) whose session ``token()`` uses."""
        async with self.db.transaction(Scope.system()) as session:
            tenant = await create_tenant(
                session, name=name or slug.title(), slug=slug, clock=self.clock
            )
            ref = TenantRef(id=tenant.id, slug=tenant.slug)
        owner = await self.user(ref, f"owner@{slug}.example", role="owner")
        await self._sign_in_owner(owner.tenant_id, owner.id)
        return ref

    async def user(
        self,
        tenant: TenantRef,
        email: str,
        *,
        role: str = "viewer",
        property: PropertyRef | None = None,
        password: str = TEST_PASSWORD,
    ) -> UserRef:
        """A user of ``tenant`` with ``role`` on ``property`` (on every property when None)."""
        async with self.db.transaction(Scope.tenant(tenant.id)) as session:
            user = await create_user(
                session, email=email, name=email.split("@")[0], password=password,
                clock=self.clock,
            )  # fmt: skip
            await set_membership(
                session, user_id=user.id, property_id=property.id if property else None,
                role=role, clock=self.clock,
            )  # fmt: skip
            return UserRef(id=user.id, tenant_id=tenant.id, email=user.email, password=password)

    async def _sign_in_owner(self, tenant_id: int, owner_id: int) -> None:
        session_id = await self._open_session(tenant_id, owner_id)
        self._owner_sessions[tenant_id] = (
            owner_id,
            session_id,
            self.clock.now() + SESSION_LIFETIME,
        )

    async def _owner_signed_in(self, tenant_id: int) -> None:
        """Sign the owner in again once the clock has moved past their session, so a test
        may move time by months and still call as the owner."""
        owner_id, _, expires_at = self._owner_sessions[tenant_id]
        if self.clock.now() >= expires_at - dt.timedelta(minutes=1):
            await self._sign_in_owner(tenant_id, owner_id)

    async def _open_session(self, tenant_id: int, user_id: int) -> int:
        now = self.clock.now()
        async with self.db.transaction(Scope.tenant(tenant_id)) as session:
            row = UserSession(
                user_id=user_id, created_at=now, expires_at=now + SESSION_LIFETIME,
                last_used_at=now,
            )  # fmt: skip
            session.add(row)
            await session.flush()
            return row.id

    async def token_for(self, user: UserRef, *, ttl: dt.timedelta | None = None) -> str:
        """An access token for ``user`` in a new sign-in session."""
        session_id = await self._open_session(user.tenant_id, user.id)
        return issue_access_token(
            self.runtime.settings, self.clock, tenant_id=user.tenant_id,
            subject=f"user:{user.id}", session_id=session_id, ttl=ttl,
        )  # fmt: skip

    async def login(self, email: str, password: str) -> GraphQLResult:
        """The real ``login`` mutation on ``/graphql``."""
        return await self.graphql(
            "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {"
            " accessToken refreshToken user { email } errors { code message } } }",
            {"e": email, "p": password},
        )

    async def property(
        self,
        tenant: TenantRef,
        slug: str,
        plugins: tuple[str, ...] | list[str] = (),
        **fields: Any,
    ) -> PropertyRef:
        """Create a property of ``tenant`` with ``plugins`` enabled (in the order given)."""
        async with self.db.transaction(Scope.tenant(tenant.id)) as session:
            prop = await create_property(
                session,
                tenant_id=tenant.id,
                name=fields.pop("name", slug.replace("-", " ").title()),
                slug=slug,
                clock=self.clock,
                **fields,
            )
            for plugin in plugins:
                await enable_plugin(session, self.runtime.host, prop, plugin, clock=self.clock)
            return PropertyRef(id=prop.id, tenant_id=tenant.id, slug=prop.slug)

    async def _property_row(self, session: AsyncSession, prop: PropertyRef) -> Property:
        row = await session.get(Property, prop.id)
        assert row is not None
        return row

    async def enable(self, prop: PropertyRef, plugin: str) -> None:
        async with self.db.transaction(Scope.tenant(prop.tenant_id)) as session:
            row = await self._property_row(session, prop)
            await enable_plugin(session, self.runtime.host, row, plugin, clock=self.clock)

    async def disable(self, prop: PropertyRef, plugin: str) -> None:
        async with self.db.transaction(Scope.tenant(prop.tenant_id)) as session:
            row = await self._property_row(session, prop)
            await disable_plugin(session, self.runtime.host, row, plugin, clock=self.clock)

    def token(self, tenant: TenantRef | int, *, ttl: dt.timedelta | None = None) -> str:
        """An access token of the tenant's owner (made by :meth:`tenant`)."""
        tenant_id = tenant if isinstance(tenant, int) else tenant.id
        user_id, session_id, _ = self._owner_sessions[tenant_id]
        return issue_access_token(
            self.runtime.settings,
            self.clock,
            tenant_id=tenant_id,
            subject=f"user:{user_id}",
            session_id=session_id,
            ttl=ttl,
        )

    @asynccontextmanager
    async def transaction(
        self, tenant: TenantRef | PropertyRef, prop: PropertyRef | None = None
    ) -> AsyncIterator[AsyncSession]:
        """A write transaction scoped as a request in ``tenant`` (and ``prop``) would be."""
        tenant_id = tenant.tenant_id if isinstance(tenant, PropertyRef) else tenant.id
        if isinstance(tenant, PropertyRef) and prop is None:
            prop = tenant
        async with self.db.transaction(
            Scope.tenant(tenant_id, prop.id if prop else None)
        ) as session:
            yield session

    async def graphql(
        self,
        query: str,
        variables: dict[str, Any] | None = None,
        *,
        property: PropertyRef | str | None = None,
        tenant: TenantRef | None = None,
        token: str | None = None,
        accept: str = GRAPHQL_RESPONSE_JSON,
    ) -> GraphQLResult:
        """POST a GraphQL request; ``property`` picks the endpoint, the token its tenant's."""
        if token is None:
            owner_of = tenant.id if tenant is not None else None
            if owner_of is None and isinstance(property, PropertyRef):
                owner_of = property.tenant_id
            if owner_of is not None:
                await self._owner_signed_in(owner_of)
                token = self.token(owner_of)
        slug = property.slug if isinstance(property, PropertyRef) else property
        headers = {"accept": accept}
        if token:
            headers["authorization"] = f"Bearer {token}"
        body: dict[str, Any] = {"query": query}
        if variables is not None:
            body["variables"] = variables
        response = await self.client.post(
            f"/graphql/{slug}" if slug else "/graphql", json=body, headers=headers
        )
        return GraphQLResult(status=response.status_code, body=response.json(), response=response)

    @asynccontextmanager
    async def websocket(
        self,
        property: PropertyRef | str | None = None,
        *,
        subprotocols: tuple[str, ...] = ("graphql-transport-ws",),
    ) -> AsyncIterator[AsyncWebSocketSession]:
        """A graphql-transport-ws WebSocket to a property endpoint (not yet initialised)."""
        slug = property.slug if isinstance(property, PropertyRef) else property
        path = f"/graphql/{slug}" if slug else "/graphql"
        # httpx-ws's transport runs a task group, so it lives inside the calling task.
        transport = ASGIWebSocketTransport(app=self.app)
        async with (
            httpx.AsyncClient(transport=transport, base_url="http://testserver") as client,
            aconnect_ws(f"http://testserver{path}", client, subprotocols=list(subprotocols)) as ws,
        ):
            yield ws

    @asynccontextmanager
    async def client_with(self, settings: Settings) -> AsyncIterator[httpx.AsyncClient]:
        """An HTTP client for a second app built from ``settings`` (say, production mode)
        over the same plugins and clock."""
        app = create_app(settings, host=self.runtime.host, clock=self.clock, run_jobs=False)
        try:
            transport = httpx.ASGITransport(app=app)
            async with httpx.AsyncClient(
                transport=transport, base_url="http://testserver"
            ) as client:
                yield client
        finally:
            await app.state.runtime.close()

    async def subscribed(self, prop: PropertyRef) -> None:
        """Wait (up to 5 s) until a subscription on ``prop`` listens on the event bus: an
        event published before that would pass it by."""
        for _ in range(500):
            if self.runtime.bus.subscriber_count(prop.id):
                return
            await asyncio.sleep(0.01)
        raise AssertionError(f"no subscription on {prop.slug} after 5 s")

    async def run_job(self, name: str) -> bool:
        return await self.runtime.jobs.run_once(name)


class PropertyClient:
    """GraphQL shortcuts against one property's endpoint, for a plugin's test helpers.

    Mix it into your own helper class that has ``kit`` (the
    :class:`ConciergeTestKit`) and ``prop`` (a :class:`PropertyRef`) and
    implements :meth:`mutation_document` (the document of a mutation by name,
    taking ``$input`` and selecting ``errors { code ... }``). Then
    ``await helper.ok("addNote", {...})`` asserts the payload has no errors and
    ``await helper.fails("addNote", {...}, "INVALID_INPUT")`` that it has
    exactly that one; :meth:`rows` reads tables directly, to prove a refused
    request changed nothing.
    """

    kit: ConciergeTestKit
    prop: PropertyRef

    def mutation_document(self, name: str) -> str:
        raise NotImplementedError

    async def request(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> GraphQLResult:
        """The raw result (the tenant owner's token unless ``token`` is given)."""
        return await self.kit.graphql(query, variables, property=self.prop, token=token)

    async def query(
        self, query: str, variables: dict[str, Any] | None = None, *, token: str | None = None
    ) -> dict[str, Any]:
        """The data, after asserting a 200 with no top-level errors."""
        return (await self.request(query, variables, token=token)).ok()

    async def send(self, name: str, input: dict[str, Any], *, token: str | None = None) -> Any:
        """The payload of mutation ``name``, after asserting no top-level errors."""
        result = await self.request(self.mutation_document(name), {"input": input}, token=token)
        return result.ok()[name]

    async def ok(self, name: str, input: dict[str, Any], *, token: str | None = None) -> Any:
        payload = await self.send(name, input, token=token)
        assert payload["errors"] == [], payload
        return payload

    async def fails(
        self, name: str, input: dict[str, Any], code: str, *, token: str | None = None
    ) -> dict[str, Any]:
        """The single payload error of a refused mutation, after checking its code."""
        payload = await self.send(name, input, token=token)
        assert [e["code"] for e in payload["errors"]] == [code], payload
        return payload["errors"][0]

    async def rows(self, *models: Any) -> dict[str, list[tuple[Any, ...]]]:
        """Every row of each table (ordered by id), seen as the property's requests see them."""
        from sqlalchemy import select

        async with self.kit.transaction(self.prop) as session:
            found = {}
            for model in models:
                columns = list(model.__table__.columns)
                result = await session.execute(select(*columns).order_by(model.id))
                found[model.__tablename__] = [tuple(row) for row in result]
            return found
