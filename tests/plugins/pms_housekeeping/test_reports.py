"""Rooms cleaned per housekeeper and the average cleaning time, worked out by hand."""

from __future__ import annotations

import datetime as dt

from housekeeping_kit import Housekeeping, Staff

REPORT = (
    'query($d: Date!) { reports { report(name: "pms_housekeeping.cleaning", from: $d,'
    " to: $d) { rows } } }"
)


async def test_rooms_cleaned_per_housekeeper(hk: Housekeeping) -> None:
    clock = hk.kit.clock

    async def clean(room: str, who: Staff, minutes: int, kind: str = "DEPARTURE") -> None:
        made = await hk.ok(
            "createHousekeepingTask", {"room": room, "kind": kind, "assignee": who.id},
            by=hk.sofia,
        )  # fmt: skip
        await hk.ok("startHousekeepingTask", {"task": made["task"]["id"]}, by=who)
        clock.advance(dt.timedelta(minutes=minutes))
        await hk.ok("finishHousekeepingTask", {"task": made["task"]["id"]}, by=who)

    await clean("101", hk.hanna, 30)
    await clean("102", hk.hanna, 50, "STAY_OVER")
    await clean("103", hk.ivo, 20)
    # Not a cleaning: left out.
    await hk.ok("createHousekeepingTask", {"room": "104", "kind": "MAINTENANCE"}, by=hk.sofia)
    data = await hk.hotel.query(REPORT, {"d": hk.hotel.day(0)})
    assert data["reports"]["report"]["rows"] == [["hanna", "2", "40.00"], ["ivo", "1", "20.00"]]
