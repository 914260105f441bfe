"""Public order tracking: a storefront with a publishable key finds an order by its number
and e-mail, sees its status, lines and shipments, and nothing else; a wrong guess of
either answers exactly like a missing order."""

from __future__ import annotations

from typing import Any

from orders_store import ORDERS, Store, mutation_document

from core.testing import ConciergeTestKit, GraphQLResult

CREATE_PUBLISHABLE_KEY = (
    "mutation($property: String!) { createApiKey(input: {property: $property,"
    ' name: "storefront", kind: PUBLISHABLE, permissions: []}) { secret errors { code } } }'
)
TRACK = """
query($number: String!, $email: String!) {
  trackOrder(number: $number, email: $email) {
    number status placedAt total { amount currency }
    lines { sku name quantity }
    shipments {
      number status carrier trackingNumber trackingUrl shippedAt deliveredAt
      lines { sku name quantity }
    }
  }
}
"""


async def publishable_key(kit: ConciergeTestKit, store: Store) -> str:
    created = await kit.graphql(
        CREATE_PUBLISHABLE_KEY, {"property": store.prop.slug}, tenant=store.tenant
    )
    payload = created.ok()["createApiKey"]
    assert payload["errors"] == [] and payload["secret"].startswith("cnk_pk_"), payload
    return payload["secret"]


async def track(store: Store, key: str, number: str, email: str) -> GraphQLResult:
    return await store.request(TRACK, {"number": number, "email": email}, token=key)


async def tracked(store: Store, key: str, number: str, email: str) -> Any:
    return (await track(store, key, number, email)).ok()["trackOrder"]


def codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


async def test_a_customer_follows_an_order_from_placed_to_delivered(
    concierge: ConciergeTestKit, store: Store
) -> None:
    key = await publishable_key(concierge, store)
    order = await store.place(
        "k1", ("SOAP", 2), ("TOTE", 1), email="Ada.Lovelace@Example.com", confirm=True
    )
    number = order["number"]

    placed = await tracked(store, key, number, "ada.lovelace@example.com")
    assert placed == {
        "number": number,
        "status": "CONFIRMED",
        "placedAt": order["placedAt"],
        "total": {"amount": "37.00", "currency": "EUR"},
        "lines": [
            {"sku": "SOAP", "name": "Soap", "quantity": 2},
            {"sku": "TOTE", "name": "Tote", "quantity": 1},
        ],
        "shipments": [],
    }

    first = await store.ok(
        "fulfillOrder",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 2}], "location": "MAIN",
         "carrier": "DHL", "trackingNumber": "JD0001", "trackingUrl": "https://dhl.example/JD0001"},
    )  # fmt: skip
    shipped = await tracked(store, key, number, "ada.lovelace@example.com")
    assert shipped["status"] == "PARTIALLY_FULFILLED"
    assert shipped["shipments"] == [
        {
            "number": 1, "status": "SHIPPED", "carrier": "DHL", "trackingNumber": "JD0001",
            "trackingUrl": "https://dhl.example/JD0001", "shippedAt": shipped["placedAt"],
            "deliveredAt": None, "lines": [{"sku": "SOAP", "name": "Soap", "quantity": 2}],
        }
    ]  # fmt: skip

    await store.ok(
        "updateFulfillmentTracking",
        {"fulfillment": first["fulfillment"]["id"], "carrier": "UPS", "trackingNumber": "1Z9"},
    )
    await store.ok("markFulfillmentDelivered", {"fulfillment": first["fulfillment"]["id"]})
    await store.ok(
        "fulfillOrder",
        {"order": order["id"], "location": "MAIN", "carrier": "GLS", "trackingNumber": "G-7"},
    )
    done = await tracked(store, key, number, "ada.lovelace@example.com")
    assert done["status"] == "FULFILLED"
    assert [
        (s["number"], s["status"], s["carrier"], s["trackingNumber"], s["lines"])
        for s in done["shipments"]
    ] == [
        (1, "DELIVERED", "UPS", "1Z9", [{"sku": "SOAP", "name": "Soap", "quantity": 2}]),
        (2, "SHIPPED", "GLS", "G-7", [{"sku": "TOTE", "name": "Tote", "quantity": 1}]),
    ]
    assert done["shipments"][0]["deliveredAt"] is not None


async def test_the_email_matches_whatever_its_case_and_spacing(
    concierge: ConciergeTestKit, store: Store
) -> None:
    key = await publishable_key(concierge, store)
    order = await store.place("k1", ("SOAP", 1), email="Ada.Lovelace@Example.com")
    for email in (
        "ada.lovelace@example.com",
        "ADA.LOVELACE@EXAMPLE.COM",
        "  Ada.Lovelace@example.COM ",
    ):
        found = await tracked(store, key, order["number"], email)
        assert found is not None and found["number"] == order["number"], email
    found = await tracked(store, key, f" {order['number']} ", "ada.lovelace@example.com")
    assert found is not None


async def test_wrong_guesses_and_other_shops_orders_all_answer_null(
    concierge: ConciergeTestKit, store: Store, make_store: Any
) -> None:
    key = await publishable_key(concierge, store)
    order = await store.place("k1", ("SOAP", 1), email="ada@example.com")
    assert order["number"] == "1001"
    # Another tenant's shop numbers its orders the same way: its 1001 is Bob's.
    globex = await make_store("globex-shop")
    theirs = await globex.place("k1", ("SOAP", 1), email="bob@example.com")
    assert theirs["number"] == "1001"
    # And a sibling shop of the same tenant (no catalog of its own needed).
    outlet = Store(
        concierge, store.tenant,
        await concierge.property(store.tenant, "acme-outlet", plugins=[ORDERS]), False,
    )  # fmt: skip
    sibling = await outlet.place("k1", ("MUG", 1, "5.00"), email="cy@example.com")
    assert sibling["number"] == "1001"

    before = await store.snapshot()
    answers = []
    for number, email in (
        ("1001", "eve@example.com"),  # wrong e-mail
        ("1002", "ada@example.com"),  # wrong number
        ("1001", "bob@example.com"),  # the other tenant's order
        ("1001", "cy@example.com"),  # the sibling shop's order
        ("", "ada@example.com"),
        ("1001", ""),
        ("100%", "ada@example.com"),
        ("1001", "%@example.com"),
        ("1" * 41, "ada@example.com"),
    ):
        result = await track(store, key, number, email)
        assert result.status == 200, (number, email, result.body)
        answers.append(result.body)
    assert all(body == {"data": {"trackOrder": None}} for body in answers), answers
    # A NUL, in the number or the e-mail, is refused before anything runs, as in any
    # request (tests/core/test_nul_strings.py): no more telling than a null.
    for number, email in (("1001", "ada@example.com\x00"), ("1001\x00", "ada@example.com")):
        refused = await track(store, key, number, email)
        assert refused.status == 400 and codes(refused) == ["BAD_REQUEST"], refused.body
    assert await store.snapshot() == before

    # Each shop finds its own order with its own key.
    assert (await tracked(store, key, "1001", "ada@example.com"))["number"] == "1001"
    bobs = await tracked(
        globex, await publishable_key(concierge, globex), "1001", "bob@example.com"
    )
    assert bobs["lines"] == [{"sku": "SOAP", "name": "Soap", "quantity": 1}]
    cys = await tracked(outlet, await publishable_key(concierge, outlet), "1001", "cy@example.com")
    assert cys["lines"] == [{"sku": "MUG", "name": "MUG", "quantity": 1}]


async def test_a_publishable_key_tracks_and_does_nothing_else(
    concierge: ConciergeTestKit, store: Store
) -> None:
    key = await publishable_key(concierge, store)
    order = await store.place("k1", ("SOAP", 1))
    before = await store.snapshot()

    for document, variables, field in (
        ("{ orders { totalCount } }", None, "orders"),
        ('{ orderByNumber(number: "1001") { email } }', None, "orderByNumber"),
        ("{ customers { totalCount } }", None, "customers"),
        ("{ orderSettings { nextNumber } }", None, "orderSettings"),
        ("query($id: ID!) { node(id: $id) { id ... on Order { email } } }", {"id": order["id"]},
         "node"),
        (
            mutation_document("placeOrder"),
            {"input": {"idempotencyKey": "pk-1", "email": "eve@example.com",
                       "lines": [{"sku": "SOAP", "quantity": 1}]}},
            "placeOrder",
        ),
        (mutation_document("cancelOrder"), {"input": {"order": order["id"]}}, "cancelOrder"),
    ):  # fmt: skip
        result = await store.request(document, variables, token=key)
        assert result.status == 200, result.body
        if field == "node":  # a node the caller may not read answers null, as a missing one
            assert result.ok() == {"node": None}
            continue
        assert codes(result) == ["FORBIDDEN"], (field, result.body)
        assert result.errors[0]["path"] == [field]
        assert result.data is None or result.data.get(field) is None
    assert await store.snapshot() == before


async def test_without_any_credential_the_endpoint_refuses(
    concierge: ConciergeTestKit, store: Store
) -> None:
    order = await store.place("k1", ("SOAP", 1))
    response = await concierge.client.post(
        f"/graphql/{store.prop.slug}",
        json={"query": TRACK, "variables": {"number": order["number"], "email": order["email"]}},
        headers={"accept": "application/graphql-response+json"},
    )
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert "data" not in body
    assert codes(GraphQLResult(401, body, response)) == ["UNAUTHENTICATED"]
    assert order["number"] not in response.text
