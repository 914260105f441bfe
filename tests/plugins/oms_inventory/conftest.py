"""Shared helpers of the oms_inventory tests.

A ``shop`` is a property with oms_inventory enabled (which seeds the MAIN
location). Every request goes through the real app over HTTP; the database is
only read directly to check the ledger against the levels and to prove that a
refused request changed nothing.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

import pytest
from sqlalchemy import func, select

from core.events import OutboxEvent
from core.testing import ConciergeTestKit, GraphQLResult, PropertyClient, PropertyRef, TenantRef
from plugins.oms_inventory import models

INVENTORY = "oms_inventory"

VARIANT_FIELDS = "id sku name price { amount currency } barcode attributes { name value } active"
LEVEL_FIELDS = "id onHand allocated held available variant { sku } location { code }"
PO_FIELDS = (
    "id number status orderedAt receivedAt location { code }"
    " lines { quantity received variant { sku } }"
)
ERROR_FIELDS = "code field message sku requestedQuantity availableQuantity"

# mutation name -> (input type, what the payload selects besides errors)
MUTATIONS: dict[str, tuple[str, str]] = {
    "createProduct": (
        "CreateProductInput",
        f"product {{ id name description active variants {{ {VARIANT_FIELDS} }} }}",
    ),
    "addVariant": ("AddVariantInput", f"variant {{ {VARIANT_FIELDS} product {{ id name }} }}"),
    "updateVariant": ("UpdateVariantInput", f"variant {{ {VARIANT_FIELDS} }}"),
    "createLocation": ("CreateLocationInput", "location { id code name priority active }"),
    "updateInventorySettings": (
        "UpdateInventorySettingsInput",
        "settings { strategy allowSplit holdMinutes }",
    ),
    "receiveStock": ("ReceiveStockInput", f"stockLevel {{ {LEVEL_FIELDS} }}"),
    "adjustStock": ("AdjustStockInput", f"stockLevel {{ {LEVEL_FIELDS} }}"),
    "transferStock": (
        "TransferStockInput",
        f"fromLevel {{ {LEVEL_FIELDS} }} toLevel {{ {LEVEL_FIELDS} }}",
    ),
    "allocateStock": ("AllocateStockInput", "taken { sku location quantity }"),
    "releaseAllocation": ("ReferenceInput", "released"),
    "shipStock": ("ShipStockInput", "taken { sku location quantity }"),
    "placeHold": ("PlaceHoldInput", "holds { key sku location quantity expiresAt }"),
    "releaseHold": ("ReleaseHoldInput", "released"),
    "setReorderRule": (
        "SetReorderRuleInput",
        "reorderRule { id minimum maximum multiple variant { sku } location { code } }",
    ),
    "placePurchaseOrder": ("PurchaseOrderInput", f"purchaseOrder {{ {PO_FIELDS} }}"),
    "cancelPurchaseOrder": ("PurchaseOrderInput", f"purchaseOrder {{ {PO_FIELDS} }}"),
    "receivePurchaseOrder": ("ReceivePurchaseOrderInput", f"purchaseOrder {{ {PO_FIELDS} }}"),
}


def mutation_document(name: str) -> str:
    input_type, selection = MUTATIONS[name]
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
        f" {selection} errors {{ {ERROR_FIELDS} }} }} }}"
    )


@dataclass
class Shop(PropertyClient):
    """A property with inventory, and GraphQL shortcuts against its endpoint."""

    kit: ConciergeTestKit
    tenant: TenantRef
    prop: PropertyRef

    def mutation_document(self, name: str) -> str:
        return mutation_document(name)

    async def attempt(
        self, name: str, input: dict[str, Any], *, token: str | None = None
    ) -> GraphQLResult:
        """Send mutation ``name`` (see MUTATIONS) and return the whole response."""
        return await self.request(mutation_document(name), {"input": input}, token=token)

    # -- common steps --------------------------------------------------------------------

    async def product(
        self, name: str, *variants: tuple[str, str] | tuple[str, str, str | None]
    ) -> dict[str, Any]:
        """A product with variants given as (sku, price[, barcode])."""
        specs = []
        for variant in variants:
            spec: dict[str, Any] = {"sku": variant[0], "price": variant[1]}
            if len(variant) > 2 and variant[2] is not None:
                spec["barcode"] = variant[2]
            specs.append(spec)
        payload = await self.ok("createProduct", {"name": name, "variants": specs})
        return payload["product"]

    async def location(self, code: str, priority: int = 100) -> dict[str, Any]:
        payload = await self.ok(
            "createLocation", {"code": code, "name": f"{code} room", "priority": priority}
        )
        return payload["location"]

    async def receive(self, sku: str, quantity: int, location: str = "MAIN") -> dict[str, Any]:
        payload = await self.ok(
            "receiveStock", {"sku": sku, "location": location, "quantity": quantity}
        )
        return payload["stockLevel"]

    async def settings(self, **fields: Any) -> dict[str, Any]:
        return (await self.ok("updateInventorySettings", fields))["settings"]

    async def allocate(
        self, reference: str, *lines: tuple[str, int], hold_key: str | None = None
    ) -> Any:
        """The allocateStock payload (errors included) for (sku, quantity) lines."""
        input: dict[str, Any] = {
            "reference": reference,
            "lines": [{"sku": sku, "quantity": quantity} for sku, quantity in lines],
        }
        if hold_key is not None:
            input["holdKey"] = hold_key
        return await self.send("allocateStock", input)

    async def level(self, sku: str, location: str = "MAIN") -> dict[str, int]:
        """on hand, allocated, held and available of ``sku`` at ``location`` (zeros if none)."""
        data = await self.query(
            "query($sku: String!, $loc: String!) { stockLevels(filter: {sku: $sku,"
            " location: $loc}) { edges { node { onHand allocated held available } } } }",
            {"sku": sku, "loc": location},
        )
        edges = data["stockLevels"]["edges"]
        assert len(edges) <= 1, edges
        if not edges:
            return {"onHand": 0, "allocated": 0, "held": 0, "available": 0}
        return edges[0]["node"]

    async def available(self, sku: str) -> int:
        """Units of ``sku`` available at all locations (Variant.available)."""
        data = await self.query(
            "query($sku: String!) { variants(filter: {sku: $sku}) { edges { node {"
            " available } } } }",
            {"sku": sku},
        )
        (edge,) = data["variants"]["edges"]
        return edge["node"]["available"]

    async def movements(self, **filter: str) -> list[dict[str, Any]]:
        """The ledger rows (newest first) matching ``filter``, every page."""
        rows: list[dict[str, Any]] = []
        after = None
        while True:
            data = await self.query(
                "query($after: String, $filter: StockMovementFilter) {"
                " stockMovements(first: 100, after: $after, filter: $filter) {"
                " edges { node { kind onHandDelta allocatedDelta heldDelta reference reason"
                " actor variant { sku } location { code } } }"
                " pageInfo { hasNextPage endCursor } } }",
                {"after": after, "filter": filter or None},
            )
            page = data["stockMovements"]
            rows.extend(edge["node"] for edge in page["edges"])
            if not page["pageInfo"]["hasNextPage"]:
                return rows
            after = page["pageInfo"]["endCursor"]

    async def events(self, name: str) -> list[dict[str, Any]]:
        """Payloads of outbox events named ``name`` recorded for this property, oldest first."""
        async with self.kit.transaction(self.prop) as session:
            rows = await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.name == name, OutboxEvent.property_id == self.prop.id)
                .order_by(OutboxEvent.id)
            )
            return [dict(row.payload) for row in rows]

    async def snapshot(self) -> dict[str, Any]:
        """Everything a refused inventory request must leave as it was."""
        async with self.kit.transaction(self.prop) as session:

            async def rows(model: Any, *columns: Any) -> list[tuple[Any, ...]]:
                result = await session.execute(select(*columns).order_by(model.id))
                return [tuple(row) for row in result]

            m = models
            return {
                "products": await rows(m.Product, m.Product.id, m.Product.name),
                "variants": await rows(
                    m.Variant, m.Variant.id, m.Variant.sku, m.Variant.name,
                    m.Variant.price_minor, m.Variant.barcode, m.Variant.active,
                ),
                "levels": await rows(
                    m.StockLevel, m.StockLevel.variant_id, m.StockLevel.location_id,
                    m.StockLevel.on_hand, m.StockLevel.allocated, m.StockLevel.held,
                ),
                "movements": await rows(m.StockMovement, m.StockMovement.id),
                "allocations": await rows(
                    m.Allocation, m.Allocation.id, m.Allocation.quantity, m.Allocation.shipped
                ),
                "holds": await rows(m.StockHold, m.StockHold.id, m.StockHold.released_at),
                "purchase_orders": await rows(
                    m.PurchaseOrder, m.PurchaseOrder.id, m.PurchaseOrder.status
                ),
                "purchase_order_lines": await rows(
                    m.PurchaseOrderLine, m.PurchaseOrderLine.id, m.PurchaseOrderLine.quantity,
                    m.PurchaseOrderLine.received,
                ),
                "reorder_rules": await rows(
                    m.ReorderRule, m.ReorderRule.id, m.ReorderRule.minimum,
                    m.ReorderRule.maximum, m.ReorderRule.multiple,
                ),
                "events": await rows(OutboxEvent, OutboxEvent.id),
            }  # fmt: skip

    async def check_ledger(self) -> dict[tuple[str, str], tuple[int, int, int]]:
        """See :func:`assert_ledger_balances`; every test ends with it."""
        return await assert_ledger_balances(self)


async def assert_ledger_balances(shop: Shop) -> dict[tuple[str, str], tuple[int, int, int]]:
    """Levels equal the ledger's sums, and what is allocated or held is accounted for.

    For the whole property, per (variant, location): on hand, allocated and held
    equal the sums of the ledger's deltas; allocated equals the open (unshipped)
    allocations; held equals the unreleased holds; no level is below zero. The
    levels the API shows (stockLevels) are the database's. Returns the levels by
    (sku, location code) as (on hand, allocated, held).
    """
    m = models
    async with shop.kit.transaction(shop.prop) as session:
        skus = dict((await session.execute(select(m.Variant.id, m.Variant.sku))).all())
        codes = dict((await session.execute(select(m.Location.id, m.Location.code))).all())
        levels = {
            (row.variant_id, row.location_id): (row.on_hand, row.allocated, row.held)
            for row in await session.execute(
                select(
                    m.StockLevel.variant_id, m.StockLevel.location_id, m.StockLevel.on_hand,
                    m.StockLevel.allocated, m.StockLevel.held,
                )
            )
        }  # fmt: skip
        ledger = {
            (row.variant_id, row.location_id): (int(row.on_hand), int(row.allocated), int(row.held))
            for row in await session.execute(
                select(
                    m.StockMovement.variant_id, m.StockMovement.location_id,
                    func.sum(m.StockMovement.on_hand_delta).label("on_hand"),
                    func.sum(m.StockMovement.allocated_delta).label("allocated"),
                    func.sum(m.StockMovement.held_delta).label("held"),
                ).group_by(m.StockMovement.variant_id, m.StockMovement.location_id)
            )
        }  # fmt: skip
        open_allocated: dict[tuple[int, int], int] = defaultdict(int)
        for row in await session.execute(
            select(
                m.Allocation.variant_id, m.Allocation.location_id, m.Allocation.quantity,
                m.Allocation.shipped,
            )
        ):  # fmt: skip
            open_allocated[(row.variant_id, row.location_id)] += row.quantity - row.shipped
        open_held: dict[tuple[int, int], int] = defaultdict(int)
        for row in await session.execute(
            select(m.StockHold.variant_id, m.StockHold.location_id, m.StockHold.quantity).where(
                m.StockHold.released_at.is_(None)
            )
        ):
            open_held[(row.variant_id, row.location_id)] += row.quantity

    def named(key: tuple[int, int]) -> tuple[str, str]:
        return skus[key[0]], codes[key[1]]

    for key in set(levels) | set(ledger):
        level = levels.get(key, (0, 0, 0))
        assert level == ledger.get(key, (0, 0, 0)), (
            f"{named(key)}: level (on hand, allocated, held) {level} != ledger sums "
            f"{ledger.get(key, (0, 0, 0))}"
        )
        on_hand, allocated, held = level
        assert min(on_hand, allocated, held, on_hand - allocated - held) >= 0, (named(key), level)
        assert allocated == open_allocated.get(key, 0), (named(key), level, open_allocated)
        assert held == open_held.get(key, 0), (named(key), level, open_held)
    assert set(open_allocated) <= set(levels) and set(open_held) <= set(levels)

    # The API shows the same levels.
    shown: dict[tuple[str, str], tuple[int, int, int]] = {}
    after = None
    while True:
        data = await shop.query(
            "query($after: String) { stockLevels(first: 100, after: $after) { edges { node {"
            f" {LEVEL_FIELDS} }} }} pageInfo {{ hasNextPage endCursor }} }} }}",
            {"after": after},
        )
        for edge in data["stockLevels"]["edges"]:
            node = edge["node"]
            assert node["available"] == node["onHand"] - node["allocated"] - node["held"]
            shown[(node["variant"]["sku"], node["location"]["code"])] = (
                node["onHand"], node["allocated"], node["held"],
            )  # fmt: skip
        if not data["stockLevels"]["pageInfo"]["hasNextPage"]:
            break
        after = data["stockLevels"]["pageInfo"]["endCursor"]
    by_name = {named(key): value for key, value in levels.items()}
    assert shown == by_name
    return by_name


@pytest.fixture
def make_shop(concierge: ConciergeTestKit) -> Any:
    """Make a property (with oms_inventory unless ``plugins`` says otherwise) as a Shop."""

    async def make(
        slug: str = "acme-shop",
        *,
        tenant: TenantRef | None = None,
        plugins: tuple[str, ...] = (INVENTORY,),
        **fields: Any,
    ) -> Shop:
        if tenant is None:
            tenant = await concierge.tenant(slug.split("-")[0])
        prop = await concierge.property(tenant, slug, plugins=plugins, **fields)
        return Shop(concierge, tenant, prop)

    return make


@pytest.fixture
async def shop(make_shop: Any) -> Shop:
    return await make_shop()
