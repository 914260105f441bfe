from core.testing import ConciergeTestKit


async def test_account_endpoint_answers_typename(concierge: ConciergeTestKit) -> None:
    result = await concierge.graphql("{ __typename }")
    assert result.ok() == {"__typename": "AccountQuery"}


async def test_property_with_notes_plugin_lists_seeded_note(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    result = await concierge.graphql(
        "{ notes { totalCount edges { node { text } } } }", property=shop
    )
    assert result.ok()["notes"]["edges"][0]["node"]["text"] == "Welcome"
