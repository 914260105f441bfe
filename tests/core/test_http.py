"""The HTTP layer as a client sees it: routes, media types, status codes, auth, limits.

Every test goes through the real ASGI app over httpx (no mocks) and asserts
what a client would notice: status codes, headers and response bodies.
"""

from __future__ import annotations

import base64
import datetime as dt
from dataclasses import replace
from typing import Any

import httpx
import jwt
import orjson
import pytest

from core.clock import MovableClock
from core.config import Settings
from core.graphql.http import GRAPHQL_RESPONSE_JSON, JSON
from core.plugins import PluginHost
from core.testing import ConciergeTestKit, PropertyRef, TenantRef
from core.tokens import issue_access_token

NOTES_PLUGIN = "test_notes"

ADD_NOTE = """
mutation Add($text: String!) {
  addNote(input: {text: $text}) {
    note { id text createdAt }
    errors { code field message maxLength }
  }
}
"""

NOTES_PAGE = """
query Page($first: Int, $after: String) {
  notes(first: $first, after: $after) {
    totalCount
    edges { cursor node { id text createdAt } }
    pageInfo { hasNextPage hasPreviousPage endCursor }
  }
}
"""

NOTES_COUNT = "{ notes { totalCount } }"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def global_id(type_name: str, pk: object) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def media_type(response: httpx.Response) -> str:
    return response.headers.get("content-type", "").split(";")[0].strip()


async def post_graphql(
    client: httpx.AsyncClient,
    path: str,
    body: Any,
    *,
    token: str | None = None,
    accept: str | None = GRAPHQL_RESPONSE_JSON,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    """POST ``body`` as JSON; ``accept=None`` sends no Accept header at all."""
    all_headers = {"content-type": JSON, **(headers or {})}
    if token is not None:
        all_headers.update(bearer(token))
    request = client.build_request("POST", path, content=orjson.dumps(body), headers=all_headers)
    if accept is None:
        del request.headers["accept"]  # httpx adds "Accept: */*" by default
    else:
        request.headers["accept"] = accept
    return await client.send(request)


async def shop_with_notes(
    kit: ConciergeTestKit, tenant_slug: str = "acme", shop_slug: str = "acme-shop"
) -> tuple[TenantRef, PropertyRef]:
    tenant = await kit.tenant(tenant_slug)
    shop = await kit.property(tenant, shop_slug, plugins=[NOTES_PLUGIN])
    return tenant, shop


async def add_note(kit: ConciergeTestKit, shop: PropertyRef, text: str) -> dict[str, Any]:
    result = await kit.graphql(ADD_NOTE, {"text": text}, property=shop)
    payload = result.ok()["addNote"]
    assert payload["errors"] == [], payload
    return payload["note"]


async def note_count(kit: ConciergeTestKit, shop: PropertyRef) -> int:
    return (await kit.graphql(NOTES_COUNT, property=shop)).ok()["notes"]["totalCount"]


def error_codes(body: dict[str, Any]) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in body.get("errors") or []]


# ---------------------------------------------------------------------------
# Routes and health
# ---------------------------------------------------------------------------


async def test_typename_on_account_endpoint_answers_200(
    concierge_client: httpx.AsyncClient,
) -> None:
    response = await post_graphql(concierge_client, "/graphql", {"query": "{ __typename }"})
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "AccountQuery"}}


async def test_healthz_answers_ok(concierge_client: httpx.AsyncClient) -> None:
    response = await concierge_client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


async def test_readyz_reports_database_ok(concierge_client: httpx.AsyncClient) -> None:
    response = await concierge_client.get("/readyz")
    assert response.status_code == 200
    assert response.json()["database"] == "ok"
    assert response.json()["status"] == "ok"


# ---------------------------------------------------------------------------
# Request ids
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("GET", "/healthz", {}, 200),
        ("GET", "/readyz", {}, 200),
        ("POST", "/graphql", {"json": {"query": "{ __typename }"}}, 200),
        ("POST", "/graphql", {"content": b"{not json", "headers": {"content-type": JSON}}, 400),
        ("POST", "/graphql", {"content": b"x", "headers": {"content-type": "text/plain"}}, 415),
        ("POST", "/graphql/acme-shop", {"json": {"query": "{ __typename }"}}, 401),
        ("GET", "/graphql", {"headers": {"accept": "text/csv"}}, 406),
        ("PUT", "/graphql", {}, 405),
        ("GET", "/nowhere", {}, 404),
    ],
)
async def test_every_response_carries_a_request_id(
    concierge_client: httpx.AsyncClient,
    method: str,
    path: str,
    kwargs: dict[str, Any],
    status: int,
) -> None:
    response = await concierge_client.request(method, path, **kwargs)
    assert response.status_code == status
    assert response.headers.get("x-request-id")


async def test_request_ids_differ_between_requests(concierge_client: httpx.AsyncClient) -> None:
    first = await concierge_client.get("/healthz")
    second = await concierge_client.get("/healthz")
    assert first.headers["x-request-id"] != second.headers["x-request-id"]


async def test_sane_incoming_request_id_is_echoed(concierge_client: httpx.AsyncClient) -> None:
    response = await post_graphql(
        concierge_client,
        "/graphql",
        {"query": "{ __typename }"},
        headers={"x-request-id": "req-2026-abc.123"},
    )
    assert response.status_code == 200
    assert response.headers.get_list("x-request-id") == ["req-2026-abc.123"]


async def test_oversized_incoming_request_id_is_replaced(
    concierge_client: httpx.AsyncClient,
) -> None:
    incoming = "x" * 500
    response = await concierge_client.get("/healthz", headers={"x-request-id": incoming})
    assert response.status_code == 200
    echoed = response.headers["x-request-id"]
    assert echoed and echoed != incoming
    assert len(echoed) <= 128


# ---------------------------------------------------------------------------
# Accept negotiation
# ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        (GRAPHQL_RESPONSE_JSON, GRAPHQL_RESPONSE_JSON),
        (JSON, JSON),
        (None, JSON),
        (f"{JSON};q=0.5, {GRAPHQL_RESPONSE_JSON}", GRAPHQL_RESPONSE_JSON),
        (f"{GRAPHQL_RESPONSE_JSON};q=0.2, {JSON}", JSON),
        ("*/*", GRAPHQL_RESPONSE_JSON),
    ],
)
async def test_accept_header_picks_response_media_type(
    concierge_client: httpx.AsyncClient, accept: str | None, expected: str
) -> None:
    response = await post_graphql(
        concierge_client, "/graphql", {"query": "{ __typename }"}, accept=accept
    )
    assert response.status_code == 200
    assert media_type(response) == expected
    assert response.json() == {"data": {"__typename": "AccountQuery"}}


async def test_unacceptable_accept_gets_406(concierge_client: httpx.AsyncClient) -> None:
    response = await post_graphql(
        concierge_client, "/graphql", {"query": "{ __typename }"}, accept="text/csv"
    )
    assert response.status_code == 406
    assert error_codes(response.json()) == ["NOT_ACCEPTABLE"]


async def test_accept_with_zero_quality_json_only_gets_406(
    concierge_client: httpx.AsyncClient,
) -> None:
    response = await post_graphql(
        concierge_client,
        "/graphql",
        {"query": "{ __typename }"},
        accept=f"{JSON};q=0, text/csv",
    )
    assert response.status_code == 406


# ---------------------------------------------------------------------------
# Request errors (before execution) vs field errors (during execution)
# ---------------------------------------------------------------------------


async def test_validation_error_with_graphql_response_json_is_400_without_data(
    concierge_client: httpx.AsyncClient,
) -> None:
    response = await post_graphql(
        concierge_client, "/graphql", {"query": "{ noSuchField }"}, accept=GRAPHQL_RESPONSE_JSON
    )
    assert response.status_code == 400
    assert media_type(response) == GRAPHQL_RESPONSE_JSON
    body = response.json()
    assert "data" not in body
    assert "noSuchField" in body["errors"][0]["message"]


async def test_validation_error_with_application_json_is_200_with_errors(
    concierge_client: httpx.AsyncClient,
) -> None:
    response = await post_graphql(
        concierge_client, "/graphql", {"query": "{ noSuchField }"}, accept=JSON
    )
    assert response.status_code == 200
    assert media_type(response) == JSON
    body = response.json()
    assert "noSuchField" in body["errors"][0]["message"]
    assert body.get("data") is None


async def test_syntax_error_with_graphql_response_json_is_400(
    concierge_client: httpx.AsyncClient,
) -> None:
    response = await post_graphql(concierge_client, "/graphql", {"query": "{ __typename "})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_variable_coercion_failure_is_a_request_error(
    concierge: ConciergeTestKit,
) -> None:
    # GraphQL-over-HTTP: a variable that fails coercion is a request error (400, no data).
    tenant, shop = await shop_with_notes(concierge)
    response = await post_graphql(
        concierge.client,
        f"/graphql/{shop.slug}",
        {"query": NOTES_PAGE, "variables": {"first": "two"}},
        token=concierge.token(tenant),
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "$first" in body["errors"][0]["message"]


async def test_field_error_after_execution_started_keeps_data_and_is_not_400(
    concierge: ConciergeTestKit,
) -> None:
    # An error raised while executing is not a request error: the "data" entry is
    # present (null here, the field being non-null) and the status is 2xx.
    tenant, shop = await shop_with_notes(concierge)
    response = await post_graphql(
        concierge.client,
        f"/graphql/{shop.slug}",
        {"query": "{ notes(first: 1000) { totalCount } }"},
        token=concierge.token(tenant),
    )
    assert response.status_code == 200
    body = response.json()
    assert "data" in body and body["data"] is None
    assert error_codes(body) == ["BAD_PAGE_SIZE"]
    assert body["errors"][0]["path"] == ["notes"]


# ---------------------------------------------------------------------------
# Malformed requests
# ---------------------------------------------------------------------------


async def test_malformed_json_body_is_400(concierge_client: httpx.AsyncClient) -> None:
    response = await concierge_client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"',
        headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400
    assert media_type(response) == GRAPHQL_RESPONSE_JSON
    assert "JSON" in response.json()["errors"][0]["message"]


@pytest.mark.parametrize("body", [b'"{ __typename }"', b"42", b"null", b"true"])
async def test_json_body_that_is_not_an_object_is_400(
    concierge_client: httpx.AsyncClient, body: bytes
) -> None:
    response = await concierge_client.post(
        "/graphql",
        content=body,
        headers={"content-type": JSON, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 400
    assert response.json()["errors"]


async def test_missing_query_is_400(concierge_client: httpx.AsyncClient) -> None:
    response = await post_graphql(concierge_client, "/graphql", {"variables": {}})
    assert response.status_code == 400
    assert response.json()["errors"]


@pytest.mark.parametrize(
    ("content_type", "content"),
    [
        ("text/plain", b'{"query": "{ __typename }"}'),
        ("application/x-www-form-urlencoded", b"query=%7B+__typename+%7D"),
        ("multipart/form-data; boundary=xyz", b"--xyz--\r\n"),
    ],
)
async def test_post_with_non_json_content_type_is_415(
    concierge_client: httpx.AsyncClient, content_type: str, content: bytes
) -> None:
    response = await concierge_client.post(
        "/graphql",
        content=content,
        headers={"content-type": content_type, "accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 415
    assert error_codes(response.json()) == ["UNSUPPORTED_MEDIA_TYPE"]


async def test_post_json_with_charset_parameter_is_accepted(
    concierge_client: httpx.AsyncClient,
) -> None:
    response = await concierge_client.post(
        "/graphql",
        content=b'{"query": "{ __typename }"}',
        headers={"content-type": "application/json; charset=utf-8"},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"__typename": "AccountQuery"}}


async def test_mutation_via_get_is_not_executed(concierge: ConciergeTestKit) -> None:
    tenant, shop = await shop_with_notes(concierge)
    before = await note_count(concierge, shop)
    response = await concierge.client.get(
        f"/graphql/{shop.slug}",
        params={"query": 'mutation { addNote(input: {text: "via GET"}) { note { id } } }'},
        headers={"accept": GRAPHQL_RESPONSE_JSON, **bearer(concierge.token(tenant))},
    )
    # GraphQL over HTTP: a mutation by GET is 405, and nothing runs.
    assert response.status_code == 405
    assert response.headers["allow"] == "POST"
    body = response.json()
    assert "data" not in body
    assert body["errors"][0]["extensions"]["code"] == "METHOD_NOT_ALLOWED"
    assert "POST" in body["errors"][0]["message"]
    assert await note_count(concierge, shop) == before


async def test_subscription_over_http_is_refused_without_a_bug_report(
    concierge: ConciergeTestKit, caplog: pytest.LogCaptureFixture
) -> None:
    _, shop = await shop_with_notes(concierge)
    result = await concierge.graphql("subscription { noteAdded { id } }", property=shop)
    assert result.status == 400
    assert "WebSocket" in result.errors[0]["message"]
    assert not [r for r in caplog.records if r.levelname == "ERROR"]


async def test_several_operations_need_an_operation_name(concierge: ConciergeTestKit) -> None:
    tenant, shop = await shop_with_notes(concierge)
    document = (
        'query Count { notes { totalCount } } mutation Add { addNote(input: {text: "x"}) '
        "{ note { id } } }"
    )
    before = await note_count(concierge, shop)
    unnamed = await concierge.graphql(document, property=shop)
    assert unnamed.status == 400
    assert "operationName" in unnamed.errors[0]["message"]
    assert await note_count(concierge, shop) == before

    response = await concierge.client.post(
        f"/graphql/{shop.slug}",
        json={"query": document, "operationName": "Count"},
        headers={"accept": GRAPHQL_RESPONSE_JSON, **bearer(concierge.token(tenant))},
    )
    assert response.json() == {"data": {"notes": {"totalCount": before}}}


async def test_query_via_get_is_executed(concierge: ConciergeTestKit) -> None:
    tenant, shop = await shop_with_notes(concierge)
    response = await concierge.client.get(
        f"/graphql/{shop.slug}",
        params={"query": "{ notes { totalCount } }"},
        headers={"accept": GRAPHQL_RESPONSE_JSON, **bearer(concierge.token(tenant))},
    )
    assert response.status_code == 200
    assert response.json() == {"data": {"notes": {"totalCount": 1}}}


async def test_batch_request_is_400_when_batching_is_off(concierge: ConciergeTestKit) -> None:
    tenant, shop = await shop_with_notes(concierge)
    before = await note_count(concierge, shop)
    mutation = 'mutation { addNote(input: {text: "batched"}) { note { id } } }'
    response = await post_graphql(
        concierge.client,
        f"/graphql/{shop.slug}",
        [{"query": "{ __typename }"}, {"query": mutation}],
        token=concierge.token(tenant),
    )
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "atching" in body["errors"][0]["message"]
    assert await note_count(concierge, shop) == before


# ---------------------------------------------------------------------------
# Authentication
# ---------------------------------------------------------------------------


async def test_property_endpoint_without_authorization_is_401_with_challenge(
    concierge: ConciergeTestKit,
) -> None:
    _, shop = await shop_with_notes(concierge)
    response = await post_graphql(concierge.client, f"/graphql/{shop.slug}", {"query": NOTES_COUNT})
    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")
    body = response.json()
    assert "data" not in body
    assert error_codes(body) == ["UNAUTHENTICATED"]


def _forged_token(kit: ConciergeTestKit, tenant: TenantRef) -> str:
    """A well-formed token for ``tenant`` signed with another secret."""
    other = kit.runtime.settings.with_overrides(secret_key="another-secret-" + "x" * 40)
    token = issue_access_token(
        other, kit.clock, tenant_id=tenant.id, subject="user:1", session_id=1
    )
    assert jwt.get_unverified_header(token)["alg"] == "HS256"
    return token


@pytest.mark.parametrize(
    "make_authorization",
    [
        pytest.param(lambda kit, tenant: "Bearer garbage", id="garbage"),
        pytest.param(lambda kit, tenant: "Bearer a.b.c", id="three-dots"),
        pytest.param(lambda kit, tenant: f"Bearer {_forged_token(kit, tenant)}", id="forged"),
        pytest.param(
            lambda kit, tenant: f"Bearer {kit.token(tenant)[:-4]}AAAA", id="bad-signature"
        ),
        pytest.param(lambda kit, tenant: "Basic x", id="basic"),
        pytest.param(lambda kit, tenant: f"Token {kit.token(tenant)}", id="other-scheme"),
        pytest.param(lambda kit, tenant: "Bearer ", id="empty-bearer"),
    ],
)
async def test_bad_credentials_are_401(concierge: ConciergeTestKit, make_authorization) -> None:
    tenant, shop = await shop_with_notes(concierge)
    authorization = make_authorization(concierge, tenant)
    for path in (f"/graphql/{shop.slug}", "/graphql"):
        response = await post_graphql(
            concierge.client,
            path,
            {"query": "{ __typename }"},
            headers={"authorization": authorization},
        )
        assert response.status_code == 401, (path, response.text)
        assert response.headers["www-authenticate"].startswith("Bearer")
        body = response.json()
        assert "data" not in body
        assert error_codes(body) == ["UNAUTHENTICATED"]


async def test_unsigned_alg_none_token_is_401(concierge: ConciergeTestKit) -> None:
    tenant, shop = await shop_with_notes(concierge)

    def b64(data: dict[str, Any]) -> str:
        return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")

    now = int(concierge.clock.now().timestamp())
    claims = {
        "iss": "concierge",
        "aud": "concierge-api",
        "sub": "user:1",
        "tid": tenant.id,
        "iat": now,
        "exp": now + 600,
    }
    token = f"{b64({'alg': 'none', 'typ': 'JWT'})}.{b64(claims)}."
    response = await post_graphql(
        concierge.client, f"/graphql/{shop.slug}", {"query": NOTES_COUNT}, token=token
    )
    assert response.status_code == 401


async def test_expired_token_is_401(concierge: ConciergeTestKit, clock: MovableClock) -> None:
    tenant, shop = await shop_with_notes(concierge)
    token = concierge.token(tenant, ttl=dt.timedelta(minutes=5))

    fresh = await post_graphql(
        concierge.client, f"/graphql/{shop.slug}", {"query": NOTES_COUNT}, token=token
    )
    assert fresh.status_code == 200
    assert fresh.json() == {"data": {"notes": {"totalCount": 1}}}

    clock.advance(minutes=6)
    expired = await post_graphql(
        concierge.client, f"/graphql/{shop.slug}", {"query": NOTES_COUNT}, token=token
    )
    assert expired.status_code == 401
    assert expired.headers["www-authenticate"].startswith("Bearer")
    assert "expired" in expired.json()["errors"][0]["message"]
    assert "data" not in expired.json()


async def test_token_expires_exactly_at_its_expiry(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant, shop = await shop_with_notes(concierge)
    token = concierge.token(tenant, ttl=dt.timedelta(minutes=5))
    clock.advance(minutes=5)
    response = await post_graphql(
        concierge.client, f"/graphql/{shop.slug}", {"query": NOTES_COUNT}, token=token
    )
    assert response.status_code == 401


# ---------------------------------------------------------------------------
# Tenant walls
# ---------------------------------------------------------------------------


async def test_other_tenants_property_answers_like_a_missing_one(
    concierge: ConciergeTestKit,
) -> None:
    _, shop_a = await shop_with_notes(concierge, "acme", "acme-shop")
    tenant_b, _ = await shop_with_notes(concierge, "globex", "globex-shop")
    token_b = concierge.token(tenant_b)

    foreign = await post_graphql(
        concierge.client, f"/graphql/{shop_a.slug}", {"query": NOTES_COUNT}, token=token_b
    )
    missing = await post_graphql(
        concierge.client, "/graphql/no-such-shop", {"query": NOTES_COUNT}, token=token_b
    )
    assert foreign.status_code == missing.status_code == 404
    assert error_codes(foreign.json()) == error_codes(missing.json()) == ["PROPERTY_NOT_FOUND"]
    assert "data" not in foreign.json()
    assert "acme" not in foreign.text.replace(shop_a.slug, "<slug>")
    # Same body once the slug the client sent is set aside.
    assert foreign.text.replace(shop_a.slug, "<slug>") == missing.text.replace(
        "no-such-shop", "<slug>"
    )
    assert set(foreign.headers) - {"x-request-id"} == set(missing.headers) - {"x-request-id"}
    assert media_type(foreign) == media_type(missing)


async def _notes_of(kit: ConciergeTestKit, shop: PropertyRef) -> list[dict[str, Any]]:
    data = (await kit.graphql(NOTES_PAGE, {"first": 100}, property=shop)).ok()
    return [edge["node"] for edge in data["notes"]["edges"]]


async def test_node_lookup_of_another_tenants_note_is_null(concierge: ConciergeTestKit) -> None:
    _, shop_a = await shop_with_notes(concierge, "acme", "acme-shop")
    _, shop_b = await shop_with_notes(concierge, "globex", "globex-shop")
    note_a = await add_note(concierge, shop_a, "only for acme")

    own = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id ... on Note { text } } }",
        {"id": note_a["id"]},
        property=shop_a,
    )
    assert own.ok() == {"node": {"id": note_a["id"], "text": "only for acme"}}

    foreign = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id ... on Note { text } } }",
        {"id": note_a["id"]},
        property=shop_b,
    )
    assert foreign.ok() == {"node": None}
    assert "only for acme" not in foreign.response.text


async def test_node_lookup_of_a_sibling_propertys_note_is_null(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop = await shop_with_notes(concierge, "acme", "acme-shop")
    other = await concierge.property(tenant, "acme-outlet", plugins=[NOTES_PLUGIN])
    note = await add_note(concierge, shop, "shop only")

    result = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": note["id"]}, property=other
    )
    assert result.ok() == {"node": None}


async def test_nodes_lookup_returns_nulls_for_foreign_and_garbage_ids(
    concierge: ConciergeTestKit,
) -> None:
    _, shop_a = await shop_with_notes(concierge, "acme", "acme-shop")
    _, shop_b = await shop_with_notes(concierge, "globex", "globex-shop")
    note_a = await add_note(concierge, shop_a, "acme note")
    note_b = await add_note(concierge, shop_b, "globex note")

    ids = [
        note_b["id"],
        note_a["id"],
        "garbage",
        global_id("Note", "abc"),
        global_id("Note", -1),
        global_id("Note", 999_999),
        global_id("NoSuchType", 1),
        global_id("PropertyDetails", 1),
        "",
        note_b["id"],
    ]
    result = await concierge.graphql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id ... on Note { text } } }",
        {"ids": ids},
        property=shop_b,
    )
    nodes = result.ok()["nodes"]
    assert nodes == [
        {"id": note_b["id"], "text": "globex note"},
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        None,
        {"id": note_b["id"], "text": "globex note"},
    ]


@pytest.mark.parametrize(
    "raw_id",
    [
        "garbage",
        "!!!",
        "Tm90ZQ==",
        global_id("Note", "1 OR 1=1"),
        "x" * 300,
        pytest.param(global_id("Note", 10**25), id="pk-beyond-64-bits"),
    ],
)
async def test_node_lookup_with_garbage_id_is_null_not_an_error(
    concierge: ConciergeTestKit, raw_id: str
) -> None:
    _, shop = await shop_with_notes(concierge)
    result = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": raw_id}, property=shop
    )
    assert result.status == 200
    assert result.errors == []
    assert result.data == {"node": None}


# ---------------------------------------------------------------------------
# Limits
# ---------------------------------------------------------------------------


def _nested(depth: int, leaf: str = "id") -> str:
    query = leaf
    for level in range(depth):
        query = f"f{level} {{ {query} }}"
    return "{ " + query + " }"


async def test_query_deeper_than_max_depth_is_rejected(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    _, shop = await shop_with_notes(concierge)
    max_depth = concierge_settings.limits.max_depth
    result = await concierge.graphql(_nested(max_depth + 2), property=shop)
    assert result.status == 400
    assert "data" not in result.body
    messages = [e["message"] for e in result.errors]
    assert any(f"maximum operation depth of {max_depth}" in m for m in messages), messages


async def test_valid_query_deeper_than_a_lowered_max_depth_is_rejected(
    concierge: ConciergeTestKit,
    concierge_settings: Settings,
    concierge_host: PluginHost,
    clock: MovableClock,
) -> None:
    tenant, shop = await shop_with_notes(concierge)
    settings = concierge_settings.with_overrides(
        limits=replace(concierge_settings.limits, max_depth=2)
    )
    async with concierge.client_with(settings) as client:
        deep = await post_graphql(
            client,
            f"/graphql/{shop.slug}",
            {"query": "{ notes { edges { node { id } } } }"},
            token=concierge.token(tenant),
        )
        shallow = await post_graphql(
            client,
            f"/graphql/{shop.slug}",
            {"query": "{ notes { totalCount } }"},
            token=concierge.token(tenant),
        )
    assert deep.status_code == 400
    assert "data" not in deep.json()
    assert "depth" in deep.json()["errors"][0]["message"]
    assert shallow.status_code == 200
    assert shallow.json() == {"data": {"notes": {"totalCount": 1}}}


async def test_query_at_max_depth_is_allowed(
    concierge: ConciergeTestKit,
    concierge_settings: Settings,
    concierge_host: PluginHost,
    clock: MovableClock,
) -> None:
    tenant, shop = await shop_with_notes(concierge)
    # notes(1) > edges(2) > node(3) > id: depth 3.
    settings = concierge_settings.with_overrides(
        limits=replace(concierge_settings.limits, max_depth=3)
    )
    async with concierge.client_with(settings) as client:
        response = await post_graphql(
            client,
            f"/graphql/{shop.slug}",
            {"query": "{ notes { edges { node { text } } } }"},
            token=concierge.token(tenant),
        )
    assert response.status_code == 200
    assert response.json() == {"data": {"notes": {"edges": [{"node": {"text": "Welcome"}}]}}}


def _aliases(count: int) -> str:
    return "{ " + " ".join(f"a{i}: __typename" for i in range(count)) + " }"


async def test_more_aliases_than_max_aliases_is_400(
    concierge_client: httpx.AsyncClient, concierge_settings: Settings
) -> None:
    max_aliases = concierge_settings.limits.max_aliases
    at_limit = await post_graphql(concierge_client, "/graphql", {"query": _aliases(max_aliases)})
    assert at_limit.status_code == 200
    assert len(at_limit.json()["data"]) == max_aliases

    over = await post_graphql(concierge_client, "/graphql", {"query": _aliases(max_aliases + 1)})
    assert over.status_code == 400
    body = over.json()
    assert "data" not in body
    assert "alias" in body["errors"][0]["message"].lower()


async def test_more_tokens_than_max_tokens_is_400(
    concierge_client: httpx.AsyncClient, concierge_settings: Settings
) -> None:
    max_tokens = concierge_settings.limits.max_tokens
    query = "{ " + "__typename " * max_tokens + "}"
    response = await post_graphql(concierge_client, "/graphql", {"query": query})
    assert response.status_code == 400
    body = response.json()
    assert "data" not in body
    assert "tokens" in body["errors"][0]["message"]

    # The same limit applies to the next request: the parse cache does not bypass it.
    again = await post_graphql(concierge_client, "/graphql", {"query": query})
    assert again.status_code == 400


async def test_page_size_above_maximum_is_a_bad_page_size_error(
    concierge: ConciergeTestKit, concierge_settings: Settings
) -> None:
    _, shop = await shop_with_notes(concierge)
    max_page = concierge_settings.limits.max_page_size
    for first in (max_page + 1, 1000, 0, -1):
        result = await concierge.graphql(
            "query($first: Int) { notes(first: $first) { totalCount } }",
            {"first": first},
            property=shop,
        )
        assert error_codes(result.body) == ["BAD_PAGE_SIZE"], (first, result.body)
        assert str(max_page) in result.errors[0]["message"]
        assert result.data is None

    at_max = await concierge.graphql(
        "query($first: Int) { notes(first: $first) { totalCount } }",
        {"first": max_page},
        property=shop,
    )
    assert at_max.ok() == {"notes": {"totalCount": 1}}


@pytest.mark.parametrize(
    "cursor",
    [
        "not-a-cursor",
        "!!!",
        base64.urlsafe_b64encode(b"[1]").decode(),
        base64.urlsafe_b64encode(b'["x", "y"]').decode(),
        base64.urlsafe_b64encode(b"{}").decode(),
        base64.urlsafe_b64encode(b'[{"dt": "not-a-date"}, 1]').decode(),
        "",
        *[
            pytest.param(
                base64.urlsafe_b64encode(raw).decode().rstrip("="), id=f"tampered-{raw.decode()}"
            )
            for raw in (
                b'["x", 1]',
                b"[null, 1]",
                b'[{"dec": "x"}, 1]',
                b'[{"dt": "2026-01-01T00:00:00"}, 1]',
            )
        ],
    ],
)
async def test_invalid_after_cursor_is_a_bad_cursor_error(
    concierge: ConciergeTestKit, cursor: str
) -> None:
    _, shop = await shop_with_notes(concierge)
    response = await post_graphql(
        concierge.client,
        f"/graphql/{shop.slug}",
        {"query": NOTES_PAGE, "variables": {"first": 2, "after": cursor}},
        token=concierge.token(shop.tenant_id),
    )
    body = response.json()
    assert error_codes(body) == ["BAD_CURSOR"], body
    assert "Traceback" not in response.text
    assert body["data"] is None


# ---------------------------------------------------------------------------
# Error masking
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("accept", [GRAPHQL_RESPONSE_JSON, JSON])
async def test_unexpected_errors_are_masked(
    concierge: ConciergeTestKit, accept: str, caplog: pytest.LogCaptureFixture
) -> None:
    _, shop = await shop_with_notes(concierge)
    result = await concierge.graphql("{ explode }", property=shop, accept=accept)
    assert [e["message"] for e in result.errors] == ["Unexpected error."]
    assert result.errors[0]["path"] == ["explode"]
    # The client gets an id; the log holds the same id with the real exception.
    error_id = result.errors[0]["extensions"]["errorId"]
    assert result.errors[0]["extensions"]["code"] == "INTERNAL"
    logged = [r for r in caplog.records if getattr(r, "error_id", None) == error_id]
    assert logged and "secret internals" in str(logged[0].exc_info[1])
    text = result.response.text
    assert "secret internals" not in text
    assert "/etc/passwd" not in text
    assert "Traceback" not in text
    assert "RuntimeError" not in text
    # Execution had started: the data entry is there (null: explode is non-null).
    assert result.status == 200
    assert "data" in result.body and result.data is None


# ---------------------------------------------------------------------------
# Keyset pagination
# ---------------------------------------------------------------------------


async def _page_all(
    kit: ConciergeTestKit, shop: PropertyRef, first: int, *, after: str | None = None
) -> list[dict[str, Any]]:
    pages = []
    while True:
        result = await kit.graphql(NOTES_PAGE, {"first": first, "after": after}, property=shop)
        connection = result.ok()["notes"]
        pages.append(connection)
        if not connection["pageInfo"]["hasNextPage"]:
            return pages
        after = connection["pageInfo"]["endCursor"]
        assert after == connection["edges"][-1]["cursor"]


async def test_keyset_pagination_sees_every_note_once_in_order(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    _, shop = await shop_with_notes(concierge)
    added = []
    for text in ("one", "two", "three"):
        added.append(await add_note(concierge, shop, text))
        clock.advance(minutes=1)
    # Two notes at the same instant: the primary key breaks the tie.
    added.append(await add_note(concierge, shop, "four"))
    added.append(await add_note(concierge, shop, "five"))
    assert added[-1]["createdAt"] == added[-2]["createdAt"]

    pages = await _page_all(concierge, shop, first=2)
    seen = [edge["node"] for page in pages for edge in page["edges"]]

    assert [n["text"] for n in seen] == ["Welcome", "one", "two", "three", "four", "five"]
    assert len({n["id"] for n in seen}) == len(seen) == 6
    assert {page["totalCount"] for page in pages} == {6}
    assert [len(page["edges"]) for page in pages] == [2, 2, 2]
    assert [page["pageInfo"]["hasPreviousPage"] for page in pages] == [False, True, True]
    created = [dt.datetime.fromisoformat(n["createdAt"]) for n in seen]
    assert created == sorted(created)
    assert all(c.utcoffset() == dt.timedelta(0) for c in created)


async def test_keyset_pagination_is_stable_under_inserts(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    _, shop = await shop_with_notes(concierge)
    for index in range(5):
        await add_note(concierge, shop, f"note {index}")
        if index != 2:  # notes 2 and 3 share a created_at
            clock.advance(minutes=1)

    first_page = (await concierge.graphql(NOTES_PAGE, {"first": 2}, property=shop)).ok()["notes"]
    second_page = (
        await concierge.graphql(
            NOTES_PAGE,
            {"first": 2, "after": first_page["pageInfo"]["endCursor"]},
            property=shop,
        )
    ).ok()["notes"]
    seen = [e["node"]["text"] for p in (first_page, second_page) for e in p["edges"]]
    assert seen == ["Welcome", "note 0", "note 1", "note 2"]

    # Mid-way, one note lands before the cursor (an earlier instant) and one after.
    later = clock.now()
    clock.set(dt.datetime(2025, 12, 31, tzinfo=dt.UTC))
    await add_note(concierge, shop, "backdated")
    clock.set(later + dt.timedelta(minutes=5))
    await add_note(concierge, shop, "newest")

    rest = await _page_all(concierge, shop, first=2, after=second_page["pageInfo"]["endCursor"])
    rest_texts = [e["node"]["text"] for page in rest for e in page["edges"]]
    assert rest_texts == ["note 3", "note 4", "newest"]
    assert {page["totalCount"] for page in rest} == {8}
    all_seen = seen + rest_texts
    assert len(all_seen) == len(set(all_seen))
    assert "backdated" not in all_seen

    # A new walk from the start sees the backdated note first.
    fresh = await _page_all(concierge, shop, first=3)
    assert [e["node"]["text"] for p in fresh for e in p["edges"]][:2] == ["backdated", "Welcome"]


async def test_cursor_of_the_last_row_gives_an_empty_page(concierge: ConciergeTestKit) -> None:
    _, shop = await shop_with_notes(concierge)
    page = (await concierge.graphql(NOTES_PAGE, {"first": 5}, property=shop)).ok()["notes"]
    assert page["pageInfo"]["hasNextPage"] is False
    empty = (
        await concierge.graphql(
            NOTES_PAGE, {"first": 5, "after": page["pageInfo"]["endCursor"]}, property=shop
        )
    ).ok()["notes"]
    assert empty["edges"] == []
    assert empty["pageInfo"]["hasNextPage"] is False
    assert empty["pageInfo"]["endCursor"] is None
    assert empty["totalCount"] == 1


# ---------------------------------------------------------------------------
# Mutation payload errors
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["", "   ", "\n\t"])
async def test_add_note_without_text_is_a_payload_error(
    concierge: ConciergeTestKit, text: str
) -> None:
    _, shop = await shop_with_notes(concierge)
    before = await note_count(concierge, shop)

    result = await concierge.graphql(ADD_NOTE, {"text": text}, property=shop)
    assert result.status == 200
    assert result.errors == []
    payload = result.ok()["addNote"]
    assert payload["note"] is None
    assert len(payload["errors"]) == 1
    error = payload["errors"][0]
    assert error["code"] == "INVALID_INPUT"
    assert error["field"] == ["text"]
    assert error["message"]
    assert await note_count(concierge, shop) == before


async def test_add_note_too_long_is_a_payload_error_with_max_length(
    concierge: ConciergeTestKit,
) -> None:
    _, shop = await shop_with_notes(concierge)
    before = await note_count(concierge, shop)

    result = await concierge.graphql(ADD_NOTE, {"text": "x" * 501}, property=shop)
    payload = result.ok()["addNote"]
    assert payload["note"] is None
    assert [(e["code"], e["field"], e["maxLength"]) for e in payload["errors"]] == [
        ("TOO_LONG", ["text"], 500)
    ]
    assert await note_count(concierge, shop) == before

    at_limit = await add_note(concierge, shop, "y" * 500)
    assert len(at_limit["text"]) == 500
    assert await note_count(concierge, shop) == before + 1


async def test_add_note_stores_the_note(concierge: ConciergeTestKit, clock: MovableClock) -> None:
    _, shop = await shop_with_notes(concierge)
    note = await add_note(concierge, shop, "hello")
    assert note["text"] == "hello"
    assert dt.datetime.fromisoformat(note["createdAt"]) == clock.now()
    texts = [n["text"] for n in await _notes_of(concierge, shop)]
    assert texts == ["Welcome", "hello"]


# ---------------------------------------------------------------------------
# GraphiQL in development
# ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/graphql", "/graphql/acme-shop"])
async def test_graphiql_is_served_in_development(
    concierge_client: httpx.AsyncClient, path: str
) -> None:
    response = await concierge_client.get(
        path, headers={"accept": "text/html,application/xhtml+xml,*/*;q=0.8"}
    )
    assert response.status_code == 200
    assert media_type(response) == "text/html"
    assert "graphiql" in response.text.lower()


async def test_a_crash_answers_500_with_the_request_id_and_no_details() -> None:
    """Whatever escapes the app is answered inside the request-id middleware."""
    from core.logs import RequestIdMiddleware

    async def crashing_app(scope, receive, send) -> None:
        raise RuntimeError("secret internals")

    transport = httpx.ASGITransport(app=RequestIdMiddleware(crashing_app))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
        response = await client.get("/anything", headers={"x-request-id": "req-42"})
    assert response.status_code == 500
    assert response.headers["x-request-id"] == "req-42"
    assert "secret" not in response.text
    assert response.json()["errors"][0]["extensions"]["code"] == "INTERNAL"
