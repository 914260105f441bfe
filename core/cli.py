"""The ``concierge`` command: serve, migrate, demo, export-schema, jobs, plugins, check."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import importlib.metadata
import sys
from collections.abc import Sequence
from pathlib import Path

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
    from core.demo import seed_demo

    host = _host()
    asyncio.run(_migrate(settings, host))
    token = asyncio.run(seed_demo(settings, host))
    _print_demo(token)
    return 0


def _print_demo(token: str | None) -> None:
    print("demo data ready: properties 'demo-shop' (a shop) and 'demo-resort' (a resort)")
    if token:
        print("development access token for the demo tenant (valid 7 days):")
        print(f"  Authorization: Bearer {token}")


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
        from core.demo import seed_demo

        if settings.production:
            print("error: --demo is for development, not production mode", file=sys.stderr)
            return 2
        _print_demo(asyncio.run(seed_demo(settings, host)))
    app = create_app(settings, host=host)
    print(f"Concierge on http://{args.host}:{args.port}/graphql", flush=True)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_config=None,
        timeout_graceful_shutdown=args.graceful_timeout,
        proxy_headers=True,
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


def cmd_plugins(args: argparse.Namespace, settings: Settings) -> int:
    host = _host()
    for plugin in sorted(host.plugins.values(), key=lambda p: p.name):
        requires = f" (requires {', '.join(plugin.requires)})" if plugin.requires else ""
        print(f"{plugin.name} {plugin.version}: {plugin.description}{requires}")
    return 0


def cmd_check(args: argparse.Namespace, settings: Settings) -> int:
    """Load every plugin and compose the schemas, as start-up would, and report."""
    from core.permissions import collect_permissions
    from core.schema import SchemaRegistry

    host = _host()
    collect_permissions(host)
    SchemaRegistry(host, settings).full()
    settings.check_production_ready()
    print(f"ok: {len(host.plugins)} plugins load and compose")
    return 0


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

    plugins = sub.add_parser("plugins", help="list the installed plugins")
    plugins.set_defaults(handler=cmd_plugins)

    check = sub.add_parser("check", help="load plugins and compose schemas as start-up would")
    check.set_defaults(handler=cmd_check)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = load_settings()
        return int(args.handler(args, settings) or 0)
    except (ConfigError, PluginError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
