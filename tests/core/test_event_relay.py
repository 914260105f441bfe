"""Two app processes on one PostgreSQL database: a subscriber on the first hears of a
change made through the second (LISTEN/NOTIFY), and of each change once.

The second "process" is a second app with its own runtime: its own bus, event
dispatcher and database pool, sharing nothing with the first but the database.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from core.config import Settings
from core.testing import ConciergeTestKit

SUBSCRIBE = {
    "id": "1",
    "type": "subscribe",
    "payload": {"query": "subscription { noteAdded { text } }"},
}
ADD_NOTE = "mutation($t: String!) { addNote(input: {text: $t}) { errors { code } } }"


async def _receive(ws: Any, wait: float = 5.0) -> dict[str, Any]:
    return await asyncio.wait_for(ws.receive_json(), wait)


async def test_a_subscriber_hears_of_a_change_made_through_another_process(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    if concierge.db.is_sqlite:
        pytest.skip("SQLite deployments are one process: nothing to relay")
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    token = concierge.token(tenant)
    async with concierge.websocket(shop) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send_json(SUBSCRIBE)
        await concierge.subscribed(shop)
        assert concierge.runtime.bus.relay is not None and concierge.runtime.bus.relay.listening

        async with concierge.client_with(concierge_settings) as other:
            for text in ("from the other process", "and again"):
                response = await other.post(
                    f"/graphql/{shop.slug}",
                    json={"query": ADD_NOTE, "variables": {"t": text}},
                    headers={"authorization": f"Bearer {token}"},
                )
                assert response.json()["data"]["addNote"]["errors"] == [], response.text

        first, second = await _receive(ws), await _receive(ws)
        assert [m["payload"]["data"]["noteAdded"]["text"] for m in (first, second)] == [
            "from the other process", "and again",
        ]  # fmt: skip
        # A change made here is not heard twice (published here, ignored when relayed).
        await concierge.graphql(ADD_NOTE, {"t": "local"}, property=shop)
        local = await _receive(ws)
        assert local["payload"]["data"]["noteAdded"]["text"] == "local"
        with pytest.raises(TimeoutError):
            await _receive(ws, wait=0.5)
