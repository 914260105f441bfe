"""API keys for machine clients: created for one property with a subset of the
creator's permissions, shown once, stored hashed, revocable, last use recorded;
publishable keys reach public fields only.

Keys are created and revoked through the account endpoint (``/graphql``) and
used on property endpoints, all over real HTTP against a real database.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
from typing import Any

from sqlalchemy import func, select

from core.apikeys import ApiKey
from core.clock import MovableClock
from core.db import Scope
from core.testing import ConciergeTestKit, GraphQLResult, PropertyRef, TenantRef

CREATE_KEY = """
mutation Create($property: String!, $name: String!, $kind: ApiKeyKind!, $permissions: [String!]!) {
  createApiKey(input: {property: $property, name: $name, kind: $kind, permissions: $permissions}) {
    apiKey { id name kind lookup permissions createdAt lastUsedAt revokedAt property { slug } }
    secret
    errors { code field message }
  }
}
"""

LIST_KEYS = """
query Keys($property: String!) {
  apiKeys(property: $property) {
    id name kind lookup permissions lastUsedAt revokedAt property { slug }
  }
}
"""

REVOKE_KEY = """
mutation Revoke($id: ID!) {
  revokeApiKey(input: {id: $id}) {
    apiKey { id revokedAt }
    secret
    errors { code field message }
  }
}
"""

NOTES_COUNT = "{ notes { totalCount } }"
ADD_NOTE = 'mutation { addNote(input: {text: "from a key"}) { note { text } errors { code } } }'
PUBLIC_FIELDS = "{ noteContextMark currentProperty { slug enabledPlugins } }"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


async def acme_with_shop(kit: ConciergeTestKit) -> tuple[TenantRef, PropertyRef]:
    tenant = await kit.tenant("acme")
    shop = await kit.property(tenant, "acme-shop", plugins=["test_notes"])
    return tenant, shop


async def create_key(
    kit: ConciergeTestKit,
    prop: PropertyRef | str,
    permissions: list[str],
    *,
    kind: str = "SECRET",
    name: str = "till 1",
    token: str | None = None,
    tenant: TenantRef | None = None,
) -> dict[str, Any]:
    slug = prop.slug if isinstance(prop, PropertyRef) else prop
    if token is None and tenant is None and isinstance(prop, PropertyRef):
        token = kit.token(prop.tenant_id)
    result = await kit.graphql(
        CREATE_KEY,
        {"property": slug, "name": name, "kind": kind, "permissions": permissions},
        token=token,
        tenant=tenant,
    )
    return result.ok()["createApiKey"]


async def secret_key(kit: ConciergeTestKit, prop: PropertyRef, permissions: list[str]) -> str:
    payload = await create_key(kit, prop, permissions)
    assert payload["errors"] == [], payload
    return payload["secret"]


async def key_count(kit: ConciergeTestKit) -> int:
    async with kit.db.session(Scope.system(), write=False) as session:
        return int(await session.scalar(select(func.count()).select_from(ApiKey)))


async def key_rows(kit: ConciergeTestKit) -> list[ApiKey]:
    async with kit.db.session(Scope.system(), write=False) as session:
        return list(await session.scalars(select(ApiKey).order_by(ApiKey.id)))


async def note_count(kit: ConciergeTestKit, shop: PropertyRef) -> int:
    return (await kit.graphql(NOTES_COUNT, property=shop)).ok()["notes"]["totalCount"]


def error_codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


def assert_forbidden(result: GraphQLResult, field: str) -> None:
    """A top-level FORBIDDEN error on ``field`` and no data for it."""
    assert result.status == 200, result.body
    assert error_codes(result) == ["FORBIDDEN"], result.body
    assert result.errors[0]["path"] == [field]
    assert result.data is None or result.data.get(field) is None


# ---------------------------------------------------------------------------
# Shown once, stored hashed
# ---------------------------------------------------------------------------


async def test_a_secret_key_is_shown_once_and_only_its_hash_is_stored(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    created = await create_key(concierge, shop, ["notes:read"])
    assert created["errors"] == []
    key, secret = created["apiKey"], created["secret"]
    assert key["name"] == "till 1"
    assert key["kind"] == "SECRET"
    assert key["permissions"] == ["notes:read"]
    assert key["property"] == {"slug": "acme-shop"}
    assert key["lastUsedAt"] is None and key["revokedAt"] is None
    assert dt.datetime.fromisoformat(key["createdAt"]) == clock.now()
    assert secret.startswith(f"cnk_sk_{key['lookup']}_")
    secret_part = secret.removeprefix(f"cnk_sk_{key['lookup']}_")
    assert len(secret_part) >= 40  # 256 random bits

    # The listing never shows the secret, nor does any other answer.
    listing = await concierge.graphql(LIST_KEYS, {"property": "acme-shop"}, tenant=tenant)
    keys = listing.ok()["apiKeys"]
    assert [k["id"] for k in keys] == [key["id"]]
    assert keys[0]["lookup"] == key["lookup"]
    assert secret_part not in listing.response.text
    node = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id ... on ApiKey { name lookup } } }",
        {"id": key["id"]},
        tenant=tenant,
    )
    assert node.ok()["node"] == {"id": key["id"], "name": "till 1", "lookup": key["lookup"]}
    assert secret_part not in node.response.text

    # The database holds a SHA-256 hash of the secret, not the secret.
    [row] = await key_rows(concierge)
    assert row.secret_hash == hashlib.sha256(secret_part.encode()).hexdigest()
    stored = " ".join(str(getattr(row, c.key)) for c in ApiKey.__table__.columns)
    assert secret_part not in stored

    # And the key works.
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=secret)).ok() == {
        "notes": {"totalCount": 1}
    }


async def test_the_api_key_type_has_no_secret_field(concierge: ConciergeTestKit) -> None:
    tenant, _ = await acme_with_shop(concierge)
    result = await concierge.graphql(
        '{ __type(name: "ApiKey") { fields { name } } }', tenant=tenant
    )
    names = {f["name"] for f in result.ok()["__type"]["fields"]}
    assert "lookup" in names
    assert not {n for n in names if "secret" in n.lower() or "hash" in n.lower()}


# ---------------------------------------------------------------------------
# What a key may do
# ---------------------------------------------------------------------------


async def test_a_secret_key_with_notes_read_reads_notes_but_cannot_add_one(
    concierge: ConciergeTestKit,
) -> None:
    _, shop = await acme_with_shop(concierge)
    key = await secret_key(concierge, shop, ["notes:read"])

    read = await concierge.graphql(
        "{ notes { edges { node { text } } } }", property=shop, token=key
    )
    assert read.ok() == {"notes": {"edges": [{"node": {"text": "Welcome"}}]}}

    refused = await concierge.graphql(ADD_NOTE, property=shop, token=key)
    assert_forbidden(refused, "addNote")
    assert refused.errors[0]["message"] == "This needs the permission notes:write"
    assert await note_count(concierge, shop) == 1


async def test_a_key_with_notes_write_adds_notes(concierge: ConciergeTestKit) -> None:
    _, shop = await acme_with_shop(concierge)
    key = await secret_key(concierge, shop, ["notes:read", "notes:write"])
    added = await concierge.graphql(ADD_NOTE, property=shop, token=key)
    assert added.ok() == {"addNote": {"note": {"text": "from a key"}, "errors": []}}
    assert await note_count(concierge, shop) == 2


async def test_a_publishable_key_reaches_public_fields_only(concierge: ConciergeTestKit) -> None:
    _, shop = await acme_with_shop(concierge)
    created = await create_key(concierge, shop, [], kind="PUBLISHABLE", name="storefront")
    assert created["errors"] == []
    key = created["secret"]
    assert key.startswith("cnk_pk_")
    assert created["apiKey"]["kind"] == "PUBLISHABLE"

    public = await concierge.graphql(PUBLIC_FIELDS, property=shop, token=key)
    assert public.ok() == {
        "noteContextMark": "notes-on-acme-shop",
        "currentProperty": {"slug": "acme-shop", "enabledPlugins": ["test_notes"]},
    }
    assert_forbidden(await concierge.graphql(NOTES_COUNT, property=shop, token=key), "notes")
    assert_forbidden(await concierge.graphql(ADD_NOTE, property=shop, token=key), "addNote")
    assert await note_count(concierge, shop) == 1


async def test_a_publishable_key_cannot_carry_permissions(concierge: ConciergeTestKit) -> None:
    _, shop = await acme_with_shop(concierge)
    created = await create_key(concierge, shop, ["notes:read"], kind="PUBLISHABLE")
    assert created["apiKey"] is None and created["secret"] is None
    assert [(e["code"], e["field"]) for e in created["errors"]] == [
        ("INVALID_INPUT", ["permissions"])
    ]
    assert await key_count(concierge) == 0


async def test_a_secret_key_needs_permissions(concierge: ConciergeTestKit) -> None:
    _, shop = await acme_with_shop(concierge)
    created = await create_key(concierge, shop, [])
    assert [(e["code"], e["field"]) for e in created["errors"]] == [
        ("INVALID_INPUT", ["permissions"])
    ]
    assert await key_count(concierge) == 0


async def test_a_key_carries_no_more_than_its_creator_holds_there(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    saved = await concierge.graphql(
        'mutation { saveRole(input: {name: "integrator",'
        ' permissions: ["property:read", "notes:read", "apikeys:manage"]}) {'
        " role { permissions } errors { code } } }",
        tenant=tenant,
    )
    assert saved.ok()["saveRole"]["errors"] == []
    integrator = await concierge.user(tenant, "int@acme.example", role="integrator", property=shop)
    token = await concierge.token_for(integrator)

    for wanted in (["notes:read", "notes:write"], ["notes:write"], ["members:manage"]):
        refused = await create_key(concierge, shop, wanted, token=token)
        assert refused["apiKey"] is None and refused["secret"] is None
        assert [(e["code"], e["field"]) for e in refused["errors"]] == [
            ("PERMISSION_DENIED", ["permissions"])
        ], wanted
    assert await key_count(concierge) == 0

    allowed = await create_key(concierge, shop, ["notes:read"], token=token)
    assert allowed["errors"] == []
    assert allowed["apiKey"]["permissions"] == ["notes:read"]


async def test_a_user_without_apikeys_manage_cannot_create_or_list_keys(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    await secret_key(concierge, shop, ["notes:read"])
    viewer = await concierge.user(tenant, "vera@acme.example", role="viewer")
    token = await concierge.token_for(viewer)

    refused = await create_key(concierge, shop, ["notes:read"], token=token)
    assert [e["code"] for e in refused["errors"]] == ["PERMISSION_DENIED"]
    assert refused["secret"] is None
    assert await key_count(concierge) == 1

    listing = await concierge.graphql(LIST_KEYS, {"property": "acme-shop"}, token=token)
    assert listing.ok() == {"apiKeys": []}


async def test_a_key_cannot_be_made_for_a_property_the_user_may_not_use(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    cafe = await concierge.property(tenant, "acme-cafe", plugins=["test_notes"])
    manager = await concierge.user(tenant, "max@acme.example", role="manager", property=shop)
    token = await concierge.token_for(manager)

    assert (await create_key(concierge, shop, ["notes:read"], token=token))["errors"] == []
    sibling = await create_key(concierge, cafe, ["notes:read"], token=token)
    missing = await create_key(concierge, "acme-nowhere", ["notes:read"], token=token)
    assert sibling["secret"] is None
    # A sibling property the user is not a member of answers like a missing one.
    assert sibling["errors"] == missing["errors"]
    assert [(e["code"], e["field"]) for e in sibling["errors"]] == [("NOT_FOUND", ["property"])]
    assert await key_count(concierge) == 1


async def test_an_api_key_cannot_mint_keys_or_act_on_the_account(
    concierge: ConciergeTestKit,
) -> None:
    _, shop = await acme_with_shop(concierge)
    key = await secret_key(concierge, shop, ["notes:read", "notes:write", "apikeys:manage"])

    minted = await concierge.graphql(
        CREATE_KEY,
        {"property": "acme-shop", "name": "x", "kind": "SECRET", "permissions": ["notes:read"]},
        token=key,
    )
    assert minted.data is None
    assert error_codes(minted) == ["UNAUTHENTICATED"]
    members = await concierge.graphql("{ members { totalCount } }", token=key)
    assert error_codes(members) == ["FORBIDDEN"]
    assert (await concierge.graphql("{ me { email } }", token=key)).ok() == {"me": None}
    assert await key_count(concierge) == 1


# ---------------------------------------------------------------------------
# Revocation, last use, the wrong property
# ---------------------------------------------------------------------------


async def test_a_revoked_key_gets_401_and_writes_nothing(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    created = await create_key(concierge, shop, ["notes:read", "notes:write"])
    key = created["secret"]
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=key)).ok()

    clock.advance(minutes=3)
    revoked = await concierge.graphql(REVOKE_KEY, {"id": created["apiKey"]["id"]}, tenant=tenant)
    payload = revoked.ok()["revokeApiKey"]
    assert payload["errors"] == [] and payload["secret"] is None
    assert dt.datetime.fromisoformat(payload["apiKey"]["revokedAt"]) == clock.now()

    for query in (NOTES_COUNT, ADD_NOTE, PUBLIC_FIELDS):
        result = await concierge.graphql(query, property=shop, token=key)
        assert result.status == 401, result.body
        assert error_codes(result) == ["UNAUTHENTICATED"]
        assert "data" not in result.body
    assert await note_count(concierge, shop) == 1
    listing = await concierge.graphql(LIST_KEYS, {"property": "acme-shop"}, tenant=tenant)
    assert listing.ok()["apiKeys"][0]["revokedAt"] is not None


async def test_a_key_with_a_wrong_secret_gets_401(concierge: ConciergeTestKit) -> None:
    _, shop = await acme_with_shop(concierge)
    key = await secret_key(concierge, shop, ["notes:read"])
    prefix, _, secret = key.rpartition("_")
    for bad in (f"{prefix}_{secret[:-2]}xx", f"{prefix}_", key.replace("cnk_sk_", "cnk_pk_")):
        result = await concierge.graphql(NOTES_COUNT, property=shop, token=bad)
        assert result.status == 401, bad
        assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_the_last_use_of_a_key_is_recorded(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    key = await secret_key(concierge, shop, ["notes:read"])

    async def last_used() -> str | None:
        listing = await concierge.graphql(LIST_KEYS, {"property": "acme-shop"}, tenant=tenant)
        return listing.ok()["apiKeys"][0]["lastUsedAt"]

    assert await last_used() is None
    clock.advance(minutes=5)
    first_use = clock.now()
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=key)).ok()
    assert dt.datetime.fromisoformat(await last_used()) == first_use

    clock.advance(minutes=30)
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=key)).ok()
    assert dt.datetime.fromisoformat(await last_used()) == clock.now()


async def test_a_key_used_on_another_property_answers_like_a_missing_one(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop = await acme_with_shop(concierge)
    await concierge.property(tenant, "acme-cafe", plugins=["test_notes"])
    globex = await concierge.tenant("globex")
    await concierge.property(globex, "globex-shop", plugins=["test_notes"])
    key = await secret_key(concierge, shop, ["notes:read", "notes:write"])

    missing = await concierge.graphql(ADD_NOTE, property="no-such-shop", token=key)
    assert missing.status == 404
    assert error_codes(missing) == ["PROPERTY_NOT_FOUND"]
    for slug in ("acme-cafe", "globex-shop"):
        other = await concierge.graphql(ADD_NOTE, property=slug, token=key)
        assert other.status == 404, slug
        assert "data" not in other.body
        assert other.response.text.replace(slug, "<slug>") == missing.response.text.replace(
            "no-such-shop", "<slug>"
        )
    async with concierge.db.session(Scope.system(), write=False) as session:
        from notes_plugin.models import NoteRow

        texts = list(await session.scalars(select(NoteRow.text)))
    assert texts == ["Welcome", "Welcome", "Welcome"]  # nothing added anywhere


async def test_another_tenant_cannot_see_or_revoke_a_key(concierge: ConciergeTestKit) -> None:
    _, shop = await acme_with_shop(concierge)
    globex = await concierge.tenant("globex")
    created = await create_key(concierge, shop, ["notes:read"])
    key_id = created["apiKey"]["id"]

    revoke = await concierge.graphql(REVOKE_KEY, {"id": key_id}, tenant=globex)
    payload = revoke.ok()["revokeApiKey"]
    assert payload["apiKey"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [("NOT_FOUND", ["id"])]
    unknown_id = base64.b64encode(b"ApiKey:99999").decode()
    unknown = await concierge.graphql(REVOKE_KEY, {"id": unknown_id}, tenant=globex)
    assert unknown.ok()["revokeApiKey"]["errors"] == payload["errors"]

    listing = await concierge.graphql(LIST_KEYS, {"property": "acme-shop"}, tenant=globex)
    assert listing.ok() == {"apiKeys": []}
    node = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id } }", {"id": key_id}, tenant=globex
    )
    assert node.ok() == {"node": None}

    # The key still works for its own tenant.
    [row] = await key_rows(concierge)
    assert row.revoked_at is None
    still = await concierge.graphql(NOTES_COUNT, property=shop, token=created["secret"])
    assert still.ok() == {"notes": {"totalCount": 1}}
