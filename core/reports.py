"""Reports: what plugins contribute through ``concierge_reports`` and the core serves
under one ``reports`` field of the property schema, as a table or CSV.

A report is a function of a date range (inclusive, at most 366 days) that runs
its aggregation in SQL and returns rows keyed by its columns' names. Days are
the property's: :func:`day_buckets` gives each local day's UTC bounds (DST
included), so a report joins its timestamps to local days in SQL on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from decimal import Decimal
from enum import Enum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Date, Select, func, literal, select, union_all
from sqlalchemy.ext.asyncio import AsyncSession

from core.db import UTCDateTime
from core.errors import CoreErrorCode, DomainError
from core.money import minor_to_decimal

MAX_DAYS = 366


class ColumnKind(Enum):
    DATE = "date"
    TEXT = "text"
    INT = "int"
    MONEY = "money"  # minor units in the rows; decimals of the property's currency out
    DECIMAL = "decimal"  # a Decimal, two places out
    PERCENT = "percent"  # a Decimal from 0 to 100, two places out


@dataclass(frozen=True)
class Column:
    name: str
    title: str
    kind: ColumnKind


@dataclass(frozen=True)
class ReportRange:
    """The days a report covers (both included), in the property's time zone."""

    start: dt.date
    end: dt.date
    time_zone: str
    currency: str

    def days(self) -> list[dt.date]:
        return [self.start + dt.timedelta(days=i) for i in range((self.end - self.start).days + 1)]

    def bounds(self, day: dt.date) -> tuple[dt.datetime, dt.datetime]:
        """The UTC instants local ``day`` starts and ends at."""
        zone = ZoneInfo(self.time_zone)
        starts = dt.datetime.combine(day, dt.time(), zone)
        ends = dt.datetime.combine(day + dt.timedelta(days=1), dt.time(), zone)
        return starts.astimezone(dt.UTC), ends.astimezone(dt.UTC)


def checked_range(start: dt.date, end: dt.date, *, time_zone: str, currency: str) -> ReportRange:
    if end < start:
        raise DomainError(CoreErrorCode.INVALID_INPUT, "`to` is before `from`", field=["to"])
    if (end - start).days + 1 > MAX_DAYS:
        raise DomainError(
            CoreErrorCode.INVALID_INPUT, f"a report covers at most {MAX_DAYS} days", field=["to"]
        )
    return ReportRange(start, end, time_zone, currency)


def day_buckets(period: ReportRange) -> Any:
    """A subquery of ``(day, starts_at, ends_at)``, one row per local day: join a
    timestamp to it with ``starts_at <= ts < ends_at``."""
    parts: list[Select[Any]] = []
    for day in period.days():
        starts, ends = period.bounds(day)
        parts.append(
            select(
                literal(day, Date()).label("day"),
                literal(starts, UTCDateTime()).label("starts_at"),
                literal(ends, UTCDateTime()).label("ends_at"),
            )
        )
    return union_all(*parts).subquery("days")


Run = Callable[[AsyncSession, ReportRange], Awaitable[list[dict[str, Any]]]]


@dataclass(frozen=True)
class Report:
    """``name`` is ``<plugin>.<report>``; ``run`` returns one dict per row."""

    name: str
    title: str
    description: str
    columns: tuple[Column, ...]
    run: Run


def cell(value: Any, kind: ColumnKind, currency: str) -> str | None:
    """A row's value as the API and the CSV show it."""
    if value is None:
        return None
    if kind is ColumnKind.DATE:
        return value.isoformat()
    if kind is ColumnKind.MONEY:
        return str(minor_to_decimal(int(value), currency))
    if kind in (ColumnKind.DECIMAL, ColumnKind.PERCENT):
        return str(Decimal(value).quantize(Decimal("0.01")))
    return str(value)


def table(report: Report, rows: Sequence[dict[str, Any]], currency: str) -> list[list[str | None]]:
    return [[cell(row.get(c.name), c.kind, currency) for c in report.columns] for row in rows]


def to_csv(report: Report, cells: list[list[str | None]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([c.name for c in report.columns])
    writer.writerows([["" if v is None else v for v in row] for row in cells])
    return out.getvalue()


def ratio(numerator: int, denominator: int, scale: int = 1) -> Decimal | None:
    """``numerator / denominator * scale``; None when there is nothing to divide by."""
    if not denominator:
        return None
    return Decimal(numerator) * scale / Decimal(denominator)


def seconds_between(session: AsyncSession, start: Any, end: Any) -> Any:
    """SQL for the seconds from timestamp ``start`` to ``end`` (PostgreSQL or SQLite)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400


def range_bounds(period: ReportRange) -> tuple[dt.datetime, dt.datetime]:
    """The UTC instants the period's first day starts and its last day ends."""
    return period.bounds(period.start)[0], period.bounds(period.end)[1]
