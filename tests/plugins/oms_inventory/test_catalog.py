"""The catalog over GraphQL: products, variants, SKUs unique in the tenant, prices, search."""

from __future__ import annotations

from typing import Any

VARIANTS = """
query($filter: VariantFilter, $first: Int) {
  variants(filter: $filter, first: $first) {
    totalCount
    edges { node { sku name barcode price { amount currency } active product { name } } }
  }
}
"""

PRODUCTS = """
query($filter: ProductFilter) {
  products(filter: $filter) { totalCount edges { node { name active variants { sku } } } }
}
"""


async def skus_found(shop: Any, **filter: Any) -> list[str]:
    data = await shop.query(VARIANTS, {"filter": filter})
    return [edge["node"]["sku"] for edge in data["variants"]["edges"]]


async def products_found(shop: Any, **filter: Any) -> list[str]:
    data = await shop.query(PRODUCTS, {"filter": filter})
    return [edge["node"]["name"] for edge in data["products"]["edges"]]


async def test_create_product_with_variants_priced_in_the_property_currency(shop: Any) -> None:
    payload = await shop.ok(
        "createProduct",
        {
            "name": "  Linen tote ",
            "description": "Undyed linen",
            "variants": [
                {"sku": "TOTE-N", "price": "24", "name": "Linen tote, natural",
                 "attributes": [{"name": "colour", "value": "natural"}]},
                {"sku": "TOTE-S", "price": "24.5", "barcode": "4006381333931"},
            ],
        },
    )  # fmt: skip

    product = payload["product"]
    assert product["name"] == "Linen tote"
    assert product["description"] == "Undyed linen"
    assert product["active"] is True
    assert [
        (v["sku"], v["name"], v["price"], v["barcode"], v["attributes"], v["active"])
        for v in product["variants"]
    ] == [
        ("TOTE-N", "Linen tote, natural", {"amount": "24.00", "currency": "EUR"}, None,
         [{"name": "colour", "value": "natural"}], True),
        ("TOTE-S", "Linen tote", {"amount": "24.50", "currency": "EUR"}, "4006381333931", [],
         True),
    ]  # fmt: skip
    # A new product has no stock anywhere until something is received.
    data = await shop.query(
        '{ variants(filter: {sku: "TOTE-N"}) { edges { node { available stock { onHand } } } } }'
    )
    assert data["variants"]["edges"] == [{"node": {"available": 0, "stock": []}}]
    await shop.check_ledger()


async def test_prices_follow_the_currency_of_the_property(make_shop: Any) -> None:
    tokyo = await make_shop("tokyo-shop", currency="JPY")

    product = await tokyo.product("Matcha", ("MATCHA-1", "1200"))
    assert product["variants"][0]["price"] == {"amount": "1200", "currency": "JPY"}

    # The yen has no minor unit: a fraction is more precision than it has.
    snapshot = await tokyo.snapshot()
    error = await tokyo.fails(
        "createProduct",
        {"name": "Sencha", "variants": [{"sku": "SENCHA-1", "price": "12.5"}]},
        "INVALID_INPUT",
    )
    assert error["field"] == ["variants", "0", "price"]
    assert await tokyo.snapshot() == snapshot
    await tokyo.check_ledger()


async def test_a_price_with_too_many_decimals_is_invalid_and_creates_nothing(shop: Any) -> None:
    snapshot = await shop.snapshot()

    error = await shop.fails(
        "createProduct",
        {
            "name": "Soap",
            "variants": [{"sku": "SOAP-1", "price": "6.50"}, {"sku": "SOAP-2", "price": "6.505"}],
        },
        "INVALID_INPUT",
    )

    assert error["field"] == ["variants", "1", "price"]
    assert "2 decimal places" in error["message"]
    # The first, valid variant was not kept either: all or nothing.
    assert await shop.snapshot() == snapshot
    assert await skus_found(shop) == []

    negative = await shop.fails(
        "createProduct",
        {"name": "Soap", "variants": [{"sku": "SOAP-1", "price": "-1"}]},
        "INVALID_INPUT",
    )
    assert negative["field"] == ["variants", "0", "price"]
    assert await shop.snapshot() == snapshot
    await shop.check_ledger()


async def test_bad_product_input_is_invalid(shop: Any) -> None:
    snapshot = await shop.snapshot()
    cases = [
        ({"name": "  ", "variants": [{"sku": "A-1", "price": "1"}]}, ["name"]),
        ({"name": "Nothing", "variants": []}, ["variants"]),
        ({"name": "Bad SKU", "variants": [{"sku": "has space", "price": "1"}]},
         ["variants", "0", "sku"]),
        ({"name": "Bad SKU", "variants": [{"sku": "-dash-first", "price": "1"}]},
         ["variants", "0", "sku"]),
        ({"name": "Long SKU", "variants": [{"sku": "X" * 65, "price": "1"}]},
         ["variants", "0", "sku"]),
    ]  # fmt: skip
    for input, field in cases:
        error = await shop.fails("createProduct", input, "INVALID_INPUT")
        assert error["field"] == field, (input, error)
    assert await shop.snapshot() == snapshot
    await shop.check_ledger()


async def test_a_duplicate_sku_in_the_tenant_is_refused_and_nothing_is_created(
    make_shop: Any,
) -> None:
    shop = await make_shop("acme-shop")
    await shop.product("Soap", ("SOAP-1", "6.50"))
    snapshot = await shop.snapshot()

    error = await shop.fails(
        "createProduct",
        {
            "name": "Soap deluxe",
            "variants": [{"sku": "SOAP-DLX", "price": "9"}, {"sku": " SOAP-1 ", "price": "9"}],
        },
        "DUPLICATE_SKU",
    )

    assert error["field"] == ["variants", "1", "sku"]
    assert error["sku"] == "SOAP-1"
    assert await shop.snapshot() == snapshot
    assert await skus_found(shop) == ["SOAP-1"]
    assert await products_found(shop) == ["Soap"]

    # The catalog belongs to the tenant: its other shop cannot reuse the SKU either...
    outlet = await make_shop("acme-outlet", tenant=shop.tenant)
    await outlet.fails(
        "createProduct",
        {"name": "Soap", "variants": [{"sku": "SOAP-1", "price": "5"}]},
        "DUPLICATE_SKU",
    )
    assert await skus_found(outlet) == ["SOAP-1"]
    # ...while another tenant has a catalog of its own.
    other = await make_shop("globex-shop")
    product = await other.product("Their soap", ("SOAP-1", "3"))
    assert product["variants"][0]["sku"] == "SOAP-1"
    assert await skus_found(shop) == ["SOAP-1"]
    assert await products_found(shop) == ["Soap"]
    assert await shop.snapshot() == snapshot
    await shop.check_ledger()
    await other.check_ledger()


async def test_a_duplicate_sku_inside_one_request_is_refused(shop: Any) -> None:
    snapshot = await shop.snapshot()

    error = await shop.fails(
        "createProduct",
        {
            "name": "Twins",
            "variants": [
                {"sku": "TWIN-1", "price": "1"},
                {"sku": "TWIN-2", "price": "1"},
                {"sku": "TWIN-1", "price": "2"},
            ],
        },
        "DUPLICATE_SKU",
    )

    assert error["field"] == ["variants", "2", "sku"]
    assert error["sku"] == "TWIN-1"
    assert await shop.snapshot() == snapshot
    await shop.check_ledger()


async def test_search_variants_by_sku_name_or_barcode(shop: Any) -> None:
    await shop.product("Sea salt soap", ("SOAP-SEA", "6.50", "4006381333931"))
    await shop.product("Lavender soap", ("SOAP-LAV", "6.50", "4006381333948"))
    await shop.product("Espresso beans", ("BEANS-250", "12.90", "5012345678900"))

    assert await skus_found(shop, search="soap-") == ["SOAP-LAV", "SOAP-SEA"]
    assert await skus_found(shop, search="lavender") == ["SOAP-LAV"]
    assert await skus_found(shop, search="SEA SALT") == ["SOAP-SEA"]
    assert await skus_found(shop, search="333948") == ["SOAP-LAV"]
    assert await skus_found(shop, search="beans") == ["BEANS-250"]
    assert await skus_found(shop, search="nothing like it") == []
    # Exact filters, and the list is sorted by SKU.
    assert await skus_found(shop, sku="SOAP-SEA") == ["SOAP-SEA"]
    assert await skus_found(shop, sku="SOAP") == []
    assert await skus_found(shop, barcode="5012345678900") == ["BEANS-250"]
    assert await skus_found(shop) == ["BEANS-250", "SOAP-LAV", "SOAP-SEA"]
    data = await shop.query(VARIANTS, {"filter": {"search": "soap"}, "first": 1})
    assert data["variants"]["totalCount"] == 2
    assert len(data["variants"]["edges"]) == 1

    # Products match on their own name or on any of their variants.
    assert await products_found(shop, search="soap") == ["Lavender soap", "Sea salt soap"]
    assert await products_found(shop, search="BEANS-2") == ["Espresso beans"]
    assert await products_found(shop, search="4006381333931") == ["Sea salt soap"]
    assert await products_found(shop) == ["Espresso beans", "Lavender soap", "Sea salt soap"]
    await shop.check_ledger()


async def test_update_variant(shop: Any) -> None:
    await shop.product("Soap", ("SOAP-1", "6.50", "111"))

    payload = await shop.ok(
        "updateVariant",
        {
            "sku": "SOAP-1",
            "name": "Sea salt soap, 100 g",
            "price": "7.2",
            "barcode": "4006381333931",
            "attributes": [{"name": "weight", "value": "100 g"}],
        },
    )

    variant = payload["variant"]
    assert variant["name"] == "Sea salt soap, 100 g"
    assert variant["price"] == {"amount": "7.20", "currency": "EUR"}
    assert variant["barcode"] == "4006381333931"
    assert variant["attributes"] == [{"name": "weight", "value": "100 g"}]
    assert await skus_found(shop, barcode="4006381333931") == ["SOAP-1"]
    assert await skus_found(shop, barcode="111") == []

    # Fields left out stay; an empty barcode clears it.
    payload = await shop.ok("updateVariant", {"sku": "SOAP-1", "barcode": ""})
    assert payload["variant"]["barcode"] is None
    assert payload["variant"]["name"] == "Sea salt soap, 100 g"
    assert payload["variant"]["price"]["amount"] == "7.20"

    snapshot = await shop.snapshot()
    error = await shop.fails("updateVariant", {"sku": "SOAP-1", "price": "7.255"}, "INVALID_INPUT")
    assert error["field"] == ["price"]
    error = await shop.fails("updateVariant", {"sku": "SOAP-1", "name": " "}, "INVALID_INPUT")
    assert error["field"] == ["name"]
    error = await shop.fails("updateVariant", {"sku": "NOPE", "name": "x"}, "NOT_FOUND")
    assert error["field"] == ["sku"]
    assert await shop.snapshot() == snapshot
    await shop.check_ledger()


async def test_an_inactive_variant_is_listed_but_cannot_be_sold(shop: Any) -> None:
    await shop.product("Soap", ("SOAP-1", "6.50"), ("SOAP-2", "6.50"))
    await shop.receive("SOAP-1", 5)

    payload = await shop.ok("updateVariant", {"sku": "SOAP-1", "active": False})

    assert payload["variant"]["active"] is False
    assert await skus_found(shop, active=False) == ["SOAP-1"]
    assert await skus_found(shop, active=True) == ["SOAP-2"]
    result = await shop.allocate("ORDER-1", ("SOAP-1", 1))
    assert [e["code"] for e in result["errors"]] == ["NOT_FOUND"]
    # It can still be counted and received.
    await shop.receive("SOAP-1", 1)
    assert (await shop.level("SOAP-1"))["onHand"] == 6
    await shop.check_ledger()


async def test_add_variant_to_a_product(shop: Any) -> None:
    product = await shop.product("Tote", ("TOTE-N", "24"))

    payload = await shop.ok(
        "addVariant",
        {"product": product["id"], "variant": {"sku": "TOTE-S", "price": "26.5", "name": "Tote S"}},
    )

    assert payload["variant"]["sku"] == "TOTE-S"
    assert payload["variant"]["price"] == {"amount": "26.50", "currency": "EUR"}
    assert payload["variant"]["product"] == {"id": product["id"], "name": "Tote"}
    data = await shop.query(PRODUCTS, {"filter": {"search": "tote"}})
    assert data["products"]["edges"] == [
        {
            "node": {
                "name": "Tote",
                "active": True,
                "variants": [{"sku": "TOTE-N"}, {"sku": "TOTE-S"}],
            }
        }
    ]

    snapshot = await shop.snapshot()
    error = await shop.fails(
        "addVariant",
        {"product": product["id"], "variant": {"sku": "TOTE-N", "price": "1"}},
        "DUPLICATE_SKU",
    )
    assert error["field"] == ["sku"]
    assert error["sku"] == "TOTE-N"
    error = await shop.fails(
        "addVariant",
        {"product": product["id"], "variant": {"sku": "TOTE-L", "price": "1.001"}},
        "INVALID_INPUT",
    )
    assert error["field"] == ["price"]
    # A product id of another type, or one that does not exist, is not found.
    variant_id = payload["variant"]["id"]
    for missing in (variant_id, "UHJvZHVjdDo5OTk=", "not an id"):
        error = await shop.fails(
            "addVariant",
            {"product": missing, "variant": {"sku": "TOTE-L", "price": "1"}},
            "NOT_FOUND",
        )
        assert error["field"] == ["product"]
    assert await shop.snapshot() == snapshot
    await shop.check_ledger()


async def test_products_of_another_tenant_cannot_be_extended(make_shop: Any) -> None:
    shop = await make_shop("acme-shop")
    other = await make_shop("globex-shop")
    theirs = await other.product("Their tote", ("THEIR-1", "1"))
    snapshot = await other.snapshot()

    error = await shop.fails(
        "addVariant",
        {"product": theirs["id"], "variant": {"sku": "MINE-1", "price": "1"}},
        "NOT_FOUND",
    )

    assert error["field"] == ["product"]
    assert await other.snapshot() == snapshot
    assert await skus_found(shop) == []
    await shop.check_ledger()


async def test_search_text_is_literal_not_a_pattern(shop: Any) -> None:
    await shop.product("Soap", ("SOAP_1", "1"), ("SOAPX1", "1"))
    await shop.product("100% linen tote", ("TOTE-1", "1"))
    await shop.product("1000 g beans", ("BEANS-1", "1"))

    assert await skus_found(shop, search="soap_") == ["SOAP_1"]
    assert await skus_found(shop, search="_") == ["SOAP_1"]
    assert await skus_found(shop, search="100%") == ["TOTE-1"]
    assert await products_found(shop, search="100%") == ["100% linen tote"]
    assert await products_found(shop, search="%") == ["100% linen tote"]
    await shop.check_ledger()


async def test_variants_page_by_sku(shop: Any) -> None:
    await shop.product("Many", *((f"SKU-{n}", "1") for n in (5, 3, 1, 4, 2)))

    seen: list[str] = []
    after = None
    while True:
        data = await shop.query(
            "query($after: String) { variants(first: 2, after: $after) { totalCount"
            " edges { node { sku } } pageInfo { hasNextPage endCursor } } }",
            {"after": after},
        )
        page = data["variants"]
        assert page["totalCount"] == 5
        assert len(page["edges"]) <= 2
        seen.extend(edge["node"]["sku"] for edge in page["edges"])
        if not page["pageInfo"]["hasNextPage"]:
            break
        after = page["pageInfo"]["endCursor"]

    assert seen == ["SKU-1", "SKU-2", "SKU-3", "SKU-4", "SKU-5"]
    await shop.check_ledger()
