"""Account administration: renaming the tenant, deactivating users, seeing properties."""

from __future__ import annotations

from strawberry.relay import to_base64

from core.testing import ConciergeTestKit

RENAME = (
    'mutation { updateTenant(input: {name: "Harbour Group"}) { tenant { name } errors { code } } }'
)
SET_ACTIVE = (
    "mutation($u: ID!, $a: Boolean!) { setUserActive(input: {user: $u, active: $a}) {"
    " user { isActive } errors { code } } }"
)


async def test_only_the_owner_renames_the_tenant(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    manager = await concierge.user(tenant, "boss@acme.example", role="manager")
    refused = await concierge.graphql(RENAME, token=await concierge.token_for(manager))
    assert refused.errors[0]["extensions"]["code"] == "FORBIDDEN"
    renamed = await concierge.graphql(RENAME, tenant=tenant)
    assert renamed.ok()["updateTenant"]["tenant"] == {"name": "Harbour Group"}
    assert (await concierge.graphql("{ tenant { name } }", tenant=tenant)).ok() == {
        "tenant": {"name": "Harbour Group"}
    }


async def test_a_deactivated_user_is_signed_out_and_cannot_sign_in(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    clerk = await concierge.user(tenant, "clerk@acme.example", role="viewer")
    clerk_token = await concierge.token_for(clerk)
    user_id = to_base64("User", clerk.id)

    off = await concierge.graphql(SET_ACTIVE, {"u": user_id, "a": False}, tenant=tenant)
    assert off.ok()["setUserActive"] == {"user": {"isActive": False}, "errors": []}
    assert (await concierge.graphql("{ me { email } }", token=clerk_token)).status == 401
    login = await concierge.login(clerk.email, clerk.password)
    assert login.ok()["login"]["errors"][0]["code"] == "INVALID_CREDENTIALS"

    on = await concierge.graphql(SET_ACTIVE, {"u": user_id, "a": True}, tenant=tenant)
    assert on.ok()["setUserActive"]["user"] == {"isActive": True}
    assert (await concierge.login(clerk.email, clerk.password)).ok()["login"]["errors"] == []


async def test_a_manager_cannot_deactivate_the_owner(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    manager = await concierge.user(tenant, "boss@acme.example", role="manager")
    me = await concierge.graphql("{ me { id } }", tenant=tenant)
    owner_id = me.ok()["me"]["id"]
    refused = await concierge.graphql(
        SET_ACTIVE, {"u": owner_id, "a": False}, token=await concierge.token_for(manager)
    )
    assert refused.ok()["setUserActive"]["errors"] == [{"code": "PERMISSION_DENIED"}]
    assert (await concierge.graphql("{ me { email } }", tenant=tenant)).status == 200


async def test_properties_lists_those_the_role_may_read(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    await concierge.property(tenant, "acme-hotel")
    saved = await concierge.graphql(
        'mutation { saveRole(input: {name: "scribe", permissions: ["notes:*"]})'
        " { errors { code } } }",
        tenant=tenant,
    )
    assert saved.ok()["saveRole"]["errors"] == []
    scribe = await concierge.user(tenant, "scribe@acme.example", role="scribe", property=shop)
    viewer = await concierge.user(tenant, "eyes@acme.example", role="viewer", property=shop)

    async def listed(user) -> list[str]:
        result = await concierge.graphql(
            "{ properties { slug } }", token=await concierge.token_for(user)
        )
        return [p["slug"] for p in result.ok()["properties"]]

    assert await listed(viewer) == ["acme-shop"]
    assert await listed(scribe) == []  # a role without property:read lists nothing


async def test_the_last_active_owner_cannot_be_demoted_after_the_other_is_deactivated(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    other = await concierge.user(tenant, "second@acme.example", role="owner")
    off = await concierge.graphql(
        SET_ACTIVE, {"u": to_base64("User", other.id), "a": False}, tenant=tenant
    )
    assert off.ok()["setUserActive"]["errors"] == []
    me = (await concierge.graphql("{ me { id } }", tenant=tenant)).ok()["me"]["id"]
    demote = await concierge.graphql(
        'mutation($u: ID!) { setMembership(input: {user: $u, role: "manager"}) {'
        " errors { code } } }",
        {"u": me},
        tenant=tenant,
    )
    assert demote.ok()["setMembership"]["errors"] == [{"code": "CONFLICT"}]
