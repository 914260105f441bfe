"""The ``concierge`` command: serve, migrate, demo, export-schema, jobs, plugins, check."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from core.config import ConfigError, Settings, load_settings
from core.plugins import ENTRY_POINT_GROUP, PluginError, PluginHost


def builtin_plugin_names() -> list[str]:
    """Plugins that ship in the ``concierge`` distribution itself."""
    try:
        dist = importlib.metadata.distribution("concierge")
    except importlib.metadata.PackageNotFoundError:
        return []
    return sorted(ep.name for ep in dist.entry_points if ep.group == ENTRY_POINT_GROUP)


def _host(only_builtin: bool = False) -> PluginHost:
    return PluginHost.discover(only=builtin_plugin_names() if only_builtin else None)


async def _migrate(settings: Settings, host: PluginHost) -> None:
    from core.db import Database
    from core.migrate import upgrade

    db = Database.from_settings(settings)
    try:
        await upgrade(db, host)
    finally:
        await db.dispose()


def cmd_migrate(args: argparse.Namespace, settings: Settings) -> int:
    host = _host()
    asyncio.run(_migrate(settings, host))
    print(f"database migrated: {_redact(settings.database_url)}")
    return 0


def cmd_makemigration(args: argparse.Namespace, settings: Settings) -> int:
    from core.db import Database
    from core.migrate import make_revision, upgrade

    host = _host()
    if args.branch != "core" and args.branch not in host.plugins:
        print(f"error: no branch {args.branch!r}; use 'core' or a plugin name", file=sys.stderr)
        return 2

    async def run() -> None:
        db = Database.from_settings(settings)
        try:
            await upgrade(db, host)
            await make_revision(db, host, args.branch, args.message)
        finally:
            await db.dispose()

    asyncio.run(run())
    return 0


def cmd_demo(args: argparse.Namespace, settings: Settings) -> int:
    from core.demo import login_instructions, seed_demo

    host = _host()
    asyncio.run(_migrate(settings, host))
    created = asyncio.run(seed_demo(settings, host))
    print("demo tenant created" if created else "demo tenant already there")
    print(login_instructions())
    return 0


async def _in_system_transaction(settings: Settings, work: Any) -> Any:
    from core.db import Database, Scope

    db = Database.from_settings(settings)
    try:
        async with db.transaction(Scope.system()) as session:
            return await work(session)
    finally:
        await db.dispose()


def _run_domain(settings: Settings, work: Any) -> Any:
    """Run ``work(session)`` in one transaction; a DomainError is a clear CLI error."""
    from core.errors import DomainError

    try:
        return asyncio.run(_in_system_transaction(settings, work))
    except DomainError as exc:
        where = f" ({'.'.join(exc.field)})" if exc.field else ""
        raise CommandError(f"{exc.message}{where}") from None


class CommandError(Exception):
    """A command failed for a reason the user can fix; printed without a traceback."""


async def _tenant_by_slug(session: Any, slug: str) -> Any:
    from sqlalchemy import select

    from core.tenancy import Tenant

    tenant = await session.scalar(select(Tenant).where(Tenant.slug == slug))
    if tenant is None:
        raise CommandError(f"no tenant {slug!r}")
    return tenant


def cmd_tenant_create(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from core.tenancy import create_tenant

    host = _host()
    asyncio.run(_migrate(settings, host))

    async def work(session: Any) -> Any:
        return await create_tenant(session, name=args.name, slug=args.slug, clock=SystemClock())

    tenant = _run_domain(settings, work)
    print(f"tenant {tenant.slug!r} created (id {tenant.id})")
    return 0


def _read_password(args: argparse.Namespace) -> str:
    if args.password_stdin:
        return sys.stdin.readline().rstrip("\n")
    if args.password:
        return args.password
    import getpass

    first = getpass.getpass("password: ")
    if getpass.getpass("again: ") != first:
        raise CommandError("the passwords differ")
    return first


def cmd_user_create(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from core.db import SCOPE_KEY, Scope
    from core.tenancy import get_property_by_slug
    from core.users import create_user, set_membership

    host = _host()
    asyncio.run(_migrate(settings, host))
    password = _read_password(args)

    async def work(session: Any) -> Any:
        tenant = await _tenant_by_slug(session, args.tenant)
        property_id = None
        if args.property:
            prop = await get_property_by_slug(session, args.property)
            if prop is None or prop.tenant_id != tenant.id:
                raise CommandError(f"tenant {args.tenant!r} has no property {args.property!r}")
            property_id = prop.id
        session.info[SCOPE_KEY] = Scope.tenant(tenant.id)
        clock = SystemClock()
        user = await create_user(
            session, email=args.email, name=args.name or args.email.split("@")[0],
            password=password, clock=clock,
        )  # fmt: skip
        await set_membership(
            session, user_id=user.id, property_id=property_id, role=args.role, clock=clock
        )
        return user

    user = _run_domain(settings, work)
    where = f"on {args.property!r}" if args.property else "on every property"
    print(f"user {user.email} created with role {args.role!r} {where}")
    return 0


def cmd_property_create(args: argparse.Namespace, settings: Settings) -> int:
    from core.clock import SystemClock
    from core.db import SCOPE_KEY, Scope
    from core.demo import in_dependency_order
    from core.tenancy import create_property, enable_plugin

    host = _host()
    asyncio.run(_migrate(settings, host))
    plugins = [p.strip() for p in (args.plugins or "").split(",") if p.strip()]
    unknown = [p for p in plugins if p not in host.plugins]
    if unknown:
        raise CommandError(f"not installed: {', '.join(unknown)} (see `concierge plugins`)")

    async def work(session: Any) -> Any:
        tenant = await _tenant_by_slug(session, args.tenant)
        session.info[SCOPE_KEY] = Scope.tenant(tenant.id)
        clock = SystemClock()
        prop = await create_property(
            session, tenant_id=tenant.id, name=args.name, slug=args.slug,
            time_zone=args.time_zone, currency=args.currency, locale=args.locale, clock=clock,
        )  # fmt: skip
        for plugin in in_dependency_order(host, tuple(plugins)):
            await enable_plugin(session, host, prop, plugin, clock=clock)
        return prop

    prop = _run_domain(settings, work)
    print(f"property {prop.slug!r} created with plugins: {', '.join(plugins) or 'none'}")
    return 0


def cmd_serve(args: argparse.Namespace, settings: Settings) -> int:
    import uvicorn

    from core.app import create_app
    from core.logs import configure_logging

    settings.check_production_ready()
    configure_logging(settings.log_level)
    host = _host()
    if not args.no_migrate:
        asyncio.run(_migrate(settings, host))
    if args.demo:
        from core.demo import login_instructions, seed_demo

        asyncio.run(seed_demo(settings, host))
        print(login_instructions(f"http://{args.host}:{args.port}"))
    app = create_app(settings, host=host)
    print(f"Concierge on http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        timeout_graceful_shutdown=args.graceful_timeout,
        proxy_headers=True,
        # A WebSocket message is bounded like an HTTP body (uvicorn's default is 16 MiB).
        ws_max_size=settings.max_body_bytes,
    )
    return 0


def cmd_export_schema(args: argparse.Namespace, settings: Settings) -> int:
    from core.schema import SchemaRegistry, export_schema_sdl

    sdl = export_schema_sdl(SchemaRegistry(_host(only_builtin=True), settings))
    if args.output:
        Path(args.output).write_text(sdl)
    else:
        sys.stdout.write(sdl)
    return 0


def cmd_jobs(args: argparse.Namespace, settings: Settings) -> int:
    from core.runtime import Runtime

    runtime = Runtime.build(settings, _host())
    if args.jobs_command == "list":
        for job in sorted(runtime.jobs.jobs.values(), key=lambda j: j.name):
            every = dt.timedelta(seconds=int(job.interval.total_seconds()))
            print(f"{job.name:40} every {every}  {job.description}")
        return 0

    async def run() -> bool:
        try:
            return await runtime.jobs.run_once(args.name)
        finally:
            await runtime.close()

    try:
        ran = asyncio.run(run())
    except KeyError as exc:
        print(f"error: {exc.args[0]}", file=sys.stderr)
        return 2
    if not ran:
        print(f"job {args.name} is already running in another process; skipped")
        return 3
    print(f"job {args.name} done")
    return 0


async def _enabled_at(settings: Settings) -> dict[str, list[str]]:
    """Each plugin's properties (``tenant/property``), from the database if there is one."""
    from sqlalchemy import select
    from sqlalchemy.exc import DBAPIError

    from core.db import Database, Scope
    from core.tenancy import Property, PropertyPlugin, Tenant

    db = Database.from_settings(settings)
    found: dict[str, list[str]] = {}
    try:
        async with db.session(Scope.system(), write=False) as session:
            rows = await session.execute(
                select(PropertyPlugin.plugin, Tenant.slug, Property.slug)
                .join(Property, Property.id == PropertyPlugin.property_id)
                .join(Tenant, Tenant.id == Property.tenant_id)
                .where(PropertyPlugin.enabled.is_(True))
                .order_by(Tenant.slug, Property.slug)
            )
            for plugin, tenant, prop in rows:
                found.setdefault(plugin, []).append(f"{tenant}/{prop}")
    except DBAPIError:
        pass  # no database, or not migrated yet: nothing is enabled anywhere
    finally:
        await db.dispose()
    return found


def cmd_plugins(args: argparse.Namespace, settings: Settings) -> int:
    """The installed plugins: version, what they require, the cores they support and,
    with a database, the properties that enable them. ``plugins new NAME`` scaffolds one."""
    if getattr(args, "plugins_command", None) == "new":
        from core.scaffold import ScaffoldError, new_plugin

        try:
            root = new_plugin(args.name, Path(args.dir))
        except ScaffoldError as exc:
            raise CommandError(str(exc)) from None
        print(f"plugin {args.name!r} written to {root}")
        print(f"next: cd {root} && pip install -e '.[test]' && pytest")
        return 0
    host = _host()
    enabled = asyncio.run(_enabled_at(settings))
    for plugin in sorted(host.plugins.values(), key=lambda p: p.name):
        print(f"{plugin.name} {plugin.version}: {plugin.description}")
        needs = [*plugin.requires, f"core {plugin.core_requires or 'any'}"]
        print(f"  requires: {', '.join(needs)}")
        print(f"  enabled at: {', '.join(enabled.get(plugin.name, [])) or 'no property'}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Load every plugin and compose the schemas, as start-up would; then check the
    data's invariants (core.invariants) on the configured database, and report."""
    from core.db import Database
    from core.invariants import check_invariants
    from core.permissions import collect_permissions
    from core.schema import SchemaRegistry

    host = _host()
    collect_permissions(host)
    SchemaRegistry(host, settings).full()
    settings.check_production_ready()
    print(f"ok: {len(host.plugins)} plugins load and compose")

    async def invariants() -> bool:
        db = Database.from_settings(settings)
        try:
            report = await check_invariants(db, host)
        finally:
            await db.dispose()
        print(report, file=sys.stdout if report.holds else sys.stderr)
        return report.holds

    return 0 if asyncio.run(invariants()) else 1


def _redact(url: str) -> str:
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="concierge",
        description="Concierge: one GraphQL backend for shops and hotels, built from plugins.",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the HTTP server (migrates the database first)")
    serve.add_argument("--host", default="127.0.0.1", help="address to bind (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=8000, help="port to bind (default 8000)")
    serve.add_argument("--demo", action="store_true", help="create the demo shop and resort first")
    serve.add_argument("--no-migrate", action="store_true", help="do not migrate before serving")
    serve.add_argument(
        "--graceful-timeout", type=int, default=20,
        help="seconds to finish in-flight requests on shutdown (default 20)",
    )  # fmt: skip
    serve.set_defaults(handler=cmd_serve)

    migrate = sub.add_parser("migrate", help="upgrade the database to every branch's head")
    migrate.set_defaults(handler=cmd_migrate)

    make = sub.add_parser(
        "makemigration", help="autogenerate a migration on one branch (core or a plugin)"
    )
    make.add_argument("branch", help="'core' or a plugin name")
    make.add_argument("-m", "--message", required=True, help="what the migration does")
    make.set_defaults(handler=cmd_makemigration)

    demo = sub.add_parser("demo", help="create the demo tenant with a shop and a resort")
    demo.set_defaults(handler=cmd_demo)

    export = sub.add_parser(
        "export-schema", help="print the GraphQL schema with every built-in plugin enabled"
    )
    export.add_argument("-o", "--output", help="write to this file instead of stdout")
    export.set_defaults(handler=cmd_export_schema)

    jobs = sub.add_parser("jobs", help="list periodic jobs or run one once (for cron)")
    jobs_sub = jobs.add_subparsers(dest="jobs_command", required=True, metavar="ACTION")
    jobs_sub.add_parser("list", help="list the registered jobs")
    run = jobs_sub.add_parser("run", help="run one job now (skipped if running elsewhere)")
    run.add_argument("name", help="the job's name, as `jobs list` shows it")
    jobs.set_defaults(handler=cmd_jobs)

    plugins = sub.add_parser("plugins", help="list the installed plugins and where they run")
    plugins_sub = plugins.add_subparsers(dest="plugins_command", metavar="ACTION")
    plugins_sub.add_parser("list", help="versions, requirements, properties enabling them")
    new = plugins_sub.add_parser("new", help="scaffold a plugin package in the current folder")
    new.add_argument("name", help="the plugin's name, a Python identifier (e.g. loyalty)")
    new.add_argument("--dir", default=".", help="where to write it (default: here)")
    plugins.set_defaults(handler=cmd_plugins)

    check = sub.add_parser(
        "check", help="load plugins and compose schemas as start-up would, then check the data"
    )
    check.set_defaults(handler=cmd_check)

    tenant = sub.add_parser("tenant", help="manage tenants (accounts)")
    tenant_sub = tenant.add_subparsers(dest="tenant_command", required=True, metavar="ACTION")
    tenant_create = tenant_sub.add_parser("create", help="create a tenant")
    tenant_create.add_argument("--slug", required=True, help="short name, e.g. harbour-group")
    tenant_create.add_argument("--name", required=True, help="display name")
    tenant_create.set_defaults(handler=cmd_tenant_create)

    user = sub.add_parser("user", help="manage users")
    user_sub = user.add_subparsers(dest="user_command", required=True, metavar="ACTION")
    user_create = user_sub.add_parser("create", help="create a user with a role")
    user_create.add_argument("--tenant", required=True, help="the tenant's slug")
    user_create.add_argument("--email", required=True)
    user_create.add_argument("--name", help="display name (default: the e-mail's local part)")
    user_create.add_argument(
        "--role", default="owner", help="owner, manager, front_desk, housekeeping, warehouse, "
        "cashier, viewer or a tenant role (default owner)",
    )  # fmt: skip
    user_create.add_argument("--property", help="a property's slug (default: every property)")
    user_create.add_argument("--password", help="the password (default: ask)")
    user_create.add_argument(
        "--password-stdin", action="store_true", help="read the password from standard input"
    )
    user_create.set_defaults(handler=cmd_user_create)

    prop = sub.add_parser("property", help="manage properties")
    prop_sub = prop.add_subparsers(dest="property_command", required=True, metavar="ACTION")
    prop_create = prop_sub.add_parser("create", help="create a property and enable plugins")
    prop_create.add_argument("--tenant", required=True, help="the tenant's slug")
    prop_create.add_argument("--slug", required=True, help="its address: /graphql/SLUG")
    prop_create.add_argument("--name", required=True)
    prop_create.add_argument("--time-zone", default="UTC", help="IANA zone (default UTC)")
    prop_create.add_argument("--currency", default="EUR", help="ISO 4217 code (default EUR)")
    prop_create.add_argument("--locale", default="en", help="BCP 47 tag (default en)")
    prop_create.add_argument("--plugins", help="comma-separated plugin names to enable")
    prop_create.set_defaults(handler=cmd_property_create)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except (ConfigError, PluginError, CommandError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
