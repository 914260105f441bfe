"""Housekeeping's work: rooms cleaned per housekeeper and how long a cleaning takes."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.reports import Column, ColumnKind, Report, ReportRange, range_bounds, seconds_between
from core.users import User
from plugins.pms_housekeeping.models import HousekeepingTask
from plugins.pms_housekeeping.transitions import CLEANING_KINDS, TaskStatus


async def cleaning_by_housekeeper(
    session: AsyncSession, period: ReportRange
) -> list[dict[str, Any]]:
    """Per housekeeper: cleanings finished in the period (departures and stay-overs, done
    or inspected since) and their average minutes from start to finish."""
    starts, ends = range_bounds(period)
    minutes = seconds_between(session, HousekeepingTask.started_at, HousekeepingTask.finished_at)
    rows = await session.execute(
        select(
            func.coalesce(User.name, "(unassigned)"), func.count(HousekeepingTask.id),
            func.avg(minutes),
        )
        .outerjoin(User, User.id == HousekeepingTask.assignee_user_id)
        .where(
            HousekeepingTask.kind.in_([k.value for k in CLEANING_KINDS]),
            HousekeepingTask.status.in_([TaskStatus.DONE.value, TaskStatus.INSPECTED.value]),
            HousekeepingTask.finished_at >= starts,
            HousekeepingTask.finished_at < ends,
        )
        .group_by(User.name)
        .order_by(func.coalesce(User.name, "(unassigned)"))
    )  # fmt: skip
    return [
        {"housekeeper": name, "roomsCleaned": int(count),
         "averageMinutes": Decimal(str(seconds)) / 60 if seconds is not None else None}
        for name, count, seconds in rows
    ]  # fmt: skip


REPORTS = [
    Report(
        name="pms_housekeeping.cleaning",
        title="Housekeeping: rooms cleaned",
        description="Per housekeeper: departure and stay-over cleanings finished in the "
        "period, and their average minutes from start to finish.",
        columns=(
            Column("housekeeper", "Housekeeper", ColumnKind.TEXT),
            Column("roomsCleaned", "Rooms cleaned", ColumnKind.INT),
            Column("averageMinutes", "Average minutes", ColumnKind.DECIMAL),
        ),
        run=cleaning_by_housekeeper,
    )
]
