"""The job `loyalty.expire_points`: a balance idle for the property's expiryDays expires
(an entry says so); an active member keeps theirs; running it again expires nothing more."""

from __future__ import annotations

import datetime as dt

from core.testing import ConciergeTestKit
from loyalty_kit import shop


async def test_idle_balances_expire_and_active_ones_stay(concierge: ConciergeTestKit) -> None:
    desk = await shop(concierge)
    await desk.ok("updateLoyaltySettings", {"expiryDays": 30})
    for email in ("ada@example.com", "grace@example.com"):
        await desk.enroll(email)
    await desk.paid_order("o-1", "ada@example.com", "25.00")
    await desk.paid_order("o-2", "grace@example.com", "40.00")
    concierge.clock.advance(dt.timedelta(days=20))
    await desk.paid_order("o-3", "grace@example.com", "5.00")  # Grace is active again
    concierge.clock.advance(dt.timedelta(days=11))  # Ada: 31 days idle; Grace: 11

    assert await concierge.run_job("loyalty.expire_points")
    assert await desk.balance("ada@example.com") == 0
    assert (await desk.entries("ada@example.com"))[-1] == ("expire", -25, "expiry")
    assert await desk.balance("grace@example.com") == 45

    assert await concierge.run_job("loyalty.expire_points")  # again: nothing more
    assert len(await desk.entries("ada@example.com")) == 2
    await desk.assert_balances_match_entries()


async def test_points_never_expire_at_zero_days(concierge: ConciergeTestKit) -> None:
    desk = await shop(concierge)
    await desk.ok("updateLoyaltySettings", {"expiryDays": 0})
    await desk.enroll("ada@example.com")
    await desk.paid_order("o-1", "ada@example.com", "25.00")
    concierge.clock.advance(dt.timedelta(days=3000))
    assert await concierge.run_job("loyalty.expire_points")
    assert await desk.balance("ada@example.com") == 25
