"""Input beyond what the columns hold is a typed INVALID_INPUT, never a database error."""

from __future__ import annotations

import pytest

from core.testing import ConciergeTestKit

CREATE = (
    "mutation($n: String!, $p: Decimal!) { createProduct(input: {name: $n,"
    ' variants: [{sku: "SOAP", price: $p}]}) { errors { code field } } }'
)


@pytest.fixture
async def shop(concierge: ConciergeTestKit):
    tenant = await concierge.tenant("acme")
    return await concierge.property(tenant, "acme-shop", plugins=["oms_inventory"])


@pytest.mark.parametrize(
    ("name", "price", "field"),
    [
        ("x" * 201, "1", ["name"]),
        ("Soap", "1E+30", ["variants", "0", "price"]),
    ],
)
async def test_oversized_catalog_input(concierge, shop, name: str, price: str, field) -> None:
    result = await concierge.graphql(CREATE, {"n": name, "p": price}, property=shop)
    assert result.ok()["createProduct"]["errors"] == [{"code": "INVALID_INPUT", "field": field}]


@pytest.mark.parametrize(
    ("mutation", "field"),
    [
        (
            'createLocation(input: {code: "B", name: "%s"})' % ("x" * 121),
            ["name"],
        ),
        (
            'allocateStock(input: {reference: "%s", lines: [{sku: "S", quantity: 1}]})'
            % ("r" * 121),
            ["reference"],
        ),
        ('placeHold(input: {key: "%s", sku: "S", quantity: 1})' % ("k" * 101), ["key"]),
    ],
)
async def test_oversized_stock_input(concierge, shop, mutation: str, field) -> None:
    document = "mutation { m: " + mutation + " { errors { code field } } }"
    result = await concierge.graphql(document, property=shop)
    assert result.ok()["m"]["errors"] == [{"code": "INVALID_INPUT", "field": field}]


@pytest.mark.parametrize("node_id", ["²", "99999999999999999999999"])
async def test_odd_user_ids_are_not_found(concierge: ConciergeTestKit, node_id: str) -> None:
    from strawberry.relay import to_base64

    tenant = await concierge.tenant("acme")
    result = await concierge.graphql(
        'mutation($u: ID!) { setMembership(input: {user: $u, role: "viewer"}) {'
        " errors { code } } }",
        {"u": to_base64("User", node_id)},
        tenant=tenant,
    )
    assert result.ok()["setMembership"]["errors"] == [{"code": "NOT_FOUND"}]
