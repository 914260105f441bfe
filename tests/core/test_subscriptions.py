"""Subscriptions over WebSocket (graphql-transport-ws), authenticated at connection_init."""

from __future__ import annotations

import asyncio

import pytest
from httpx_ws import WebSocketDisconnect

from core.testing import ConciergeTestKit

SUBSCRIBE = {
    "id": "1",
    "type": "subscribe",
    "payload": {"query": "subscription { noteAdded { text } }"},
}


async def _receive(ws, wait: float = 5.0) -> dict:
    return await asyncio.wait_for(ws.receive_json(), wait)


async def test_a_subscriber_receives_the_propertys_events(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    other = await concierge.property(tenant, "acme-other", plugins=["test_notes"])
    token = concierge.token(tenant)

    async with concierge.websocket(shop) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send_json(SUBSCRIBE)
        await concierge.subscribed(shop)

        await concierge.graphql(
            'mutation { addNote(input: {text: "elsewhere"}) { errors { code } } }', property=other
        )
        await concierge.graphql(
            'mutation { addNote(input: {text: "live"}) { errors { code } } }', property=shop
        )
        message = await _receive(ws)
        assert message["type"] == "next"
        assert message["payload"]["data"] == {"noteAdded": {"text": "live"}}


@pytest.mark.parametrize("authorization", [None, "Bearer not-a-token", "Basic abc"])
async def test_connection_init_without_a_valid_token_is_refused(
    concierge: ConciergeTestKit, authorization: str | None
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    payload = {"Authorization": authorization} if authorization else {}
    async with concierge.websocket(shop) as ws:
        await ws.send_json({"type": "connection_init", "payload": payload})
        with pytest.raises(WebSocketDisconnect) as closed:
            await _receive(ws)
    assert closed.value.code == 4403


async def test_another_tenants_property_is_refused_like_an_unknown_one(
    concierge: ConciergeTestKit,
) -> None:
    acme = await concierge.tenant("acme")
    globex = await concierge.tenant("globex")
    shop = await concierge.property(acme, "acme-shop", plugins=["test_notes"])
    intruder = concierge.token(globex)
    for target in (shop, "no-such-property"):
        async with concierge.websocket(target) as ws:
            await ws.send_json(
                {"type": "connection_init", "payload": {"Authorization": f"Bearer {intruder}"}}
            )
            with pytest.raises(WebSocketDisconnect) as closed:
                await _receive(ws)
        assert closed.value.code == 4403


async def test_the_legacy_graphql_ws_protocol_is_refused(concierge: ConciergeTestKit) -> None:
    async with concierge.websocket(None, subprotocols=("graphql-ws",)) as ws:
        with pytest.raises(WebSocketDisconnect) as closed:
            await _receive(ws)
    assert closed.value.code == 4406


@pytest.fixture
def concierge_settings(concierge_settings):
    """Re-check WebSocket credentials every 50 ms here, so revocation shows quickly."""
    return concierge_settings.with_overrides(ws_recheck_seconds=0.05)


async def _signed_in_socket(concierge: ConciergeTestKit, ws, token: str) -> None:
    await ws.send_json({"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}})
    assert (await _receive(ws))["type"] == "connection_ack"


async def test_queries_and_mutations_are_refused_over_websocket(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    async with concierge.websocket(shop) as ws:
        await _signed_in_socket(concierge, ws, concierge.token(tenant))
        await ws.send_json(
            {
                "id": "m",
                "type": "subscribe",
                "payload": {"query": 'mutation { addNote(input: {text: "ws"}) { note { id } } }'},
            }
        )
        message = await _receive(ws)
    assert message["type"] == "error" and "POST" in message["payload"][0]["message"]
    counted = await concierge.graphql("{ notes { totalCount } }", property=shop)
    assert counted.ok()["notes"]["totalCount"] == 1  # only the seeded note


async def test_an_open_socket_closes_when_its_session_ends(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    user = await concierge.user(tenant, "night@acme.example", role="viewer")
    token = await concierge.token_for(user)
    async with concierge.websocket(shop) as ws:
        await _signed_in_socket(concierge, ws, token)
        await ws.send_json(SUBSCRIBE)
        logout = await concierge.graphql("mutation { logout { ok } }", token=token)
        assert logout.ok()["logout"]["ok"] is True
        with pytest.raises(WebSocketDisconnect) as closed:
            await _receive(ws, wait=5)
    assert closed.value.code == 4403


async def test_a_socket_outlives_its_access_token_but_not_its_session(
    concierge: ConciergeTestKit,
) -> None:
    """Sockets are held to the sign-in session, not to the token's 15 minutes."""
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    user = await concierge.user(tenant, "long@acme.example", role="viewer")
    token = await concierge.token_for(user)
    async with concierge.websocket(shop) as ws:
        await _signed_in_socket(concierge, ws, token)
        concierge.clock.advance(minutes=20)  # the access token has expired
        await asyncio.sleep(0.2)  # several re-checks
        await ws.send_json(SUBSCRIBE)
        await concierge.subscribed(shop)
        await concierge.graphql(
            'mutation { addNote(input: {text: "still here"}) { errors { code } } }',
            property=shop,
            token=concierge.token(tenant),
        )
        message = await _receive(ws)
    assert message["payload"]["data"] == {"noteAdded": {"text": "still here"}}
