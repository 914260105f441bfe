"""Who may do what: the warehouse role writes stock and catalog, a viewer only reads."""

from __future__ import annotations

from typing import Any

import pytest

from core.permissions import collect_permissions, role_permissions

INVENTORY_PERMISSIONS = {
    "catalog:read", "catalog:write", "inventory:read", "inventory:write",
    "purchasing:read", "purchasing:write",
}  # fmt: skip

READS = {
    "variants": "{ variants { totalCount edges { node { sku price { amount } } } } }",
    "stockLevels": "{ stockLevels { edges { node { onHand allocated available } } } }",
    "stockMovements": "{ stockMovements { totalCount } }",
    "locations": "{ locations { code } }",
    "purchaseOrders": "{ purchaseOrders { totalCount } }",
    "reorderRules": "{ reorderRules { minimum } }",
}


@pytest.fixture
async def stocked(shop: Any) -> Any:
    await shop.product("Soap", ("SOAP-1", "6.50"))
    await shop.receive("SOAP-1", 10)
    return shop


async def token(shop: Any, email: str, role: str, *, on: Any = None) -> str:
    """A token of a new user with ``role`` on ``on`` (this shop's property by default)."""
    user = await shop.kit.user(shop.tenant, email, role=role, property=on or shop.prop)
    return await shop.kit.token_for(user)


def forbidden(result: Any, field: str) -> None:
    """A top-level FORBIDDEN error on ``field`` and no data for it."""
    assert result.status == 200, result.body
    assert [(e["extensions"]["code"], e["path"]) for e in result.errors] == [
        ("FORBIDDEN", [field])
    ], result.body
    assert result.data is None or result.data.get(field) is None


def test_built_in_roles_grant_the_inventory_permissions(concierge: Any) -> None:
    registry = collect_permissions(concierge.runtime.host)
    assert INVENTORY_PERMISSIONS <= set(registry)

    def granted(role: str) -> set[str]:
        return set(role_permissions(role, registry)) & INVENTORY_PERMISSIONS

    # The issue: "warehouse role writes, viewer reads".
    assert granted("warehouse") == INVENTORY_PERMISSIONS
    assert granted("viewer") == {"catalog:read", "inventory:read", "purchasing:read"}
    assert granted("manager") == INVENTORY_PERMISSIONS
    assert granted("cashier") == {"catalog:read"}
    assert granted("front_desk") == set()
    assert granted("housekeeping") == set()


async def test_a_warehouse_user_runs_the_stock(stocked: Any) -> None:
    # Tenant-wide: the catalog is shared by every property, so writing it takes a
    # tenant-wide role (see the next test for a warehouse role on one property).
    clerk = await stocked.kit.user(stocked.tenant, "clerk@acme.example", role="warehouse")
    as_clerk = await stocked.kit.token_for(clerk)

    await stocked.ok(
        "createProduct",
        {"name": "Tote", "variants": [{"sku": "TOTE-1", "price": "24"}]},
        token=as_clerk,
    )
    await stocked.ok("updateVariant", {"sku": "TOTE-1", "price": "25"}, token=as_clerk)
    await stocked.ok("createLocation", {"code": "BACK", "name": "Back room"}, token=as_clerk)
    await stocked.ok(
        "receiveStock", {"sku": "TOTE-1", "location": "MAIN", "quantity": 4}, token=as_clerk
    )
    await stocked.ok(
        "adjustStock",
        {"sku": "SOAP-1", "location": "MAIN", "quantity": -1, "reason": "broken"},
        token=as_clerk,
    )
    await stocked.ok(
        "transferStock",
        {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "BACK", "quantity": 2},
        token=as_clerk,
    )
    await stocked.ok(
        "allocateStock",
        {"reference": "ORDER-1", "lines": [{"sku": "SOAP-1", "quantity": 3}]},
        token=as_clerk,
    )
    await stocked.ok("shipStock", {"reference": "ORDER-1"}, token=as_clerk)
    await stocked.ok("placeHold", {"key": "cart-1", "sku": "TOTE-1", "quantity": 1}, token=as_clerk)
    await stocked.ok(
        "setReorderRule",
        {"sku": "TOTE-1", "location": "MAIN", "minimum": 5, "maximum": 10},
        token=as_clerk,
    )
    for name, query in READS.items():
        assert (await stocked.query(query, token=as_clerk))[name] is not None

    # The ledger names who did it.
    transfers = await stocked.movements(reference="transfer:MAIN->BACK")
    assert {m["actor"] for m in transfers} == {f"user:{clerk.id}"}
    assert await stocked.check_ledger() == {
        ("SOAP-1", "MAIN"): (4, 0, 0),
        ("SOAP-1", "BACK"): (2, 0, 0),
        ("TOTE-1", "MAIN"): (4, 0, 1),
    }


async def test_a_viewer_reads_but_cannot_write(stocked: Any) -> None:
    as_viewer = await token(stocked, "viewer@acme.example", "viewer")
    assert (await stocked.allocate("ORDER-1", ("SOAP-1", 2)))["errors"] == []

    for name, query in READS.items():
        assert (await stocked.query(query, token=as_viewer))[name] is not None
    levels = await stocked.query(READS["stockLevels"], token=as_viewer)
    assert levels["stockLevels"]["edges"] == [
        {"node": {"onHand": 10, "allocated": 2, "available": 8}}
    ]

    snapshot = await stocked.snapshot()
    writes = [
        ("receiveStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": 5}),
        ("adjustStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": -1, "reason": "x"}),
        ("transferStock", {"sku": "SOAP-1", "fromLocation": "MAIN", "toLocation": "MAIN",
                           "quantity": 1}),
        ("allocateStock", {"reference": "ORDER-2", "lines": [{"sku": "SOAP-1", "quantity": 1}]}),
        ("releaseAllocation", {"reference": "ORDER-1"}),
        ("shipStock", {"reference": "ORDER-1"}),
        ("placeHold", {"key": "cart-1", "sku": "SOAP-1", "quantity": 1}),
        ("createProduct", {"name": "Tote", "variants": [{"sku": "TOTE-1", "price": "1"}]}),
        ("updateVariant", {"sku": "SOAP-1", "price": "0"}),
        ("createLocation", {"code": "BACK", "name": "Back"}),
        ("updateInventorySettings", {"allowSplit": False}),
        ("setReorderRule", {"sku": "SOAP-1", "location": "MAIN", "minimum": 1, "maximum": 2}),
        ("placePurchaseOrder", {"number": "PO-000001"}),
    ]  # fmt: skip
    for name, input in writes:
        forbidden(await stocked.attempt(name, input, token=as_viewer), name)
    assert await stocked.snapshot() == snapshot
    await stocked.check_ledger()


async def test_a_grant_on_one_property_cannot_change_the_shared_catalog(stocked: Any) -> None:
    as_local = await token(stocked, "local@acme.example", "warehouse")
    snapshot = await stocked.snapshot()
    for name, input in (
        ("updateVariant", {"sku": "SOAP-1", "price": "0.01", "active": False}),
        ("createProduct", {"name": "Tote", "variants": [{"sku": "TOTE-9", "price": "1"}]}),
    ):
        forbidden(await stocked.attempt(name, input, token=as_local), name)
    assert await stocked.snapshot() == snapshot
    # The stock of their own property is theirs to run.
    await stocked.ok(
        "receiveStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": 1}, token=as_local
    )


async def test_a_cashier_sees_the_catalog_but_not_the_stock(stocked: Any) -> None:
    as_cashier = await token(stocked, "till@acme.example", "cashier")
    snapshot = await stocked.snapshot()

    data = await stocked.query(READS["variants"], token=as_cashier)
    assert data["variants"]["totalCount"] == 1
    # The total a till may promise, yes; where the units are, no.
    totals = await stocked.query("{ variants { edges { node { available } } } }", token=as_cashier)
    assert totals["variants"]["edges"][0]["node"]["available"] >= 0
    detail = await stocked.request(
        "{ variants { edges { node { sku stock { onHand } } } } }", token=as_cashier
    )
    assert [e["extensions"]["code"] for e in detail.errors] == ["FORBIDDEN"]
    assert detail.errors[0]["path"][-1] == "stock"
    forbidden(await stocked.request(READS["stockLevels"], token=as_cashier), "stockLevels")
    forbidden(
        await stocked.attempt(
            "allocateStock",
            {"reference": "ORDER-1", "lines": [{"sku": "SOAP-1", "quantity": 1}]},
            token=as_cashier,
        ),
        "allocateStock",
    )
    assert await stocked.snapshot() == snapshot
    await stocked.check_ledger()


async def test_a_role_on_another_property_grants_nothing_here(make_shop: Any) -> None:
    shop = await make_shop("acme-shop")
    outlet = await make_shop("acme-outlet", tenant=shop.tenant)
    await shop.product("Soap", ("SOAP-1", "6.50"))
    as_outlet_clerk = await token(shop, "clerk@acme.example", "warehouse", on=outlet.prop)
    snapshot = await shop.snapshot()

    result = await shop.attempt(
        "receiveStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": 5}, token=as_outlet_clerk
    )

    # Members without a role on a property do not learn that it exists.
    assert result.status == 404, result.body
    assert [e["extensions"]["code"] for e in result.errors] == ["PROPERTY_NOT_FOUND"]
    assert await shop.snapshot() == snapshot
    # On their own property they may.
    await outlet.ok(
        "receiveStock", {"sku": "SOAP-1", "location": "MAIN", "quantity": 5}, token=as_outlet_clerk
    )
    assert await outlet.check_ledger() == {("SOAP-1", "MAIN"): (5, 0, 0)}
    assert await shop.check_ledger() == {}


async def test_without_a_credential_nothing_is_written(stocked: Any) -> None:
    snapshot = await stocked.snapshot()

    response = await stocked.kit.client.post(
        f"/graphql/{stocked.prop.slug}",
        json={
            "query": 'mutation { receiveStock(input: {sku: "SOAP-1", location: "MAIN",'
            " quantity: 5}) { errors { code } } }"
        },
    )

    assert response.status_code == 401, response.text
    assert [e["extensions"]["code"] for e in response.json()["errors"]] == ["UNAUTHENTICATED"]
    assert await stocked.snapshot() == snapshot
    await stocked.check_ledger()


async def test_nested_fields_keep_their_types_permissions(stocked: Any) -> None:
    """A stock-only role reads levels, but not the catalog's prices through them."""
    saved = await stocked.kit.graphql(
        'mutation { saveRole(input: {name: "stock_counter", permissions: ["inventory:read"]})'
        " { errors { code } } }",
        tenant=stocked.tenant,
    )
    assert saved.ok()["saveRole"]["errors"] == []
    as_counter = await token(stocked, "count@acme.example", "stock_counter")
    result = await stocked.request(
        "{ stockLevels { edges { node { onHand location { code } variant { price { amount } } }"
        " } } }",
        token=as_counter,
    )
    assert {e["extensions"]["code"] for e in result.errors} == {"FORBIDDEN"}
    assert all(e["path"][-1] == "variant" for e in result.errors)
    node = result.data["stockLevels"]["edges"][0]["node"]
    assert node["variant"] is None and node["location"] == {"code": "MAIN"}
