"""Races on sign-in state: one refresh token, two requests at once."""

from __future__ import annotations

import asyncio

from sqlalchemy import func, select

from core.db import Scope
from core.testing import TEST_PASSWORD, ConciergeTestKit
from core.users import Membership

REFRESH = (
    "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {"
    " refreshToken errors { code } } }"
)


async def test_a_refresh_token_rotates_once_under_concurrent_use(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    login = await concierge.login(f"owner@{tenant.slug}.example", TEST_PASSWORD)
    refresh_token = login.ok()["login"]["refreshToken"]

    results = await asyncio.gather(
        *(concierge.graphql(REFRESH, {"t": refresh_token}) for _ in range(4))
    )
    payloads = [result.ok()["refreshSession"] for result in results]
    winners = [p for p in payloads if p["refreshToken"]]
    assert len(winners) == 1, payloads
    assert all(p["errors"] == [{"code": "INVALID_TOKEN"}] for p in payloads if p not in winners)
    # The racing duplicates were retries, not theft: the winner's session lives on.
    again = await concierge.graphql(REFRESH, {"t": winners[0]["refreshToken"]})
    assert again.ok()["refreshSession"]["errors"] == []


SET_ROLE = (
    'mutation($u: ID!) { setMembership(input: {user: $u, role: "viewer"}) {'
    " user { email } errors { code } } }"
)


async def test_two_owners_demoting_each_other_at_once_leave_one_owner(
    concierge: ConciergeTestKit,
) -> None:
    from strawberry.relay import to_base64

    tenant = await concierge.tenant("acme")
    second = await concierge.user(tenant, "second@acme.example", role="owner")
    first_token = concierge.token(tenant)
    second_token = await concierge.token_for(second)
    me = await concierge.graphql("{ me { id } }", token=first_token)
    first_id = me.ok()["me"]["id"]

    results = await asyncio.gather(
        concierge.graphql(SET_ROLE, {"u": to_base64("User", second.id)}, token=first_token),
        concierge.graphql(SET_ROLE, {"u": first_id}, token=second_token),
    )
    succeeded = [r for r in results if not r.errors and not r.data["setMembership"]["errors"]]
    assert len(succeeded) == 1, [r.body for r in results]
    async with concierge.db.session(Scope.tenant(tenant.id), write=False) as session:
        owners = await session.scalar(
            select(func.count())
            .select_from(Membership)
            .where(Membership.property_id.is_(None), Membership.role == "owner")
        )
    assert owners == 1
