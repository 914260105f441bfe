"""Races on sign-in state: one refresh token, two requests at once."""

from __future__ import annotations

import asyncio

from core.testing import TEST_PASSWORD, ConciergeTestKit

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
