"""A property's schema holds oms_inventory's types only when it has the plugin enabled."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from graphql import GraphQLObjectType, build_schema

ROOT = Path(__file__).resolve().parents[3]

INVENTORY_TYPES = {
    "Product", "Variant", "Location", "StockLevel", "StockMovement", "StockMovementKind",
    "ReorderRule", "PurchaseOrder", "PurchaseOrderStatus", "PurchaseOrderLine", "StockHold",
    "StockTaken", "InventoryError", "InventoryErrorCode", "InventorySettings",
    "AllocationStrategy", "AllocateStockInput", "ReceiveStockInput", "VariantFilter",
    "StockLevelConnection", "StockTakenPayload",
}  # fmt: skip
INVENTORY_QUERIES = {
    "products", "variants", "locations", "stockLevels", "stockMovements", "reorderRules",
    "purchaseOrders", "inventorySettings",
}  # fmt: skip
INVENTORY_MUTATIONS = {
    "createProduct", "addVariant", "updateVariant", "createLocation",
    "updateInventorySettings", "receiveStock", "adjustStock", "transferStock",
    "allocateStock", "releaseAllocation", "shipStock", "placeHold", "releaseHold",
    "setReorderRule", "placePurchaseOrder", "cancelPurchaseOrder", "receivePurchaseOrder",
}  # fmt: skip

SCHEMA = """
{ __schema {
    types { name }
    queryType { fields { name } }
    mutationType { fields { name } }
} }
"""


async def schema_of(shop: Any) -> tuple[set[str], set[str], set[str]]:
    """(type names, query fields, mutation fields) of the shop's endpoint."""
    data = (await shop.query(SCHEMA))["__schema"]
    types = {t["name"] for t in data["types"]}
    queries = {f["name"] for f in data["queryType"]["fields"]}
    mutation = data["mutationType"]
    mutations = {f["name"] for f in mutation["fields"]} if mutation else set()
    return types, queries, mutations


async def type_exists(shop: Any, name: str) -> bool:
    data = await shop.query("query($n: String!) { __type(name: $n) { name } }", {"n": name})
    return data["__type"] is not None


async def test_a_property_without_inventory_has_none_of_its_types(make_shop: Any) -> None:
    shop = await make_shop("acme-shop")
    hotel = await make_shop("acme-hotel", tenant=shop.tenant, plugins=())

    shop_types, shop_queries, shop_mutations = await schema_of(shop)
    assert INVENTORY_TYPES <= shop_types
    assert INVENTORY_QUERIES <= shop_queries
    assert INVENTORY_MUTATIONS <= shop_mutations

    hotel_types, hotel_queries, hotel_mutations = await schema_of(hotel)
    assert hotel_types & INVENTORY_TYPES == set()
    assert hotel_queries & INVENTORY_QUERIES == set()
    assert hotel_mutations & INVENTORY_MUTATIONS == set()
    # Nothing the plugin added is left behind, whatever it is called.
    assert hotel_types < shop_types
    assert not await type_exists(hotel, "StockLevel")
    assert await type_exists(shop, "StockLevel")
    await shop.check_ledger()


async def test_inventory_fields_are_validation_errors_without_the_plugin(make_shop: Any) -> None:
    hotel = await make_shop("acme-hotel", plugins=())

    result = await hotel.request("{ variants { totalCount } }")
    assert result.status == 400, result.body
    assert result.data is None
    assert [e["message"] for e in result.errors] == [
        "Cannot query field 'variants' on type 'Query'."
    ]
    result = await hotel.attempt(
        "receiveStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": 1}
    )
    assert result.status == 400, result.body
    assert result.data is None


async def test_enabling_and_disabling_changes_the_schema(make_shop: Any) -> None:
    hotel = await make_shop("acme-hotel", plugins=())
    assert not await type_exists(hotel, "StockLevel")

    await hotel.kit.enable(hotel.prop, "oms_inventory")
    assert await type_exists(hotel, "StockLevel")
    # Enabling seeds the MAIN location and the default settings.
    data = await hotel.query("{ locations { code } inventorySettings { strategy allowSplit } }")
    assert data == {
        "locations": [{"code": "MAIN"}],
        "inventorySettings": {"strategy": "PRIORITY", "allowSplit": True},
    }

    assert await hotel.check_ledger() == {}

    await hotel.kit.disable(hotel.prop, "oms_inventory")
    assert not await type_exists(hotel, "StockLevel")
    assert (await hotel.request("{ stockLevels { totalCount } }")).status == 400


def test_schema_graphql_holds_the_inventory_types() -> None:
    schema = build_schema((ROOT / "schema.graphql").read_text())

    assert INVENTORY_TYPES <= set(schema.type_map)
    assert schema.query_type is not None and schema.mutation_type is not None
    assert INVENTORY_QUERIES <= set(schema.query_type.fields)
    assert INVENTORY_MUTATIONS <= set(schema.mutation_type.fields)
    level = schema.type_map["StockLevel"]
    assert isinstance(level, GraphQLObjectType)
    assert {"onHand", "allocated", "held", "available", "variant", "location"} <= set(level.fields)
    error = schema.type_map["InventoryError"]
    assert isinstance(error, GraphQLObjectType)
    assert {"code", "field", "message", "sku", "requestedQuantity", "availableQuantity"} <= set(
        error.fields
    )
