"""The Starlette application: routes, authentication, context, health.

Routes:

* ``/graphql``: account-level operations (GET, POST, WebSocket).
* ``/graphql/{property}``: everything inside one shop or hotel; its schema
  holds exactly the plugins that property has enabled.
* ``/healthz``: the process is up. ``/readyz``: the database answers.
* ``/plugins/<name>/...``: a plugin's own HTTP routes (``concierge_routes``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

import strawberry
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route, WebSocketRoute
from starlette.websockets import WebSocket
from strawberry.subscriptions import GRAPHQL_TRANSPORT_WS_PROTOCOL

from core import heap
from core.auth import AuthenticationError, Principal, authenticate
from core.body_limits import BodyLimitMiddleware, body_limit_handlers
from core.clock import Clock
from core.config import Settings, load_settings
from core.context import Context, PropertyInfo
from core.db import Scope
from core.graphql.http import (
    GRAPHQL_RESPONSE_JSON,
    JSON,
    ConciergeGraphQL,
    graphql_error_response,
    negotiate_media_type,
)
from core.logs import RequestIdMiddleware
from core.plugins import PluginHost
from core.runtime import Runtime
from core.tenancy import enabled_plugins, get_property_by_slug

log = logging.getLogger(__name__)

ACCEPTED_CONTENT_TYPES = {JSON, GRAPHQL_RESPONSE_JSON}


class Views:
    """One strawberry view per composed schema (views are cheap; schemas are cached)."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._views: dict[int, ConciergeGraphQL] = {}

    def for_schema(self, schema: strawberry.Schema) -> ConciergeGraphQL:
        view = self._views.get(id(schema))
        if view is None:
            view = ConciergeGraphQL(
                schema,
                graphql_ide=None if self._settings.production else "graphiql",
                allowed_origins=self._settings.cors_origins,
                # Only the current protocol; the legacy graphql-ws one is refused.
                subscription_protocols=(GRAPHQL_TRANSPORT_WS_PROTOCOL,),
            )
            self._views[id(schema)] = view
        return view


async def load_property(runtime: Runtime, slug: str) -> PropertyInfo | None:
    """A property by its installation-wide slug, with its enabled plugins."""
    async with runtime.db.session(Scope.system(), write=False) as session:
        prop = await get_property_by_slug(session, slug)
        if prop is None:
            return None
        plugins = await enabled_plugins(session, prop.id)
    return PropertyInfo(
        id=prop.id,
        tenant_id=prop.tenant_id,
        slug=prop.slug,
        name=prop.name,
        time_zone=prop.time_zone,
        currency=prop.currency,
        locale=prop.locale,
        plugins=plugins,
    )


async def build_context(
    runtime: Runtime,
    request: Request | WebSocket,
    principal: Principal | None,
    prop: PropertyInfo | None,
) -> Context:
    context = Context(runtime, request, principal, prop)
    await context.extend_from_hooks()
    return context


async def graphql_http(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    views: Views = request.app.state.views
    media_type = negotiate_media_type(request.headers.get("accept"))
    slug = request.path_params.get("property")

    if request.method == "GET" and _wants_ide(request) and not runtime.settings.production:
        schema = runtime.schemas.account()
        return await views.for_schema(schema).render_graphql_ide(request)
    if media_type is None:
        return graphql_error_response(
            406, "Accept application/graphql-response+json or application/json", "NOT_ACCEPTABLE"
        )
    if request.method == "POST":
        content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type not in ACCEPTED_CONTENT_TYPES:
            return graphql_error_response(
                415, "POST bodies must be application/json", "UNSUPPORTED_MEDIA_TYPE", media_type
            )

    try:
        principal = await authenticate(runtime, request.headers.get("authorization"))
    except AuthenticationError as exc:
        response = graphql_error_response(401, str(exc), "UNAUTHENTICATED", media_type)
        response.headers["www-authenticate"] = 'Bearer error="invalid_token"'
        return response

    prop: PropertyInfo | None = None
    if slug is not None:
        if principal is None:
            response = graphql_error_response(
                401, "authentication required", "UNAUTHENTICATED", media_type
            )
            response.headers["www-authenticate"] = "Bearer"
            return response
        prop = await load_property(runtime, slug)
        # Another tenant's property answers exactly like one that does not exist.
        if (
            prop is None
            or prop.tenant_id != principal.tenant_id
            or not principal.may_use_property(prop.id)
        ):
            return graphql_error_response(
                404, f"unknown property {slug!r}", "PROPERTY_NOT_FOUND", media_type
            )
        schema = runtime.schemas.for_plugins(prop.plugins)
    else:
        schema = runtime.schemas.account()

    context = await build_context(runtime, request, principal, prop)
    try:
        return await views.for_schema(schema).execute_http(request, context, media_type)
    finally:
        await context.close()


def _wants_ide(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") and "query" not in request.query_params


async def graphql_websocket(websocket: WebSocket) -> None:
    runtime: Runtime = websocket.app.state.runtime
    views: Views = websocket.app.state.views
    slug = websocket.path_params.get("property")
    prop = await load_property(runtime, slug) if slug is not None else None
    # The principal arrives with connection_init; an unknown property is
    # rejected there too, so a handshake reveals nothing about which exist.
    schema = runtime.schemas.for_plugins(prop.plugins) if prop else runtime.schemas.account()
    context = await build_context(runtime, websocket, None, prop)
    context.property_missing = slug is not None and prop is None
    context.long_lived = True
    try:
        await views.for_schema(schema).run(websocket, context=context)
    finally:
        await context.close()


async def healthz(request: Request) -> Response:
    return JSONResponse({"status": "ok"})


async def readyz(request: Request) -> Response:
    runtime: Runtime = request.app.state.runtime
    try:
        await runtime.db.ping()
    except Exception as exc:
        log.warning("readiness check failed: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "unreachable"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "ok"})


def plugin_routes(host: PluginHost) -> list[BaseRoute]:
    """Each plugin's own HTTP routes (``concierge_routes``), under ``/plugins/<name>``."""
    mounts: list[BaseRoute] = []
    for impl in host.manager.hook.concierge_routes.get_hookimpls():
        routes = impl.function()
        if routes:
            mounts.append(Mount(f"/plugins/{impl.plugin_name}", routes=list(routes)))
    return mounts


def create_app(
    settings: Settings | None = None,
    *,
    host: PluginHost | None = None,
    clock: Clock | None = None,
    run_jobs: bool | None = None,
) -> Starlette:
    """Build the ASGI app. Plugins are discovered unless ``host`` is given (tests)."""
    settings = settings or load_settings()
    host = host or PluginHost.discover()
    runtime = Runtime.build(settings, host, clock=clock)
    start_jobs = settings.run_jobs if run_jobs is None else run_jobs

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        # Build the schema most properties use before the first request, then take the
        # long-lived heap out of the garbage collector's sight (core/heap.py).
        runtime.schemas.full()
        heap.tune()
        # The planner's statistics, current from the first request (then a job's).
        await runtime.db.refresh_statistics()
        if start_jobs:
            runtime.jobs.start()
        try:
            yield
        finally:
            await runtime.close()

    middleware = [Middleware(RequestIdMiddleware)]
    if settings.cors_origins:
        middleware.append(
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST"],
                allow_headers=["authorization", "content-type", "x-request-id"],
            )
        )
    # Inside CORS, so a browser can read the refusal of an oversized body.
    middleware.append(
        Middleware(
            BodyLimitMiddleware,
            max_bytes=settings.max_body_bytes,
            timeout_seconds=settings.body_timeout_seconds,
        )
    )
    routes = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/readyz", readyz, methods=["GET"]),
        Route("/graphql", graphql_http, methods=["GET", "POST"]),
        WebSocketRoute("/graphql", graphql_websocket),
        Route("/graphql/{property}", graphql_http, methods=["GET", "POST"]),
        WebSocketRoute("/graphql/{property}", graphql_websocket),
        *plugin_routes(host),
    ]
    app = Starlette(
        routes=routes,
        middleware=middleware,
        exception_handlers=body_limit_handlers,  # type: ignore[arg-type]
        lifespan=lifespan,
    )
    app.state.runtime = runtime
    app.state.views = Views(settings)
    return app
