"""The HTTP layer in production mode: no introspection, no IDE, no field suggestions."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from core.config import Settings
from core.graphql.http import GRAPHQL_RESPONSE_JSON, JSON
from core.testing import ConciergeTestKit, PropertyRef

INTROSPECTION_QUERIES = [
    "{ __schema { types { name } } }",
    '{ __type(name: "Query") { name fields { name } } }',
    "query IntrospectionQuery { __schema { queryType { name } } }",
    "{ __typename ... { __schema { types { name } } } }",
]

MISSPELT_QUERIES = [
    "{ currentProprty { name } }",
    "{ currentProperty { nme } }",
    "{ notes(frist: 1) { totalCount } }",
    '{ node(id: "x") { ... on Nte { id } } }',
]


@pytest.fixture
async def production_client(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> AsyncIterator[httpx.AsyncClient]:
    settings = concierge_settings.with_overrides(production=True)
    settings.check_production_ready()
    async with concierge.client_with(settings) as client:
        yield client


@pytest.fixture
async def shop(concierge: ConciergeTestKit) -> PropertyRef:
    tenant = await concierge.tenant("acme")
    return await concierge.property(tenant, "acme-shop", plugins=["test_notes"])


async def _post(
    client: httpx.AsyncClient,
    path: str,
    query: str,
    *,
    token: str | None = None,
    accept: str = GRAPHQL_RESPONSE_JSON,
) -> httpx.Response:
    headers = {"accept": accept}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return await client.post(path, json={"query": query}, headers=headers)


async def test_production_app_still_answers_typename_and_health(
    production_client: httpx.AsyncClient,
) -> None:
    response = await _post(production_client, "/graphql", "{ __typename }")
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "AccountQuery"}}
    assert (await production_client.get("/healthz")).json() == {"status": "ok"}


@pytest.mark.parametrize("query", INTROSPECTION_QUERIES)
async def test_introspection_is_rejected_in_production(
    production_client: httpx.AsyncClient,
    concierge: ConciergeTestKit,
    shop: PropertyRef,
    query: str,
) -> None:
    token = concierge.token(shop.tenant_id)
    for path in ("/graphql", f"/graphql/{shop.slug}"):
        response = await _post(production_client, path, query, token=token)
        assert response.status_code == 400, (path, response.text)
        body = response.json()
        assert "data" not in body
        assert "introspection" in body["errors"][0]["message"].lower()

        # With application/json the request is refused all the same (200, errors, no data).
        legacy = await _post(production_client, path, query, token=token, accept=JSON)
        assert legacy.status_code == 200
        assert legacy.json().get("data") is None
        assert "introspection" in legacy.json()["errors"][0]["message"].lower()


@pytest.mark.parametrize("query", INTROSPECTION_QUERIES[:2])
async def test_introspection_is_allowed_in_development(
    concierge_client: httpx.AsyncClient, query: str
) -> None:
    response = await _post(concierge_client, "/graphql", query)
    assert response.status_code == 200
    assert response.json()["data"]


@pytest.mark.parametrize("query", MISSPELT_QUERIES)
async def test_misspelt_names_get_no_suggestions_in_production(
    production_client: httpx.AsyncClient,
    concierge_client: httpx.AsyncClient,
    concierge: ConciergeTestKit,
    shop: PropertyRef,
    query: str,
) -> None:
    token = concierge.token(shop.tenant_id)
    path = f"/graphql/{shop.slug}"

    # Development suggests the right name (so the production check below means something).
    development = await _post(concierge_client, path, query, token=token)
    assert development.status_code == 400
    assert "Did you mean" in development.text

    production = await _post(production_client, path, query, token=token)
    assert production.status_code == 400
    body = production.json()
    assert "data" not in body
    assert body["errors"], body
    assert "Did you mean" not in production.text
    for error in body["errors"]:
        assert error["message"].strip()

    # A second request (validation is cached) is no different.
    again = await _post(production_client, path, query, token=token)
    assert again.status_code == 400
    assert "Did you mean" not in again.text


@pytest.mark.parametrize(
    "accept",
    ["text/html", "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "*/*"],
)
@pytest.mark.parametrize("path", ["/graphql", "/graphql/acme-shop"])
async def test_graphiql_is_not_served_in_production(
    production_client: httpx.AsyncClient, accept: str, path: str
) -> None:
    response = await production_client.get(path, headers={"accept": accept})
    assert response.status_code != 200
    assert response.status_code in (400, 401, 404, 406)
    assert not response.headers.get("content-type", "").startswith("text/html")
    assert "graphiql" not in response.text.lower()
    assert response.headers.get("x-request-id")


async def test_errors_are_masked_in_production(
    production_client: httpx.AsyncClient, concierge: ConciergeTestKit, shop: PropertyRef
) -> None:
    response = await _post(
        production_client,
        f"/graphql/{shop.slug}",
        "{ explode }",
        token=concierge.token(shop.tenant_id),
    )
    body = response.json()
    assert [e["message"] for e in body["errors"]] == ["Unexpected error."]
    assert "secret internals" not in response.text
    assert "Traceback" not in response.text
