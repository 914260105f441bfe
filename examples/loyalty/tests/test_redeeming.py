"""Spending points: never below zero, not even when two tills spend the last points at
once; a retried redemption spends once; a refused one changes nothing; only staff allowed
to redeem may."""

from __future__ import annotations

import asyncio

from core.invariants import check_invariants
from core.plugins import PluginHost
from core.testing import ConciergeTestKit
from loyalty_kit import Desk, shop
from sqlalchemy import update

from loyalty.models import Member


async def member_with(desk: Desk, points_worth: str) -> None:
    await desk.enroll("ada@example.com")
    await desk.paid_order("o-1", "ada@example.com", points_worth)


async def test_points_are_spent_once_per_reference(concierge: ConciergeTestKit) -> None:
    desk = await shop(concierge)
    await member_with(desk, "100.00")
    redeem = {"email": "ada@example.com", "points": 60, "reference": "BILL-7", "note": "Lunch"}
    first = await desk.ok("redeemLoyaltyPoints", redeem)
    assert first["entry"] == {
        "id": first["entry"]["id"], "kind": "redeem", "points": -60, "origin": "redeem:BILL-7",
        "note": "Lunch",
    }  # fmt: skip
    assert first["member"]["balance"] == 40
    again = await desk.ok("redeemLoyaltyPoints", redeem)  # the till retried
    assert again["entry"]["id"] == first["entry"]["id"]
    assert again["member"]["balance"] == 40
    await desk.fails("redeemLoyaltyPoints", {**redeem, "points": 10}, "REFERENCE_REUSED")
    await desk.assert_balances_match_entries()


async def test_a_refused_redemption_says_why_and_changes_nothing(
    concierge: ConciergeTestKit,
) -> None:
    desk = await shop(concierge)
    await member_with(desk, "30.00")
    before = await desk.snapshot()
    ada = {"email": "ada@example.com", "reference": "BILL-1"}
    too_many = await desk.fails("redeemLoyaltyPoints", {**ada, "points": 31}, "INSUFFICIENT_POINTS")
    assert (too_many["field"], too_many["balance"]) == (["points"], 30)
    assert "has 30 points, 31 asked" in too_many["message"]
    for bad, field in (
        ({**ada, "points": 0}, "points"),
        ({**ada, "points": -5}, "points"),
        ({**ada, "points": 5, "reference": "  "}, "reference"),
    ):
        error = await desk.fails("redeemLoyaltyPoints", bad, "INVALID_INPUT")
        assert error["field"] == [field]
    stranger = {"email": "nobody@example.com", "points": 1, "reference": "B"}
    await desk.fails("redeemLoyaltyPoints", stranger, "NOT_FOUND")
    assert await desk.snapshot() == before


async def test_two_tills_spending_the_last_points_at_once_never_both_win(
    concierge: ConciergeTestKit,
) -> None:
    desk = await shop(concierge)
    await member_with(desk, "100.00")
    sends = [
        desk.send(
            "redeemLoyaltyPoints",
            {"email": "ada@example.com", "points": 40, "reference": f"TILL-{n}"},
        )
        for n in range(6)
    ]
    payloads = await asyncio.gather(*sends)
    outcomes = sorted(p["errors"][0]["code"] if p["errors"] else "OK" for p in payloads)
    assert outcomes == ["INSUFFICIENT_POINTS"] * 4 + ["OK"] * 2
    assert await desk.balance("ada@example.com") == 20
    await desk.assert_balances_match_entries()


async def test_enrolment_is_once_per_email_and_needs_an_address(
    concierge: ConciergeTestKit,
) -> None:
    desk = await shop(concierge)
    member = await desk.enroll(" Ada@Example.com ", "Ada")
    assert (member["email"], member["balance"]) == ("ada@example.com", 0)
    await desk.fails("enrollLoyaltyMember", {"email": "ADA@example.com"}, "ALREADY_ENROLLED")
    error = await desk.fails("enrollLoyaltyMember", {"email": "not an email"}, "INVALID_INPUT")
    assert error["field"] == ["email"]


async def test_viewers_read_members_but_only_those_allowed_redeem(
    concierge: ConciergeTestKit,
) -> None:
    desk = await shop(concierge)
    await member_with(desk, "50.00")
    viewer = await concierge.user(desk.tenant, "v@acme.example", role="viewer")
    token = await concierge.token_for(viewer)
    seen = await desk.query(
        '{ loyaltyMembers(email: "ada@example.com") { edges { node { balance } } } }',
        token=token,
    )
    assert seen["loyaltyMembers"]["edges"] == [{"node": {"balance": 50}}]
    refused = await desk.request(
        desk.mutation_document("redeemLoyaltyPoints"),
        {"input": {"email": "ada@example.com", "points": 1, "reference": "V-1"}},
        token=token,
    )
    assert refused.errors is not None
    assert refused.errors[0]["extensions"]["code"] == "FORBIDDEN"
    assert await desk.balance("ada@example.com") == 50


async def test_concierge_check_finds_every_balance_equal_to_its_entries(
    concierge: ConciergeTestKit, concierge_host: PluginHost
) -> None:
    desk = await shop(concierge)
    await member_with(desk, "100.00")
    await desk.ok(
        "redeemLoyaltyPoints", {"email": "ada@example.com", "points": 30, "reference": "B"}
    )
    assert (await check_invariants(concierge.db, concierge_host)).holds
    async with concierge.transaction(desk.prop) as session:
        await session.execute(update(Member).values(balance=Member.balance + 1))
    report = await check_invariants(concierge.db, concierge_host)
    assert [str(v) for v in report.violations] == [
        "acme-shop: loyalty.balances_match_entries: member ada@example.com: balance 71, "
        "entries sum to 70"
    ]
