"""Bills charged to a guest's room, over real HTTP: on the folio, settled at check-out;
refused for a guest gone, a name that does not match, an unknown room, a stay marked
no-post or past its credit limit, with nothing posted; the same sale id twice posts once;
voids correct the folio."""

from __future__ import annotations

from typing import Any

from pos_kit import Resort, sale_mutation


def dinner(sale_id: str, *, room: str = "101", name: str = "Lovelace", **extra: Any) -> dict:
    return {
        "outlet": "REST", "saleId": sale_id,
        "lines": [{"description": "Sea bass", "quantity": 2, "unitPrice": "24.00"},
                  {"description": "Vinho verde", "quantity": 1, "unitPrice": "28.00"}],
        "roomCharge": {"roomNumber": room, "lastName": name}, **extra,
    }  # fmt: skip


async def guest_in_101(resort: Resort, **stay: Any) -> dict[str, Any]:
    hotel = resort.hotel
    reservation = await hotel.book("guest", nights=2, room="101", last_name="Lovelace", **stay)
    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    return reservation


async def test_a_restaurant_bill_reaches_the_folio_and_is_settled_at_check_out(
    resort: Resort,
) -> None:
    hotel = resort.hotel
    reservation = await guest_in_101(resort)
    token = await resort.device_key("REST")
    sale = await resort.sell(dinner("R-1", name="lovelace"), token=token)  # any case
    assert sale["total"]["amount"] == "76.00"
    assert sale["settlement"] == "ROOM_CHARGE"
    assert sale["roomCharge"] == {
        "roomNumber": "101", "guestName": "Ada Lovelace",
        "reservationNumber": reservation["number"],
    }  # fmt: skip

    folio = (await hotel.reservation(reservation["id"]))["folio"]
    (line,) = [ln for ln in folio["lines"] if ln["reference"] == "pos:REST:R-1"]
    assert (line["kind"], line["source"], line["amount"]["amount"]) == (
        "charge",
        "pos:REST",
        "76.00",
    )
    assert folio["balance"]["amount"] == "76.00"

    # The guest leaves the next morning: the night and the dinner are settled together.
    await hotel.audit()
    out = await hotel.check_out_settled(reservation["id"])
    assert (out["status"], out["folio"]["balance"]["amount"]) == ("CHECKED_OUT", "0.00")
    await hotel.assert_folios_balance()

    # After check-out the guest can no longer be charged, and nothing is posted.
    before = await resort.snapshot()
    error = await resort.refused(dinner("R-2"), "GUEST_NOT_FOUND", token=token)
    assert error["field"] == ["roomCharge"]
    assert await resort.snapshot() == before


async def test_the_same_sale_id_twice_posts_once(resort: Resort) -> None:
    reservation = await guest_in_101(resort)
    first = await resort.send("postPosSale", dinner("R-7"))
    again = await resort.send("postPosSale", dinner("R-7"))
    assert (first["created"], again["created"]) == (True, False)
    assert again["sale"]["id"] == first["sale"]["id"]
    folio = (await resort.hotel.reservation(reservation["id"]))["folio"]
    assert [ln["reference"] for ln in folio["lines"]].count("pos:REST:R-7") == 1
    assert folio["balance"]["amount"] == "76.00"
    # The id again with another bill is refused, nothing posted.
    other = dinner("R-7")
    other["lines"][0]["quantity"] = 3
    await resort.refused(other, "SALE_ID_REUSED")


async def test_bad_charges_are_refused_and_post_nothing(resort: Resort) -> None:
    hotel = resort.hotel
    reservation = await guest_in_101(resort)
    await hotel.book("tomorrow", arrive=1, nights=1, room="102", last_name="Hopper")
    before = await resort.snapshot()
    for sale, code in (
        (dinner("X-1", room="999"), "GUEST_NOT_FOUND"),  # no such room
        (dinner("X-2", name="Curie"), "GUEST_NOT_FOUND"),  # not the guest's name
        (dinner("X-3", room="102", name="Hopper"), "GUEST_NOT_FOUND"),  # arrives tomorrow
        ({**dinner("X-4"), "payment": "CARD"}, "INVALID_INPUT"),  # settled twice
        ({**dinner("X-5"), "lines": []}, "INVALID_INPUT"),
        ({**dinner("X-6"), "outlet": "NOPE"}, "NOT_FOUND"),
    ):
        await resort.refused(sale, code)
    bad_price = dinner("X-7")
    bad_price["lines"][0]["unitPrice"] = "24.001"
    await resort.refused(bad_price, "INVALID_INPUT")
    assert await resort.snapshot() == before

    # No-post and credit limit, set by the front desk.
    await hotel.ok("setReservationBilling", {"reservation": reservation["id"], "noPost": True})
    before = await resort.snapshot()
    await resort.refused(dinner("X-8"), "NO_POST")
    assert await resort.snapshot() == before
    await hotel.ok(
        "setReservationBilling",
        {"reservation": reservation["id"], "noPost": False, "creditLimit": "100.00"},
    )
    await resort.sell(dinner("X-9"))  # 76.00 of 100.00
    before = await resort.snapshot()
    error = await resort.refused(dinner("X-10"), "CREDIT_LIMIT_EXCEEDED")
    assert "100" in error["message"]
    assert await resort.snapshot() == before


async def test_another_outlets_or_propertys_key_is_refused(resort: Resort) -> None:
    await guest_in_101(resort)
    gift_key = await resort.device_key("GIFT")
    before = await resort.snapshot()
    error = await resort.refused(dinner("K-1"), "PERMISSION_DENIED", token=gift_key)
    assert error["field"] == ["outlet"]
    # A key works at its own property only: elsewhere the property is not even found.
    other = await resort.kit.property(resort.hotel.tenant, "sea-annex", plugins=("pos_bridge",))
    result = await resort.kit.graphql(
        sale_mutation("postPosSale", rooms=False, retail=False),
        {"input": {**dinner("K-2"), "roomCharge": None, "payment": "CASH"}},
        property=other, token=gift_key,
    )  # fmt: skip
    assert 400 <= result.status < 500 and result.data is None, result.body
    assert await resort.snapshot() == before


async def test_a_void_corrects_the_folio_and_names_the_bill(resort: Resort) -> None:
    reservation = await guest_in_101(resort)
    await resort.sell(dinner("R-1"))
    partial = await resort.send(
        "voidPosSale",
        {"outlet": "REST", "saleId": "V-1", "voids": "R-1", "lines": [{"line": 1, "quantity": 1}],
         "reason": "wine corked"},
    )  # fmt: skip
    assert partial["errors"] == []
    void = partial["sale"]
    assert (void["isVoid"], void["voidsSaleId"], void["total"]["amount"]) == (True, "R-1", "-28.00")
    assert [ln["quantity"] for ln in void["lines"]] == [-1]
    folio = (await resort.hotel.reservation(reservation["id"]))["folio"]
    assert folio["balance"]["amount"] == "48.00"
    (correction,) = [ln for ln in folio["lines"] if ln["reference"] == "pos:REST:V-1"]
    assert (correction["kind"], correction["amount"]["amount"]) == ("correction", "-28.00")
    # The wine cannot be voided twice; the rest of the bill can.
    await resort.refused(
        {"outlet": "REST", "saleId": "V-2", "voids": "R-1", "lines": [{"line": 1, "quantity": 1}]},
        "OVER_VOID", name="voidPosSale",
    )  # fmt: skip
    rest = await resort.send("voidPosSale", {"outlet": "REST", "saleId": "V-3", "voids": "R-1"})
    assert rest["sale"]["total"]["amount"] == "-48.00"
    folio = (await resort.hotel.reservation(reservation["id"]))["folio"]
    assert folio["balance"]["amount"] == "0.00"
    await resort.refused(
        {"outlet": "REST", "saleId": "V-4", "voids": "R-1"}, "INVALID_TRANSITION",
        name="voidPosSale",
    )  # fmt: skip
    await resort.hotel.assert_folios_balance()
