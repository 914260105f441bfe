"""Helpers of the pos_bridge tests (fixtures in tests/plugins/pos_bridge/conftest.py).

A ``Resort`` is a hotel (hotel_kit.py: rooms 101-104, 301) that also runs the
shop's plugins (orders_store.py's catalog: SOAP 10 at 6.50, TOTE 5 at 24.00,
BEANS 2 at 12.90, at MAIN) and pos_bridge, with a restaurant (``REST``) and a
gift shop (``GIFT``, selling from MAIN). Sales go through the real app: by
GraphQL, with a device key or the owner's token, or by the signed webhook.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
from hotel_kit import Hotel, set_up_hotel
from orders_store import CATALOG, CREATE_PRODUCT, RECEIVE, Store

from core.signatures import sign
from core.testing import ConciergeTestKit
from plugins.pos_bridge import models

POS = "pos_bridge"
EVERYTHING = ("pms_rooms", "oms_inventory", "oms_orders", POS)
MONEY = "{ amount currency }"
SALE_FIELDS = (
    f"id saleId isVoid settlement paymentMethod total {MONEY} businessDate source voidsSaleId"
    f" outlet {{ code }} lines {{ position description quantity unitPrice {MONEY} total {MONEY} }}"
)
SALE_ROOM_FIELDS = " roomCharge { roomNumber guestName reservationNumber }"
SALE_RETAIL_FIELDS = f" retailTotal {MONEY} orderNumber lines {{ sku }}"
ERRORS = "errors { code field message }"


def sale_mutation(name: str, rooms: bool = True, retail: bool = True) -> str:
    fields = (
        SALE_FIELDS + (SALE_ROOM_FIELDS if rooms else "") + (SALE_RETAIL_FIELDS if retail else "")
    )
    kind = "PostPosSaleInput" if name == "postPosSale" else "VoidPosSaleInput"
    return (
        f"mutation($input: {kind}!) {{ {name}(input: $input) {{"
        f" created sale {{ {fields} }} {ERRORS} }} }}"
    )


@dataclass
class Resort:
    hotel: Hotel
    store: Store
    rooms: bool = True
    retail: bool = True
    secrets: dict[str, str] = field(default_factory=dict)

    @property
    def kit(self) -> ConciergeTestKit:
        return self.hotel.kit

    async def outlet(self, code: str, kind: str, stock_location: str | None = None) -> str:
        """Create an outlet; its webhook secret."""
        input: dict[str, Any] = {"code": code, "name": code.title(), "kind": kind}
        if stock_location:
            input["stockLocation"] = stock_location
        payload = (
            await self.hotel.request(
                "mutation($input: CreateOutletInput!) { createOutlet(input: $input) {"
                f" webhookSecret outlet {{ code }} {ERRORS} }} }}",
                {"input": input},
            )
        ).ok()["createOutlet"]
        assert payload["errors"] == [], payload
        self.secrets[code] = payload["webhookSecret"]
        return payload["webhookSecret"]

    async def device_key(self, outlet: str) -> str:
        payload = (
            await self.hotel.request(
                "mutation($input: CreateOutletDeviceKeyInput!) { createOutletDeviceKey("
                f"input: $input) {{ secret {ERRORS} }} }}",
                {"input": {"outlet": outlet, "name": "till 1"}},
            )
        ).ok()["createOutletDeviceKey"]
        assert payload["errors"] == [], payload
        return payload["secret"]

    async def send(self, name: str, input: dict[str, Any], *, token: str | None = None) -> Any:
        document = sale_mutation(name, self.rooms, self.retail)
        return (await self.hotel.request(document, {"input": input}, token=token)).ok()[name]

    async def sell(self, input: dict[str, Any], *, token: str | None = None) -> dict[str, Any]:
        payload = await self.send("postPosSale", input, token=token)
        assert payload["errors"] == [], payload
        return payload["sale"]

    async def refused(
        self,
        input: dict[str, Any],
        code: str,
        *,
        name: str = "postPosSale",
        token: str | None = None,
    ) -> dict[str, Any]:
        payload = await self.send(name, input, token=token)
        assert [e["code"] for e in payload["errors"]] == [code], payload
        assert payload["sale"] is None
        return payload["errors"][0]

    async def webhook(
        self,
        outlet: str,
        body: dict[str, Any] | bytes,
        *,
        timestamp: int | None = None,
        secret: str | None = None,
        signature: str | None = None,
        property: str | None = None,
    ) -> httpx.Response:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        stamp = str(timestamp if timestamp is not None else int(self.kit.clock.now().timestamp()))
        if signature is None:
            signature = sign(secret or self.secrets[outlet], stamp, raw)
        headers = {
            "content-type": "application/json",
            "x-concierge-timestamp": stamp,
            "x-concierge-signature": signature,
        }
        path = f"/plugins/pos_bridge/webhooks/{property or self.hotel.prop.slug}/{outlet}"
        return await self.kit.client.post(path, content=raw, headers=headers)

    async def pos_rows(self) -> dict[str, Any]:
        return await self.hotel.rows(models.PosSale, models.PosSaleLine)

    async def snapshot(self) -> dict[str, Any]:
        """Sales, folios, orders, stock and the outbox: what a refused sale leaves alone."""
        snapshot = {**await self.pos_rows(), **await self.hotel.snapshot()}
        if self.retail:
            snapshot |= await self.store.snapshot()
        return snapshot

    async def summary(self, day: str | None = None) -> dict[str, dict[str, Any]]:
        fields = (
            f"outlet {{ code }} sales voids gross {MONEY} voided {MONEY} net {MONEY}"
            f" paidAtOutlet {MONEY} paidByMethod {{ method amount {MONEY} }} reconciled"
        )
        if self.rooms:
            fields += f" chargedToRooms {MONEY} folioPosted {MONEY}"
        if self.retail:
            fields += f" retail {MONEY} ordersTotal {MONEY}"
        data = await self.hotel.query(
            f"query($date: Date) {{ posDailySummary(date: $date) {{ {fields} }} }}", {"date": day}
        )
        return {d["outlet"]["code"]: d for d in data["posDailySummary"]}


async def set_up_resort(
    kit: ConciergeTestKit, slug: str = "sea-resort", plugins: tuple[str, ...] = EVERYTHING
) -> Resort:
    hotel = await set_up_hotel(kit, slug, plugins=plugins) if "pms_rooms" in plugins else None
    if hotel is None:  # a shop: no rooms, the same helpers
        import datetime as dt

        tenant = await kit.tenant(slug.split("-")[0])
        prop = await kit.property(tenant, slug, plugins=plugins)
        hotel = Hotel(kit=kit, tenant=tenant, prop=prop, today=dt.date.min)
    store = Store(kit, hotel.tenant, hotel.prop, with_inventory="oms_inventory" in plugins)
    if "oms_inventory" in plugins:
        for sku, price, quantity in CATALOG:
            product = {"name": sku.title(), "variants": [{"sku": sku, "price": price}]}
            assert (await store.request(CREATE_PRODUCT, {"input": product})).ok()["createProduct"][
                "errors"
            ] == []
            receive = {"sku": sku, "location": "MAIN", "quantity": quantity}
            assert (await store.request(RECEIVE, {"input": receive})).ok()["receiveStock"][
                "errors"
            ] == []
    resort = Resort(hotel, store, rooms="pms_rooms" in plugins, retail="oms_orders" in plugins)
    await resort.outlet("REST", "RESTAURANT")
    if resort.retail:
        await resort.outlet("GIFT", "GIFT_SHOP", stock_location="MAIN")
    return resort
