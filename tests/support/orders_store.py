"""Helpers of the oms_orders tests (fixtures in tests/plugins/oms_orders/conftest.py).

A ``Store`` is a property with oms_orders (and, unless told otherwise,
oms_inventory with a small catalog and stock). Every request goes through the
real app over HTTP; the database is read directly only to prove that a
refused request changed nothing and that stock levels match the ledger.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from core.events import OutboxEvent
from core.testing import ConciergeTestKit, PropertyClient, PropertyRef, TenantRef
from plugins.oms_inventory import models as inventory
from plugins.oms_orders import models

ORDERS = "oms_orders"
INVENTORY = "oms_inventory"

ERROR_FIELDS = "code field message sku requestedQuantity availableQuantity"
MONEY = "{ amount currency }"
ORDER_FIELDS = (
    "id number channel channelReference status paymentStatus email stockAllocated"
    f" subtotal {MONEY} discount {MONEY} shipping {MONEY} tax {MONEY} total {MONEY}"
    f" paid {MONEY} refunded {MONEY} balance {MONEY} expiresAt closedAt placedAt"
    " lines { sku name quantity unitPrice { amount } lineTotal { amount }"
    " fulfilledQuantity returnedQuantity quantityToFulfill }"
    " timeline { kind fromStatus toStatus detail actor createdAt }"
    " fulfillments { id number status location carrier trackingNumber deliveredAt"
    " lines { sku quantity } }"
    " payments { id kind amount { amount } method gateway reference }"
    " returns { id number status lines { sku quantity restocked } refund { amount { amount } }"
    " suggestedRefund { amount } }"
    " customer { id email name }"
)

# mutation name -> (input type, what the payload selects besides errors)
MUTATIONS: dict[str, tuple[str, str]] = {
    "placeOrder": ("PlaceOrderInput", f"created order {{ {ORDER_FIELDS} }}"),
    "confirmOrder": ("OrderInput", f"order {{ {ORDER_FIELDS} }}"),
    "cancelOrder": ("CancelOrderInput", f"order {{ {ORDER_FIELDS} }}"),
    "addOrderNote": ("AddOrderNoteInput", f"order {{ {ORDER_FIELDS} }}"),
    "fulfillOrder": (
        "FulfillOrderInput",
        f"order {{ {ORDER_FIELDS} }} fulfillment {{ id number status location carrier"
        " trackingNumber lines { sku quantity } }",
    ),
    "markFulfillmentDelivered": (
        "FulfillmentInput",
        f"order {{ {ORDER_FIELDS} }} fulfillment {{ id status deliveredAt }}",
    ),
    "updateFulfillmentTracking": (
        "UpdateFulfillmentTrackingInput",
        "fulfillment { id carrier trackingNumber trackingUrl }",
    ),
    "recordOrderPayment": (
        "RecordOrderPaymentInput",
        f"order {{ {ORDER_FIELDS} }} payment {{ id kind amount {{ amount }} method }}",
    ),
    "refundOrder": (
        "RefundOrderInput",
        f"order {{ {ORDER_FIELDS} }} payment {{ id kind amount {{ amount }} gateway reference }}",
    ),
    "requestReturn": ("RequestReturnInput", f"order {{ {ORDER_FIELDS} }} orderReturn {{ id }}"),
    "receiveReturn": (
        "ReceiveReturnInput",
        f"order {{ {ORDER_FIELDS} }} orderReturn {{ id status }}",
    ),
    "cancelReturn": ("OrderReturnInput", "orderReturn { id status }"),
    "createCustomer": ("CreateCustomerInput", "customer { id email name addresses { city } }"),
    "updateCustomer": ("UpdateCustomerInput", "customer { id email name phone }"),
    "updateOrderSettings": (
        "UpdateOrderSettingsInput",
        "settings { numberPrefix nextNumber taxRate pricesIncludeTax unpaidExpiryMinutes }",
    ),
}


def mutation_document(name: str) -> str:
    input_type, selection = MUTATIONS[name]
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
        f" {selection} errors {{ {ERROR_FIELDS} }} }} }}"
    )


def lines(*items: tuple[str, int] | tuple[str, int, str]) -> list[dict[str, Any]]:
    """Order lines from (sku, quantity[, unit price])."""
    result = []
    for item in items:
        line: dict[str, Any] = {"sku": item[0], "quantity": item[1]}
        if len(item) > 2:
            line["unitPrice"] = item[2]
        result.append(line)
    return result


@dataclass
class Store(PropertyClient):
    """A property with oms_orders, and GraphQL shortcuts against its endpoint."""

    kit: ConciergeTestKit
    tenant: TenantRef
    prop: PropertyRef
    with_inventory: bool

    def mutation_document(self, name: str) -> str:
        return mutation_document(name)

    # -- common steps ------------------------------------------------------------------

    async def place(self, key: str, *items: Any, **fields: Any) -> dict[str, Any]:
        """Place an order for (sku, quantity[, price]) items; returns the order."""
        input = {"idempotencyKey": key, "email": "ada@example.com", "lines": lines(*items)}
        input.update(fields)
        return (await self.ok("placeOrder", input))["order"]

    async def order(self, order_id: str) -> dict[str, Any]:
        data = await self.query(
            f"query($id: ID!) {{ node(id: $id) {{ ... on Order {{ {ORDER_FIELDS} }} }} }}",
            {"id": order_id},
        )
        return data["node"]

    async def level(self, sku: str, location: str = "MAIN") -> dict[str, int]:
        """on hand, allocated and available of ``sku`` at ``location``."""
        data = await self.query(
            "query($sku: String!, $loc: String!) { stockLevels(filter: {sku: $sku,"
            " location: $loc}) { edges { node { onHand allocated available } } } }",
            {"sku": sku, "loc": location},
        )
        edges = data["stockLevels"]["edges"]
        return edges[0]["node"] if edges else {"onHand": 0, "allocated": 0, "available": 0}

    async def ledger(self, reference: str) -> list[tuple[str, int, int]]:
        """(kind, on hand delta, allocated delta) of the ledger rows for ``reference``."""
        data = await self.query(
            "query($ref: String!) { stockMovements(first: 100, filter: {reference: $ref}) {"
            " edges { node { kind onHandDelta allocatedDelta } } } }",
            {"ref": reference},
        )
        return sorted(
            (e["node"]["kind"], e["node"]["onHandDelta"], e["node"]["allocatedDelta"])
            for e in data["stockMovements"]["edges"]
        )

    async def events(self, name: str) -> list[dict[str, Any]]:
        """Payloads of outbox events named ``name`` for this property, oldest first."""
        async with self.kit.transaction(self.prop) as session:
            rows = await session.scalars(
                select(OutboxEvent)
                .where(OutboxEvent.name == name, OutboxEvent.property_id == self.prop.id)
                .order_by(OutboxEvent.id)
            )
            return [dict(row.payload) for row in rows]

    async def snapshot(self) -> dict[str, Any]:
        """Every row a refused request must leave as it was (orders, stock, events)."""
        tables: list[Any] = [
            models.Customer, models.Order, models.OrderLine, models.OrderEvent,
            models.Fulfillment, models.FulfillmentLine, models.Payment,
            models.OrderReturn, models.ReturnLine, models.OrderSettings, OutboxEvent,
        ]  # fmt: skip
        if self.with_inventory:
            tables += [inventory.StockLevel, inventory.StockMovement, inventory.Allocation]
        return await self.rows(*tables)

    async def assert_stock_matches_ledger(self) -> None:
        """Each level equals its ledger sums; allocated equals the open allocations."""
        m = inventory
        async with self.kit.transaction(self.prop) as session:
            levels = {
                (r.variant_id, r.location_id): (r.on_hand, r.allocated)
                for r in await session.execute(select(m.StockLevel))
                for r in [r[0]]
            }
            sums = {
                (r.variant_id, r.location_id): (int(r.on_hand), int(r.allocated))
                for r in await session.execute(
                    select(
                        m.StockMovement.variant_id, m.StockMovement.location_id,
                        func.sum(m.StockMovement.on_hand_delta).label("on_hand"),
                        func.sum(m.StockMovement.allocated_delta).label("allocated"),
                    ).group_by(m.StockMovement.variant_id, m.StockMovement.location_id)
                )
            }  # fmt: skip
            open_allocations: dict[tuple[int, int], int] = {}
            for r in await session.execute(select(m.Allocation)):
                a = r[0]
                key = (a.variant_id, a.location_id)
                open_allocations[key] = open_allocations.get(key, 0) + a.quantity - a.shipped
        for key, (on_hand, allocated) in levels.items():
            assert (on_hand, allocated) == sums.get(key, (0, 0)), key
            assert allocated == open_allocations.get(key, 0), key
            assert on_hand >= allocated >= 0, key


CATALOG = (("SOAP", "6.50", 10), ("TOTE", "24.00", 5), ("BEANS", "12.90", 2))

CREATE_PRODUCT = (
    "mutation($input: CreateProductInput!) { createProduct(input: $input) { errors { message } } }"
)
RECEIVE = (
    "mutation($input: ReceiveStockInput!) { receiveStock(input: $input) { errors { message } } }"
)
