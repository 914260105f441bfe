"""Two real app processes on one PostgreSQL: a front desk subscribed on this one sees a
reservation booked through a `concierge serve` process started beside it."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path

import httpx
import pytest
from hotel_kit import mutation_document, set_up_hotel
from server_process import served

from core.apikeys import ApiKeyKind, create_api_key
from core.testing import ConciergeTestKit


async def test_a_subscriber_here_hears_of_a_booking_made_in_another_process(
    concierge: ConciergeTestKit, concierge_database_url: str, tmp_path: Path
) -> None:
    if concierge.db.is_sqlite:
        pytest.skip("SQLite deployments are one process")
    hotel = await set_up_hotel(concierge)
    # The other process runs on the real clock: an API key, which does not expire.
    async with concierge.transaction(hotel.prop) as session:
        _, key = await create_api_key(
            session, name="channel manager", kind=ApiKeyKind.SECRET,
            permissions=["reservations:write", "reservations:read"],
            grantable=frozenset({"reservations:write", "reservations:read"}),
            created_by_user_id=None, clock=concierge.clock,
        )  # fmt: skip
    async with (
        served(concierge_database_url, tmp_path) as other,
        httpx.AsyncClient(base_url=other.base, timeout=10) as client,
        concierge.websocket(hotel.prop) as ws,
    ):
        token = concierge.token(hotel.tenant)
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        assert (await asyncio.wait_for(ws.receive_json(), 5))["type"] == "connection_ack"
        await ws.send_json({
            "id": "desk", "type": "subscribe",
            "payload": {"query": "subscription { reservationChanged { status"
                                 " guest { lastName } } }"},
        })  # fmt: skip
        await concierge.subscribed(hotel.prop)
        booking = {
            "idempotencyKey": "from-elsewhere", "guest": {"lastName": "Elsewhere"},
            "stays": [{"roomType": "DBL", "ratePlan": "BAR-DBL",
                       "arrival": hotel.day(3), "departure": hotel.day(5)}],
        }  # fmt: skip
        started = time.monotonic()
        answer = await client.post(
            f"/graphql/{hotel.prop.slug}",
            json={"query": mutation_document("bookReservation"),
                  "variables": {"input": booking}},
            headers={"authorization": f"Bearer {key}"},
        )  # fmt: skip
        assert answer.json()["data"]["bookReservation"]["errors"] == [], answer.text
        message = await asyncio.wait_for(ws.receive_json(), 10)
        assert time.monotonic() - started < 10
    assert message["payload"]["data"]["reservationChanged"] == {
        "status": "CONFIRMED", "guest": {"lastName": "Elsewhere"},
    }  # fmt: skip
