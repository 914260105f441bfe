"""Each plugin's main events reach subscribers over one WebSocket: a guest checks in, buys
soap at the gift shop on her room: the reservation, the stock, the order, the folio line
and the sale each arrive, as they are once the change is committed; a role without the permission
is refused the subscription."""

from __future__ import annotations

import asyncio
from typing import Any

from pos_kit import set_up_resort

from core.testing import ConciergeTestKit

SUBSCRIPTIONS = {
    "reservation": "subscription { reservationChanged { number status } }",
    "stock": 'subscription { stockChanged(sku: "SOAP") { onHand allocated available } }',
    "order": "subscription { orderChanged { channel status paymentStatus } }",
    "folio": "subscription { folioPosted { kind source amount { amount } } }",
    "sale": "subscription { posSalePosted { saleId total { amount } } }",
}


async def _receive(ws: Any) -> dict[str, Any]:
    return await asyncio.wait_for(ws.receive_json(), 5)


async def test_each_plugins_events_reach_a_subscriber(concierge: ConciergeTestKit) -> None:
    resort = await set_up_resort(concierge)
    hotel = resort.hotel
    guest = await hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    async with concierge.websocket(hotel.prop) as ws:
        token = concierge.token(hotel.tenant)
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        for key, query in SUBSCRIPTIONS.items():
            await ws.send_json({"id": key, "type": "subscribe", "payload": {"query": query}})
        for _ in range(500):  # every subscription listens
            if concierge.runtime.bus.subscriber_count(hotel.prop.id) == len(SUBSCRIPTIONS):
                break
            await asyncio.sleep(0.01)

        await hotel.ok("checkInReservation", {"reservation": guest["id"]})
        await resort.sell({
            "outlet": "GIFT", "saleId": "G-1",
            "roomCharge": {"roomNumber": "101", "lastName": "Lovelace"},
            "lines": [{"description": "Soap", "sku": "SOAP", "quantity": 2, "unitPrice": "6.50"}],
        })  # fmt: skip
        got: dict[str, list[dict[str, Any]]] = {key: [] for key in SUBSCRIPTIONS}
        while not all(got.values()) or len(got["stock"]) < 2:
            message = await _receive(ws)
            assert message["type"] == "next", message
            got[message["id"]].append(next(iter(message["payload"]["data"].values())))

    assert got["reservation"][0] == {"number": guest["number"], "status": "IN_HOUSE"}
    # Allocated, then shipped: one message per movement, each the level as it is when
    # delivered (after the sale committed).
    assert got["stock"][-1] == {"onHand": 8, "allocated": 0, "available": 8}
    assert got["order"][-1]["channel"] == "POS"
    assert got["folio"][0] == {
        "kind": "charge",
        "source": "pos:GIFT",
        "amount": {"amount": "13.00"},
    }
    assert got["sale"] == [{"saleId": "G-1", "total": {"amount": "13.00"}}]


async def test_a_subscription_needs_what_its_query_would(concierge: ConciergeTestKit) -> None:
    resort = await set_up_resort(concierge)
    hotel = resort.hotel
    user = await concierge.user(hotel.tenant, "maid@sea.example", role="housekeeper",
                                property=hotel.prop)  # fmt: skip
    token = await concierge.token_for(user)
    async with concierge.websocket(hotel.prop) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await _receive(ws))["type"] == "connection_ack"
        await ws.send_json(
            {"id": "o", "type": "subscribe", "payload": {"query": SUBSCRIPTIONS["order"]}}
        )
        message = await _receive(ws)
    assert message["type"] in ("error", "next"), message
    errors = message["payload"] if message["type"] == "error" else message["payload"]["errors"]
    assert "permission" in str(errors).lower() or "FORBIDDEN" in str(errors), message
