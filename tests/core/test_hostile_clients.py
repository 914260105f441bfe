"""Hostile clients are refused cheaply: documents built to make validation or execution
explode (fragment bombs, a field repeated a thousand times, pages inside pages), bodies
too large to hold and bodies that trickle in. Each gets a clear error, and the richest
page a real screen asks for still passes.

The two timing bounds below are generous on purpose: seconds, where the unguarded
server spent 0.4 s validating a 16-level fragment bomb and each level doubles it (the
40 levels below: months). How fast the refusals are is measured by
`python -m benchmarks.hostile`, not here.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from typing import Any

import orjson
from orders_store import CREATE_PRODUCT, INVENTORY, ORDER_FIELDS, ORDERS, RECEIVE, Store

from core.config import Settings
from core.graphql.http import GRAPHQL_RESPONSE_JSON
from core.testing import ConciergeTestKit, GraphQLResult

ACCEPT = {"accept": GRAPHQL_RESPONSE_JSON}


async def shop_with_orders(concierge: ConciergeTestKit) -> Store:
    tenant = await concierge.tenant("acme")
    prop = await concierge.property(tenant, "acme-shop", plugins=[INVENTORY, ORDERS])
    store = Store(concierge, tenant, prop, True)
    product = {"name": "Soap", "variants": [{"sku": "SOAP", "price": "6.50"}]}
    assert (await store.request(CREATE_PRODUCT, {"input": product})).ok()
    received = {"sku": "SOAP", "location": "MAIN", "quantity": 50}
    assert (await store.request(RECEIVE, {"input": received})).ok()
    for number in range(3):
        await store.place(f"o-{number}", ("SOAP", 1))
    return store


def refused_as_too_complex(result: GraphQLResult) -> str:
    assert result.status == 400, result.body
    assert "data" not in result.body
    [error] = result.errors
    assert error["extensions"]["code"] == "QUERY_TOO_COMPLEX", error
    return error["message"]


def fragment_bomb(levels: int) -> str:
    """Each fragment spreads the next twice: 2^levels selections from ~8 tokens a level."""
    fragments = [
        f"fragment F{level} on Query {{ ...F{level + 1} ...F{level + 1} }}"
        for level in range(levels)
    ]
    fragments.append(f"fragment F{levels} on Query {{ currentProperty {{ name }} }}")
    return "query Bomb { ...F0 }\n" + "\n".join(fragments)


async def test_a_fragment_bomb_is_refused_before_anything_walks_it(
    concierge: ConciergeTestKit,
) -> None:
    store = await shop_with_orders(concierge)
    started = time.monotonic()
    result = await concierge.graphql(fragment_bomb(40), property=store.prop)
    elapsed = time.monotonic() - started
    message = refused_as_too_complex(result)
    assert "'currentProperty' is selected 1,099,511,627,776 times" in message
    assert elapsed < 2, f"{elapsed:.1f} s to refuse a fragment bomb"
    # The same shape at a size a real screen uses is served.
    small = await concierge.graphql(fragment_bomb(3), property=store.prop)
    assert small.status == 200 and small.body["data"] == {"currentProperty": {"name": "Acme Shop"}}


async def test_one_field_repeated_a_thousand_times_is_refused(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    store = await shop_with_orders(concierge)
    repeats = concierge_settings.limits.max_field_repeats
    started = time.monotonic()
    wide = await concierge.graphql(
        "{ " + "currentProperty { name } " * 1000 + "}", property=store.prop
    )
    elapsed = time.monotonic() - started
    message = refused_as_too_complex(wide)
    assert f"selected 1,000 times in one selection set; at most {repeats} are accepted" in message
    assert elapsed < 2, f"{elapsed:.1f} s to refuse a wide query"
    # Repeats through fragments count too: a screen's fragments may share a field, within reason.
    at_limit = await concierge.graphql(
        "{ " + "...on Query { currentProperty { name } } " * repeats + "}", property=store.prop
    )
    assert at_limit.status == 200, at_limit.body
    over = await concierge.graphql(
        "{ " + "...on Query { currentProperty { name } } " * (repeats + 1) + "}",
        property=store.prop,
    )
    refused_as_too_complex(over)


NESTED_PAGES = """
query Nested($outer: Int, $inner: Int) {
  orders(first: $outer) { edges { node { number customer {
    orders(first: $inner) { edges { node { number lines { sku quantity } } } }
  } } } }
}
"""


async def test_pages_inside_pages_are_refused_by_their_size_and_small_ones_served(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    store = await shop_with_orders(concierge)
    # 100 orders, each with its customer's 100 orders and their lines: ~10,000 orders.
    big = await concierge.graphql(NESTED_PAGES, {"outer": 100, "inner": 100}, property=store.prop)
    message = refused_as_too_complex(big)
    assert f"at most {concierge_settings.limits.max_cost:,} are accepted" in message
    assert big.errors[0]["extensions"]["cost"] > concierge_settings.limits.max_cost
    # The page sizes written into the document count the same as variables.
    inline = NESTED_PAGES.replace("($outer: Int, $inner: Int)", "")
    inline = inline.replace("$outer", "100").replace("$inner", "100")
    refused_as_too_complex(await concierge.graphql(inline, property=store.prop))
    # Without a page size a connection counts its default page.
    small = await concierge.graphql(NESTED_PAGES, {"outer": 5, "inner": None}, property=store.prop)
    assert small.status == 200, small.body
    edges = small.body["data"]["orders"]["edges"]
    assert len(edges) == 3
    assert all(len(e["node"]["customer"]["orders"]["edges"]) == 3 for e in edges)
    bare = await concierge.graphql("{ orders { edges { node { number } } } }", property=store.prop)
    assert bare.status == 200 and len(bare.body["data"]["orders"]["edges"]) == 3, bare.body


async def test_the_richest_orders_page_a_screen_asks_for_is_served(
    concierge: ConciergeTestKit,
) -> None:
    store = await shop_with_orders(concierge)
    page = await concierge.graphql(
        f"{{ orders(first: 100) {{ totalCount edges {{ cursor node {{ {ORDER_FIELDS} }} }}"
        " pageInfo { hasNextPage endCursor } } }",
        property=store.prop,
    )
    assert page.status == 200 and "errors" not in page.body, page.body
    assert page.body["data"]["orders"]["totalCount"] == 3


async def test_a_body_larger_than_the_limit_is_413_whether_declared_or_streamed(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    store = await shop_with_orders(concierge)
    limit = concierge_settings.max_body_bytes
    path = f"/graphql/{store.prop.slug}"
    headers = {**ACCEPT, "authorization": f"Bearer {concierge.token(store.tenant)}"}
    # A real mutation padded past the limit: refused before it runs.
    note = {"order": "x", "note": "n" * (limit + 1)}
    body = orjson.dumps(
        {"query": store.mutation_document("addOrderNote"), "variables": {"input": note}}
    )
    declared = await concierge.client.post(
        path, content=body, headers={**headers, "content-type": "application/json"}
    )

    async def chunks() -> AsyncIterator[bytes]:
        for start in range(0, len(body), 64 * 1024):
            yield body[start : start + 64 * 1024]

    # No Content-Length (chunked): counted as it arrives.
    streamed = await concierge.client.post(
        path, content=chunks(), headers={**headers, "content-type": "application/json"}
    )
    for response in (declared, streamed):
        assert response.status_code == 413, response.text
        assert response.json()["errors"][0]["extensions"]["code"] == "PAYLOAD_TOO_LARGE"
        assert f"{limit:,} bytes" in response.json()["errors"][0]["message"]
    assert "content-length" not in streamed.request.headers
    # A body just under the limit is read and answered.
    padded = {"query": "{ currentProperty { name } }", "extensions": {"pad": "p" * (limit - 100)}}
    fits = await concierge.client.post(path, json=padded, headers=headers)
    assert fits.status_code == 200, fits.text
    assert fits.json() == {"data": {"currentProperty": {"name": "Acme Shop"}}}


async def test_a_body_that_trickles_in_is_408_and_holds_nothing(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    store = await shop_with_orders(concierge)
    settings = concierge_settings.with_overrides(body_timeout_seconds=1)

    async def trickle() -> AsyncIterator[bytes]:
        yield b'{"query": "{ currentProperty '
        await asyncio.sleep(5)
        yield b'{ name } }"}'

    headers: dict[str, Any] = {
        **ACCEPT,
        "content-type": "application/json",
        "authorization": f"Bearer {concierge.token(store.tenant)}",
    }
    async with concierge.client_with(settings) as client:
        started = time.monotonic()
        response = await client.post(
            f"/graphql/{store.prop.slug}", content=trickle(), headers=headers
        )
        elapsed = time.monotonic() - started
        # A whole body in time on the same app is answered.
        prompt = await client.post(
            f"/graphql/{store.prop.slug}",
            json={"query": "{ currentProperty { name } }"},
            headers=headers,
        )
    assert response.status_code == 408, response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "REQUEST_TIMEOUT"
    assert 1 <= elapsed < 4
    assert prompt.status_code == 200
