"""Clocks: the system clock, and a movable one for tests and demos.

Code that needs "now" takes it from the request or job context's clock, never
from ``datetime.now()`` directly, so tests can move the business date.
"""

from __future__ import annotations

import datetime as dt
from typing import Protocol


class Clock(Protocol):
    def now(self) -> dt.datetime:
        """The current instant, timezone-aware, in UTC."""
        ...


class SystemClock:
    def now(self) -> dt.datetime:
        return dt.datetime.now(dt.UTC)


class MovableClock:
    """A clock that stands still until moved (``advance``) or set (``set``)."""

    def __init__(self, start: dt.datetime | None = None) -> None:
        start = start or dt.datetime(2026, 1, 15, 12, 0, tzinfo=dt.UTC)
        if start.tzinfo is None:
            raise ValueError("MovableClock needs a timezone-aware start")
        self._now = start.astimezone(dt.UTC)

    def now(self) -> dt.datetime:
        return self._now

    def advance(self, delta: dt.timedelta | None = None, **kwargs: float) -> dt.datetime:
        self._now += delta if delta is not None else dt.timedelta(**kwargs)
        return self._now

    def set(self, instant: dt.datetime) -> None:
        if instant.tzinfo is None:
            raise ValueError("MovableClock.set needs a timezone-aware instant")
        self._now = instant.astimezone(dt.UTC)
