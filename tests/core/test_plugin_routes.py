"""A plugin's own HTTP routes (``concierge_routes``) are served under /plugins/<name>/."""

from __future__ import annotations

from core.testing import ConciergeTestKit


async def test_a_plugins_route_is_served_under_its_name(concierge: ConciergeTestKit) -> None:
    response = await concierge.client.get("/plugins/test_notes/ping/hello")
    assert (response.status_code, response.json()) == (200, {"pong": "hello"})
    # Only under its own name, and nothing else answers there.
    assert (await concierge.client.get("/ping/hello")).status_code == 404
    assert (await concierge.client.get("/plugins/other/ping/hello")).status_code == 404
