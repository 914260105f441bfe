"""CORS: browsers on the configured origins may call the API; others may not."""

from __future__ import annotations

from core.testing import ConciergeTestKit

ALLOWED = "https://shop.example"


async def test_only_configured_origins_get_cors_headers(
    concierge: ConciergeTestKit, concierge_settings
) -> None:
    settings = concierge_settings.with_overrides(cors_origins=(ALLOWED,))
    async with concierge.client_with(settings) as client:
        preflight = {
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type",
        }
        allowed = await client.options("/graphql", headers={"origin": ALLOWED, **preflight})
        other = await client.options(
            "/graphql", headers={"origin": "https://evil.example", **preflight}
        )
        simple = await client.post(
            "/graphql", json={"query": "{ __typename }"}, headers={"origin": ALLOWED}
        )
    assert allowed.status_code == 200
    assert allowed.headers["access-control-allow-origin"] == ALLOWED
    assert "authorization" in allowed.headers["access-control-allow-headers"].lower()
    assert other.status_code == 400
    assert "access-control-allow-origin" not in other.headers
    assert simple.headers["access-control-allow-origin"] == ALLOWED


async def test_without_configured_origins_no_cors_headers(concierge: ConciergeTestKit) -> None:
    response = await concierge.client.post(
        "/graphql", json={"query": "{ __typename }"}, headers={"origin": ALLOWED}
    )
    assert response.status_code == 200
    assert "access-control-allow-origin" not in response.headers
