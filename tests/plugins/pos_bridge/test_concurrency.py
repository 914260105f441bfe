"""Races over real HTTP (SQLite, and PostgreSQL with CONCIERGE_TEST_DATABASE_URL): one sale
id sent by several tills at once posts once; bills racing a check-out either reach the
folio before it closes or are refused, and the folio balances either way."""

from __future__ import annotations

import asyncio

import pytest
from pos_kit import Resort, sale_mutation

# Every race leaves data that `concierge check` accepts.
pytestmark = pytest.mark.usefixtures("invariants_hold_after")


def bill(sale_id: str) -> dict:
    return {
        "outlet": "REST", "saleId": sale_id,
        "roomCharge": {"roomNumber": "101", "lastName": "Lovelace"},
        "lines": [{"description": "Dinner", "quantity": 1, "unitPrice": "40.00"}],
    }  # fmt: skip


async def test_one_sale_id_sent_at_once_posts_once(resort: Resort) -> None:
    hotel = resort.hotel
    guest = await hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    document = sale_mutation("postPosSale")
    results = await asyncio.gather(
        *(hotel.request(document, {"input": bill("R-1")}) for _ in range(6))
    )
    payloads = [r.ok()["postPosSale"] for r in results]
    assert all(p["errors"] == [] for p in payloads), payloads
    assert sorted(p["created"] for p in payloads) == [False] * 5 + [True]
    assert len({p["sale"]["id"] for p in payloads}) == 1
    folio = (await hotel.reservation(guest["id"]))["folio"]
    assert folio["balance"]["amount"] == "40.00"


async def test_bills_racing_a_check_out_never_reach_a_closed_folio(resort: Resort) -> None:
    hotel = resort.hotel
    guest = await hotel.book("guest", nights=1, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    note = {"reservation": guest["id"], "overrideNote": "bills to the company"}
    document = sale_mutation("postPosSale")
    results = await asyncio.gather(
        hotel.request(
            "mutation($input: CheckOutInput!) { checkOutReservation(input: $input) {"
            " errors { code } } }",
            {"input": note},
        ),
        *(hotel.request(document, {"input": bill(f"R-{i}")}) for i in range(5)),
    )
    assert results[0].ok()["checkOutReservation"]["errors"] == []
    codes = [(r.ok()["postPosSale"]["errors"] or [{"code": "ok"}])[0]["code"] for r in results[1:]]
    assert set(codes) <= {"ok", "GUEST_NOT_FOUND", "NOT_IN_HOUSE"}, codes
    stay = await hotel.reservation(guest["id"])
    posted = [ln for ln in stay["folio"]["lines"] if ln["reference"].startswith("pos:")]
    assert len(posted) == codes.count("ok")
    sales = await hotel.query("{ posSales { totalCount } }")
    assert sales["posSales"]["totalCount"] == codes.count("ok")
    await hotel.assert_folios_balance()
