"""What must always hold in the data, checked by ``concierge check``.

Plugins declare their invariants (``concierge_invariants``): stock levels equal their
ledger, no room night sold twice, folios balance. The core adds one of its own: no row
points at a row that is gone (every foreign key of every table, whether or not the
database enforces it). Each check reads; nothing is repaired. A violation is one
readable line naming the property, the invariant and the row.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from sqlalchemy import and_, func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock, SystemClock
from core.db import Base, Database, Scope
from core.plugins import HookRelay, PluginHost, call_hook
from core.tenancy import Property, enabled_plugins


@dataclass(frozen=True)
class CheckContext:
    """What a check may need besides its session: the property, the plugins it runs and
    their hooks (to ask another plugin, as pos_bridge asks pms_rooms for its postings)."""

    property: Property
    plugins: frozenset[str]
    hooks: HookRelay
    clock: Clock


Check = Callable[[AsyncSession, CheckContext], Awaitable[list[str]]]


@dataclass(frozen=True)
class Invariant:
    name: str  # <plugin>.<what>
    description: str  # what must hold, in one line
    check: Check  # one line per violation; empty when it holds


@dataclass(frozen=True)
class Violation:
    where: str  # a property's slug, or "database"
    invariant: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.invariant}: {self.problem}"


@dataclass
class InvariantReport:
    checked: int = 0  # invariant checks run (per property)
    properties: int = 0
    violations: list[Violation] = field(default_factory=list)

    @property
    def holds(self) -> bool:
        return not self.violations

    def __str__(self) -> str:
        head = f"invariants: {self.checked} checks on {self.properties} properties"
        if self.holds:
            return f"{head}, every one holds"
        lines = [f"{head}, {len(self.violations)} violations:"]
        lines += [f"  {violation}" for violation in self.violations]
        return "\n".join(lines)


async def _table_names(session: AsyncSession) -> set[str]:
    return set(await session.run_sync(lambda sync: inspect(sync.connection()).get_table_names()))


async def _orphans(session: AsyncSession, existing: set[str]) -> list[str]:
    """Rows whose foreign key names a row that does not exist (tables that exist only)."""
    problems = []
    for table in Base.metadata.sorted_tables:
        for fk in table.foreign_key_constraints:
            if table.name not in existing or fk.referred_table.name not in existing:
                continue
            parent = fk.referred_table.alias("parent")
            pairs = [
                (c, parent.c[e.column.name]) for c, e in zip(fk.columns, fk.elements, strict=True)
            ]
            missing = (
                select(func.count())
                .select_from(table.outerjoin(parent, and_(*[c == p for c, p in pairs])))
                .where(*[c.isnot(None) for c, _ in pairs])
                .where(*[p.is_(None) for _, p in pairs])
            )
            count = int(await session.scalar(missing) or 0)
            if count:
                columns = ", ".join(c.name for c, _ in pairs)
                rows = "1 row" if count == 1 else f"{count} rows"
                problems.append(
                    f"{rows} of {table.name} point at a {fk.referred_table.name} row that "
                    f"is gone ({columns})"
                )
    return problems


async def check_invariants(
    db: Database, host: PluginHost, clock: Clock | None = None
) -> InvariantReport:
    """Every installed invariant on every property that enables its plugin, and the
    core's own across the database."""
    clock = clock or SystemClock()
    report = InvariantReport()
    async with db.session(Scope.system(), write=False) as session:
        existing = await _table_names(session)
        if Property.__tablename__ not in existing:
            return report  # not migrated: no data to check
        report.checked += 1
        for problem in await _orphans(session, existing):
            report.violations.append(Violation("database", "core.no_orphans", problem))
        properties = list(await session.scalars(select(Property).order_by(Property.id)))
    for prop in properties:
        async with db.session(Scope.system(), write=False) as session:
            plugins = await enabled_plugins(session, prop.id)
        relay = host.relay(plugins)
        context = CheckContext(prop, frozenset(plugins), relay, clock)
        invariants = [
            invariant
            for found in await call_hook(relay.concierge_invariants)
            for invariant in found or []
        ]
        report.properties += 1
        for invariant in invariants:
            report.checked += 1
            async with db.session(Scope.tenant(prop.tenant_id, prop.id), write=False) as session:
                for problem in await invariant.check(session, context):
                    report.violations.append(Violation(prop.slug, invariant.name, problem))
    return report
