"""Who may do what with outlets and sales, over HTTP: a till's key only sells; the front
desk reads; a cashier sells for any outlet; only managers make outlets and keys."""

from __future__ import annotations

import pytest
from pos_kit import Resort

SELL = (
    "mutation($input: PostPosSaleInput!) { postPosSale(input: $input) { created errors { code } } }"
)
READ = "{ posSales { totalCount } outlets { code } }"
MAKE_OUTLET = (
    'mutation { createOutlet(input: {code: "BAR", name: "Bar", kind: BAR}) { errors { code } } }'
)


def cash_sale(sale_id: str) -> dict:
    return {"outlet": "REST", "saleId": sale_id, "payment": "CASH",
            "lines": [{"description": "Coffee", "quantity": 1, "unitPrice": "3.00"}]}  # fmt: skip


def forbidden(result) -> bool:
    return [(e.get("extensions") or {}).get("code") for e in result.errors] == ["FORBIDDEN"]


@pytest.mark.parametrize(
    ("who", "reads", "sells", "manages"),
    [
        ("device", False, True, False),
        ("cashier", True, True, True),
        ("front_desk", True, False, False),
        ("viewer", True, False, False),
        ("housekeeping", False, False, False),
        ("manager", True, True, True),
    ],
)
async def test_each_caller(
    resort: Resort, who: str, reads: bool, sells: bool, manages: bool
) -> None:
    kit, hotel = resort.kit, resort.hotel
    if who == "device":
        token = await resort.device_key("REST")
    else:
        user = await kit.user(hotel.tenant, f"{who}@sea.example", role=who, property=hotel.prop)
        token = await kit.token_for(user)
    read = await hotel.request(READ, token=token)
    assert forbidden(read) is not reads, read.body
    sold = await hotel.request(SELL, {"input": cash_sale(f"{who}-1")}, token=token)
    assert forbidden(sold) is not sells, sold.body
    if sells:
        assert sold.ok()["postPosSale"] == {"created": True, "errors": []}
    made = await hotel.request(MAKE_OUTLET, token=token)
    assert forbidden(made) is not manages, made.body
    sales = await hotel.query("{ posSales { totalCount } }")
    assert sales["posSales"]["totalCount"] == (1 if sells else 0)
