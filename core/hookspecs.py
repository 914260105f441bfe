"""The plugin contract: every hook the core calls, grouped by when it is called.

Implement a hook with ``@core.hookimpl`` on a function of the same name in the
object your :class:`core.plugins.Plugin` names as ``hooks``. Hooks are called
with keyword arguments; an implementation may take any subset of them.
pluggy is synchronous: an implementation may return a value or an awaitable
(``async def``), and the core awaits it. Every hook here has an entry in
docs/hooks.md; a test fails when one is missing there.

Two kinds of call:

* Registration hooks are called once, at start-up, on every installed plugin.
* Property hooks are called for one property and reach only the plugins that
  property has enabled (pluggy's ``subset_hook_caller``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pluggy

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession
    from starlette.routing import BaseRoute

    from core.clock import Clock
    from core.context import Context
    from core.events import DomainEvent, EventContext
    from core.graphql.contribution import GraphQLContribution
    from core.invariants import Invariant
    from core.jobs import Job
    from core.permissions import Permission
    from core.plugins import HookRelay
    from core.reports import Report
    from core.tenancy import Property

PROJECT_NAME = "concierge"

hookspec = pluggy.HookspecMarker(PROJECT_NAME)
hookimpl = pluggy.HookimplMarker(PROJECT_NAME)


# ---------------------------------------------------------------------------
# Registration: called once at start-up, on every installed plugin
# ---------------------------------------------------------------------------


@hookspec
def concierge_graphql() -> GraphQLContribution | None:
    """Contribute GraphQL types and root fields to the property schemas.

    Called once per plugin when the schemas are composed. Return a
    :class:`core.graphql.GraphQLContribution` naming strawberry classes whose
    fields are merged into the root ``Query``, ``Mutation`` and
    ``Subscription`` types, plus extra types the schema must know about (for
    instance implementations of an interface that no field returns directly).
    Return ``None`` to contribute nothing.

    The contribution appears only in the schemas of properties that have the
    plugin enabled. A type or root-field name that another plugin also
    contributes stops start-up with an error naming both plugins.
    """


@hookspec
def concierge_reports() -> list[Report]:
    """Offer reports under the property schema's ``reports`` field.

    Called per request on the plugins the property has enabled. Return a list
    of :class:`core.reports.Report`: a name (``<plugin>.<report>``), a title,
    columns and an async ``run(session, period)`` that aggregates in SQL over
    ``period``'s days (the property's time zone: ``core.reports.day_buckets``)
    and returns one dict per row. The core renders them as a table and as CSV.
    """


@hookspec
def concierge_invariants() -> list[Invariant]:
    """Declare what must always hold in this plugin's data, for ``concierge check``.

    Called by ``concierge check`` for each property, on the plugins it has
    enabled. Return a list of :class:`core.invariants.Invariant`: a name
    (``<plugin>.<what>``), what must hold in one line, and an async
    ``check(session, context)`` that reads through a read-only session scoped to
    the property (``context``: the property, its plugins and their hooks) and
    returns one readable line per violation (empty when it holds):
    "level SOAP at MAIN: on hand 7, its ledger says 9". Aggregate in SQL; a
    check runs on a production database.
    """


@hookspec
def concierge_routes() -> list[BaseRoute]:
    """Serve HTTP endpoints besides GraphQL (a POS vendor's webhook, say).

    Called once when the app is built. Return Starlette routes; they are
    mounted under ``/plugins/<plugin name>``. The core authenticates nothing
    there: the handler verifies its caller itself (a signature, a key) and
    finds the runtime at ``request.app.state.runtime``
    (:class:`core.runtime.Runtime`: ``db``, ``host``, ``events``, ``clock``).
    """


@hookspec
def concierge_permissions() -> list[Permission]:
    """Declare the permissions this plugin checks (e.g. ``orders:write``).

    Called once at start-up. Return a list of :class:`core.permissions.Permission`.
    Roles map to these names; a permission declared twice stops start-up.
    """


@hookspec
def concierge_jobs() -> list[Job]:
    """Register periodic jobs (night audit, hold expiry, reorder, ...).

    Called once at start-up. Return a list of :class:`core.jobs.Job`. Job names
    must be unique across plugins; by convention they start with the plugin's
    name (``pms_rooms.night_audit``). ``concierge serve`` runs them on their
    interval; ``concierge jobs run NAME`` runs one once. A job that spans
    properties should act only on those that have the plugin enabled
    (:meth:`core.jobs.JobContext.properties_with_plugin`).
    """


# ---------------------------------------------------------------------------
# Property lifecycle: called on the one plugin being enabled or disabled
# ---------------------------------------------------------------------------


@hookspec
def concierge_plugin_enabled(session: AsyncSession, property: Property, clock: Clock) -> None:
    """The plugin has just been enabled on ``property``: seed its defaults.

    Called inside the transaction that enables the plugin, only on that plugin.
    ``session`` is scoped to the property's tenant and property; ``clock`` gives
    "now" for timestamps. Seed idempotently:
    a plugin enabled again after being disabled finds its earlier data still there.
    Raising aborts the enabling and changes nothing.
    """


@hookspec
def concierge_plugin_disabled(session: AsyncSession, property: Property, clock: Clock) -> None:
    """The plugin has just been disabled on ``property``.

    Called inside the disabling transaction, only on that plugin. Data stays
    (enabling again brings it back); use this to stop work in flight, such as
    releasing holds.
    """


@hookspec
def concierge_demo_data(
    session: AsyncSession, property: Property, clock: Clock, hooks: HookRelay
) -> None:
    """Fill ``property`` with demo data for ``concierge demo``.

    Called for each plugin the demo property has enabled, after all of them
    have been enabled (so defaults are seeded), inside one transaction scoped
    to the property. The demo resort enables every installed plugin, so a
    third-party plugin fills its part of the demo too. ``hooks`` is the
    property's hook relay, for demo data made through another plugin's hooks
    (orders allocating oms_inventory's stock); an implementation that needs
    another plugin's demo data first marks itself ``@hookimpl(trylast=True)``.
    """


# ---------------------------------------------------------------------------
# Requests: called for one property, on the plugins it has enabled
# ---------------------------------------------------------------------------


@hookspec
def concierge_request_context(context: Context) -> dict[str, Any] | None:
    """Extend the per-request context.

    Called once per GraphQL request on a property endpoint, after the tenant,
    property and principal are known. Return a mapping whose entries are set
    on ``context.extras`` (for example a plugin's DataLoaders), or ``None``.
    Keys should start with the plugin's name to avoid clashes.
    """


# ---------------------------------------------------------------------------
# Events: called after commit, for the event's property, on its enabled plugins
# ---------------------------------------------------------------------------


@hookspec
def concierge_event(event: DomainEvent, context: EventContext) -> None:
    """React to a domain event after the transaction that recorded it committed.

    Called once per event for every plugin the event's property has enabled.
    ``context`` gives a database handle and the clock for follow-up work, which
    runs in its own transaction. Delivery is at least once: a handler that
    raises is retried by the ``core.deliver_events`` job, so handlers must be
    idempotent (use ``event.id`` to deduplicate).
    """
