"""A NUL character (U+0000) in a string: PostgreSQL cannot store or even compare it, so
every request carrying one is refused before execution, alike on both databases, and a
URL naming a property with one answers as an unknown property. Never an internal error."""

from __future__ import annotations

from core.graphql.http import GRAPHQL_RESPONSE_JSON
from core.testing import ConciergeTestKit, GraphQLResult

MESSAGE = "Strings may not contain the NUL character (U+0000)."
CREATE_CUSTOMER = (
    "mutation($input: CreateCustomerInput!) { createCustomer(input: $input) {"
    " customer { id } errors { code } } }"
)


def refused(result: GraphQLResult) -> None:
    assert result.status == 400 and "data" not in result.body, result.body
    (error,) = result.errors
    assert (error["message"], error["extensions"]) == (MESSAGE, {"code": "BAD_REQUEST"})


async def test_a_nul_in_a_literal_or_a_variable_is_refused_before_execution(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["oms_orders"])
    # A literal can carry it only escaped; either escape is refused.
    refused(await concierge.graphql('{ orderByNumber(number: "1\\u0000") { id } }', property=shop))
    refused(await concierge.graphql('{ orderByNumber(number: "1\\u{0}") { id } }', property=shop))
    customer = {"email": "ada@example.com", "name": "Ada\x00"}
    refused(await concierge.graphql(CREATE_CUSTOMER, {"input": customer}, property=shop))
    refused(
        await concierge.graphql(
            "mutation($slug: String!) { enablePlugin(input: {property: $slug,"
            ' plugin: "oms_inventory"}) { errors { code } } }',
            {"slug": "acme-shop\x00"},
            tenant=tenant,
        )
    )
    listed = await concierge.graphql("{ customers { totalCount } }", property=shop)
    assert listed.ok()["customers"]["totalCount"] == 0
    # Any other character is stored as sent.
    customer["name"] = "Ada \u2603"
    created = await concierge.graphql(CREATE_CUSTOMER, {"input": customer}, property=shop)
    assert created.ok()["createCustomer"]["errors"] == []


async def test_a_property_slug_with_a_nul_in_the_url_is_unknown(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    await concierge.property(tenant, "acme-shop")
    response = await concierge.client.post(
        "/graphql/acme-shop%00",
        json={"query": "{ __typename }"},
        headers={"authorization": f"Bearer {concierge.token(tenant)}",
                 "accept": GRAPHQL_RESPONSE_JSON},
    )  # fmt: skip
    assert response.status_code == 404, response.text
    assert response.json()["errors"][0]["extensions"] == {"code": "PROPERTY_NOT_FOUND"}
