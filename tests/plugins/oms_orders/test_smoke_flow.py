from __future__ import annotations

from orders_store import Store


async def test_web_order_from_placement_to_delivered(store: Store) -> None:
    order = await store.place("k1", ("SOAP", 2), ("BEANS", 1), shipping="4.95")
    assert order["status"] == "UNCONFIRMED", order
    assert order["total"]["amount"] == "30.85"
    print(order)
