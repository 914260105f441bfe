"""Gift-shop sales from the shop's stock, the signed webhook, the daily summary, and the
schema a shop, a hotel and a resort each get."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from pos_kit import Resort, set_up_resort

from core.testing import ConciergeTestKit


def soap_and_tote(sale_id: str, **settle: object) -> dict:
    return {
        "outlet": "GIFT", "saleId": sale_id,
        "lines": [
            {"description": "Sea salt soap", "sku": "SOAP", "quantity": 2, "unitPrice": "6.50"},
            {"description": "Gift wrap", "quantity": 1, "unitPrice": "1.00"},
            {"description": "Tote", "sku": "TOTE", "quantity": 1, "unitPrice": "24.00"},
        ],
        **(settle or {"payment": "CASH"}),
    }  # fmt: skip


async def test_a_gift_shop_sale_charged_to_a_room_takes_stock_and_makes_a_pos_order(
    resort: Resort,
) -> None:
    hotel, store = resort.hotel, resort.store
    guest = await hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    sale = await resort.sell(
        soap_and_tote("G-1", roomCharge={"roomNumber": "101", "lastName": "Lovelace"})
    )
    assert (sale["total"]["amount"], sale["retailTotal"]["amount"]) == ("38.00", "37.00")
    assert [ln["sku"] for ln in sale["lines"]] == ["SOAP", None, "TOTE"]
    assert await store.level("SOAP") == {"onHand": 8, "allocated": 0, "available": 8}
    assert await store.level("TOTE") == {"onHand": 4, "allocated": 0, "available": 4}

    orders = await store.query(
        "{ orders(first: 5) { edges { node { number channel channelReference status"
        " paymentStatus subtotal { amount } lines { sku quantity } payments { method } } } } }"
    )
    (order,) = [e["node"] for e in orders["orders"]["edges"]]
    assert order["number"] == sale["orderNumber"]
    assert (order["channel"], order["channelReference"]) == ("POS", "pos:GIFT:G-1")
    assert (order["status"], order["paymentStatus"]) == ("FULFILLED", "PAID")
    assert order["subtotal"]["amount"] == "37.00"
    assert order["payments"] == [{"method": "room_charge"}]
    folio = (await hotel.reservation(guest["id"]))["folio"]
    assert folio["balance"]["amount"] == "38.00"
    await store.assert_stock_matches_ledger()


async def test_insufficient_stock_refuses_the_whole_sale(resort: Resort) -> None:
    hotel = resort.hotel
    guest = await hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    before = await resort.snapshot()
    too_many = soap_and_tote("G-2", roomCharge={"roomNumber": "101", "lastName": "Lovelace"})
    too_many["lines"][2]["quantity"] = 6  # 5 totes in stock
    await resort.refused(too_many, "INSUFFICIENT_STOCK")
    wrong_price = soap_and_tote("G-3")
    wrong_price["lines"][0]["unitPrice"] = "5.00"
    await resort.refused(wrong_price, "PRICE_CHANGED")
    assert await resort.snapshot() == before  # no folio line, no order, no stock moved


async def test_a_retail_void_puts_the_goods_back_and_refunds_them(resort: Resort) -> None:
    store = resort.store
    await resort.sell(soap_and_tote("G-1"))
    payload = await resort.send(
        "voidPosSale",
        {"outlet": "GIFT", "saleId": "GV-1", "voids": "G-1", "lines": [{"line": 0, "quantity": 2}]},
    )
    assert payload["errors"] == [], payload
    assert payload["sale"]["total"]["amount"] == "-13.00"
    assert await store.level("SOAP") == {"onHand": 10, "allocated": 0, "available": 10}
    orders = await store.query(
        "{ orders(first: 1) { edges { node { status refunded { amount } } } } }"
    )
    assert orders["orders"]["edges"][0]["node"] == {
        "status": "PARTIALLY_RETURNED", "refunded": {"amount": "13.00"},
    }  # fmt: skip
    await store.assert_stock_matches_ledger()


async def test_the_daily_summary_reconciles_with_the_folios_and_the_orders(
    resort: Resort,
) -> None:
    hotel = resort.hotel
    guest = await hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    room = {"roomCharge": {"roomNumber": "101", "lastName": "Lovelace"}}
    await resort.sell(soap_and_tote("G-1", **room))
    await resort.sell(soap_and_tote("G-2", payment="CARD"))
    await resort.send("voidPosSale", {"outlet": "GIFT", "saleId": "GV-1", "voids": "G-2"})
    await resort.sell(
        {"outlet": "REST", "saleId": "R-1", **room,
         "lines": [{"description": "Lunch", "quantity": 1, "unitPrice": "30.00"}]}
    )  # fmt: skip
    await resort.sell(
        {"outlet": "REST", "saleId": "R-2", "payment": "CASH",
         "lines": [{"description": "Coffee", "quantity": 2, "unitPrice": "3.50"}]}
    )  # fmt: skip
    summary = await resort.summary()
    gift, rest = summary["GIFT"], summary["REST"]
    amounts = {k: v["amount"] for k, v in gift.items() if isinstance(v, dict) and "amount" in v}
    assert (gift["sales"], gift["voids"]) == (2, 1)
    assert amounts == {
        "gross": "76.00", "voided": "-38.00", "net": "38.00", "paidAtOutlet": "0.00",
        "chargedToRooms": "38.00", "folioPosted": "38.00", "retail": "37.00",
        "ordersTotal": "37.00",
    }  # fmt: skip
    assert gift["reconciled"] is True
    assert rest["chargedToRooms"]["amount"] == rest["folioPosted"]["amount"] == "30.00"
    assert rest["paidByMethod"] == [
        {"method": "CASH", "amount": {"amount": "7.00", "currency": "EUR"}}
    ]
    assert rest["reconciled"] is True


# -- the signed webhook ----------------------------------------------------------------------


def webhook_sale(sale_id: str) -> dict:
    return {"saleId": sale_id, "payment": "card",
            "lines": [{"description": "Espresso", "quantity": 2, "unitPrice": "2.50"}]}  # fmt: skip


async def test_a_signed_webhook_posts_a_sale_and_a_replay_posts_nothing(resort: Resort) -> None:
    body = json.dumps(webhook_sale("W-1")).encode()
    first = await resort.webhook("REST", body)
    assert first.status_code == 200, first.text
    assert first.json()["sale"]["total"] == "5.00" and first.json()["created"] is True
    before = await resort.pos_rows()
    replay = await resort.webhook("REST", body)  # the very same signed request
    assert replay.status_code == 409, replay.text
    # The vendor retrying with a fresh signature gets the first sale back.
    resort.kit.clock.advance(dt.timedelta(seconds=30))
    retry = await resort.webhook("REST", body)
    assert (retry.status_code, retry.json()["created"]) == (200, False)
    assert await resort.pos_rows() == before
    sales = await resort.hotel.query("{ posSales { totalCount edges { node { source } } } }")
    assert sales["posSales"]["totalCount"] == 1
    assert sales["posSales"]["edges"][0]["node"]["source"] == "webhook"


@pytest.mark.parametrize("case", ["bad signature", "other secret", "stale", "future", "missing"])
async def test_a_badly_signed_webhook_is_refused(resort: Resort, case: str) -> None:
    body = json.dumps(webhook_sale("W-2")).encode()
    now = int(resort.kit.clock.now().timestamp())
    kwargs: dict = {
        "bad signature": {"signature": "sha256=" + "0" * 64},
        "other secret": {"secret": resort.secrets["GIFT"]},
        "stale": {"timestamp": now - 301},
        "future": {"timestamp": now + 301},
        "missing": {"signature": ""},
    }[case]
    before = await resort.pos_rows()
    response = await resort.webhook("REST", body, **kwargs)
    assert response.status_code == 401, response.text
    assert await resort.pos_rows() == before


async def test_webhook_errors_are_4xx_and_post_nothing(resort: Resort) -> None:
    before = await resort.pos_rows()
    assert (await resort.webhook("REST", b"not json")).status_code == 400
    assert (await resort.webhook("NOPE", webhook_sale("W-3"), secret="x")).status_code == 404
    unknown = await resort.webhook("REST", webhook_sale("W-4"), property="nowhere")
    assert unknown.status_code == 404
    too_big = await resort.webhook("REST", b"{" + b" " * 70_000 + b"}")
    assert too_big.status_code == 413
    room = {**webhook_sale("W-5"), "roomCharge": {"roomNumber": "999", "lastName": "X"}}
    del room["payment"]
    refused = await resort.webhook("REST", room)
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["code"] == "GUEST_NOT_FOUND"
    assert await resort.pos_rows() == before


async def test_webhook_input_the_database_cannot_take_is_a_4xx(resort: Resort) -> None:
    """A NUL (which PostgreSQL can neither store nor compare) in the path or a field, or
    a price that is no number: refused like any bad request, never a 500."""
    before = await resort.pos_rows()
    # %00: a NUL once the path is decoded.
    unknown = await resort.webhook("REST", webhook_sale("W-6"), property="sea-resort%00")
    assert unknown.status_code == 404
    assert (await resort.webhook("REST%00", webhook_sale("W-7"), secret="x")).status_code == 404
    nul = await resort.webhook("REST", webhook_sale("W-8\x00"))
    assert nul.status_code == 400
    assert nul.json() == {"error": "'saleId' may not contain the NUL character"}
    priceless = webhook_sale("W-9")
    priceless["lines"][0]["unitPrice"] = "two fifty"
    refused = await resort.webhook("REST", priceless)
    assert refused.status_code == 422, refused.text
    (error,) = refused.json()["errors"]
    assert (error["code"], error["field"]) == ("INVALID_INPUT", ["lines", "0", "unitPrice"])
    assert await resort.pos_rows() == before


# -- what each kind of property runs -----------------------------------------------------


async def _schema_fields(resort: Resort, type_name: str) -> set[str]:
    data = await resort.hotel.query(
        "query($t: String!) { __type(name: $t) { fields { name } inputFields { name } } }",
        {"t": type_name},
    )
    found = data["__type"] or {}
    return {f["name"] for f in (found.get("fields") or found.get("inputFields") or [])}


async def test_a_shop_sells_from_stock_and_charges_no_rooms(concierge: ConciergeTestKit) -> None:
    shop = await set_up_resort(
        concierge, "acme-shop", plugins=("oms_inventory", "oms_orders", "pos_bridge")
    )
    assert "roomCharge" not in await _schema_fields(shop, "PostPosSaleInput")
    assert "sku" in await _schema_fields(shop, "PosSaleLineInput")
    assert "chargedToRooms" not in await _schema_fields(shop, "PosOutletDay")
    sale = await shop.sell(soap_and_tote("S-1"))
    assert sale["orderNumber"]
    assert await shop.store.level("SOAP") == {"onHand": 8, "allocated": 0, "available": 8}


async def test_a_hotel_charges_rooms_and_keeps_no_stock(concierge: ConciergeTestKit) -> None:
    hotel_only = await set_up_resort(concierge, "sea-inn", plugins=("pms_rooms", "pos_bridge"))
    assert "sku" not in await _schema_fields(hotel_only, "PosSaleLineInput")
    assert "roomCharge" in await _schema_fields(hotel_only, "PostPosSaleInput")
    assert "orderNumber" not in await _schema_fields(hotel_only, "PosSale")
    hotel = hotel_only.hotel
    guest = await hotel.book("guest", nights=1, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    sale = await hotel_only.sell(
        {"outlet": "REST", "saleId": "R-1",
         "roomCharge": {"roomNumber": "101", "lastName": "Lovelace"},
         "lines": [{"description": "Dinner", "quantity": 1, "unitPrice": "40.00"}]}
    )  # fmt: skip
    assert sale["roomCharge"]["roomNumber"] == "101"
    # A webhook naming a SKU here is refused: no stock to take.
    with_sku = webhook_sale("W-1")
    with_sku["lines"][0]["sku"] = "SOAP"
    refused = await hotel_only.webhook("REST", with_sku)
    assert (refused.status_code, refused.json()["errors"][0]["code"]) == (422, "PLUGIN_REQUIRED")


async def test_revenue_by_outlet_report(resort: Resort) -> None:
    hotel = resort.hotel
    guest = await hotel.book("guest", nights=2, room="101", last_name="Lovelace")
    await hotel.ok("checkInReservation", {"reservation": guest["id"]})
    room = {"roomCharge": {"roomNumber": "101", "lastName": "Lovelace"}}
    await resort.sell(soap_and_tote("G-1", **room))  # 38.00 to the room
    await resort.sell(soap_and_tote("G-2", payment="CARD"))  # 38.00 paid
    await resort.send("voidPosSale", {"outlet": "GIFT", "saleId": "GV-1", "voids": "G-2"})
    await resort.sell(
        {"outlet": "REST", "saleId": "R-1", "payment": "CASH",
         "lines": [{"description": "Coffee", "quantity": 2, "unitPrice": "3.50"}]}
    )  # fmt: skip
    day = hotel.day(0)
    data = await hotel.query(
        'query($d: Date!) { reports { report(name: "pos_bridge.revenue_by_outlet", from: $d,'
        " to: $d) { rows } } }",
        {"d": day},
    )
    assert data["reports"]["report"]["rows"] == [
        [day, "GIFT", "38.00", "38.00", "0.00"],
        [day, "REST", "7.00", "0.00", "7.00"],
    ]
