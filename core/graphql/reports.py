"""The ``reports`` field of property schemas: every enabled plugin's reports, as tables
and as CSV (core.reports)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import strawberry
from strawberry.types import Info

from core.graphql.errors import as_client_error
from core.plugins import call_hook
from core.reports import ColumnKind, Report, checked_range, table, to_csv

ColumnKindEnum = strawberry.enum(ColumnKind, name="ReportColumnKind")


@strawberry.type
class ReportColumn:
    name: str
    title: str
    kind: ColumnKindEnum  # type: ignore[valid-type]


@strawberry.type(description="A report a plugin offers.")
class ReportInfo:
    name: str = strawberry.field(description="<plugin>.<report>.")
    title: str
    description: str
    columns: list[ReportColumn]


@strawberry.type(description="A report run over a range of the property's days.")
class ReportTable:
    name: str
    title: str
    from_: dt.date = strawberry.field(name="from")
    to: dt.date
    columns: list[ReportColumn]
    rows: list[list[str | None]] = strawberry.field(
        description="One list per row, in the columns' order: dates ISO, money and "
        "decimals as decimal strings, null where there is nothing (an ADR with no room sold)."
    )
    csv: str = strawberry.field(description="The same, as CSV with a header row.")


def _columns(report: Report) -> list[ReportColumn]:
    return [ReportColumn(name=c.name, title=c.title, kind=c.kind) for c in report.columns]


async def _reports(info: Info) -> dict[str, Report]:
    found: dict[str, Report] = {}
    for contributed in await call_hook(info.context.hooks.concierge_reports):
        for report in contributed or []:
            found[report.name] = report
    return found


@strawberry.type(description="The reports of the plugins this property runs.")
class Reports:
    @strawberry.field
    async def available(self, info: Info) -> list[ReportInfo]:
        return [
            ReportInfo(name=r.name, title=r.title, description=r.description, columns=_columns(r))
            for r in sorted((await _reports(info)).values(), key=lambda r: r.name)
        ]

    @strawberry.field(description="Run one report; null for a name no enabled plugin offers.")
    async def report(
        self,
        info: Info,
        name: str,
        from_: Annotated[dt.date, strawberry.argument(name="from")],
        to: dt.date,
    ) -> ReportTable | None:
        report = (await _reports(info)).get(name)
        if report is None:
            return None
        prop = info.context.property
        with as_client_error():
            period = checked_range(from_, to, time_zone=prop.time_zone, currency=prop.currency)
        async with info.context.db() as session:
            rows = await report.run(session, period)
        cells = table(report, rows, prop.currency)
        return ReportTable(
            name=report.name, title=report.title, from_=from_, to=to, columns=_columns(report),
            rows=cells, csv=to_csv(report, cells),
        )  # fmt: skip
