"""Two mutations in one request: the second's payload shows both changes, no stale cache."""

from __future__ import annotations

from core.testing import ConciergeTestKit

TWO_STEPS = """
mutation {
  a: receiveStock(input: {sku: "SOAP", location: "MAIN", quantity: 5}) {
    stockLevel { onHand location { code } variant { sku } } errors { code }
  }
  b: adjustStock(input: {sku: "SOAP", location: "MAIN", quantity: -1, reason: "count"}) {
    stockLevel { onHand location { code } variant { sku available } } errors { code }
  }
}
"""


async def test_a_second_mutation_reads_fresh_rows(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["oms_inventory"])
    created = await concierge.graphql(
        'mutation { createProduct(input: {name: "Soap", variants: [{sku: "SOAP", price: "2"}]})'
        " { errors { code } } }",
        property=shop,
    )
    assert created.ok()["createProduct"]["errors"] == []
    data = (await concierge.graphql(TWO_STEPS, property=shop)).ok()
    assert data["a"]["stockLevel"]["onHand"] == 5
    assert data["b"]["stockLevel"] == {
        "onHand": 4,
        "location": {"code": "MAIN"},
        "variant": {"sku": "SOAP", "available": 4},
    }
