"""Who may do what: built-in and tenant roles, field guards, memberships per
property, no escalation, properties managed through the account endpoint, and
other tenants' objects that stay invisible.

Every request goes through the real app over HTTP; refusals are checked to
leave the database as it was.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from sqlalchemy import select

from core.db import Scope
from core.tenancy import Property as PropertyRow
from core.tenancy import PropertyPlugin
from core.testing import TEST_PASSWORD, ConciergeTestKit, GraphQLResult, PropertyRef, TenantRef
from core.users import CustomRole, Membership, User

NOTES_COUNT = "{ notes { totalCount } }"
ADD_NOTE = 'mutation { addNote(input: {text: "hello"}) { note { text } errors { code } } }'

CREATE_USER = """
mutation Create($email: String!, $role: String!, $property: String) {
  createUser(input: {email: $email, name: "New person", password: "a long enough password",
                     role: $role, property: $property}) {
    user { id email memberships { role property { slug } } }
    errors { code field message }
  }
}
"""

SET_MEMBERSHIP = """
mutation Set($user: ID!, $role: String!, $property: String) {
  setMembership(input: {user: $user, role: $role, property: $property}) {
    user { email memberships { role property { slug } } }
    errors { code field message }
  }
}
"""

REMOVE_MEMBERSHIP = """
mutation Remove($user: ID!, $property: String) {
  removeMembership(input: {user: $user, property: $property}) {
    user { email memberships { role } }
    errors { code field message }
  }
}
"""

SAVE_ROLE = """
mutation Save($name: String!, $permissions: [String!]!) {
  saveRole(input: {name: $name, permissions: $permissions, description: "ours"}) {
    role { name builtIn patterns permissions }
    errors { code field message }
  }
}
"""

DELETE_ROLE = """
mutation Delete($name: String!) {
  deleteRole(input: {name: $name}) { ok errors { code field message } }
}
"""

PROPERTY_FIELDS = "property { slug name timeZone currency enabledPlugins }"

CREATE_PROPERTY = f"""
mutation Create($slug: String!, $plugins: [String!]!, $timeZone: String! = "UTC") {{
  createProperty(input: {{name: "New place", slug: $slug, plugins: $plugins,
                          timeZone: $timeZone}}) {{
    {PROPERTY_FIELDS}
    errors {{ code field message }}
  }}
}}
"""

UPDATE_PROPERTY = f"""
mutation Update($property: String!, $name: String, $timeZone: String) {{
  updateProperty(input: {{property: $property, name: $name, timeZone: $timeZone}}) {{
    {PROPERTY_FIELDS}
    errors {{ code field message }}
  }}
}}
"""

TOGGLE = """
mutation Toggle($property: String!, $plugin: String!) {
  %s(input: {property: $property, plugin: $plugin}) {
    property { slug enabledPlugins }
    errors { code field message }
  }
}
"""

PROPERTIES = "{ properties { slug } }"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def global_id(type_name: str, pk: object) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def error_codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


def payload_errors(payload: dict[str, Any]) -> list[tuple[str, list[str] | None]]:
    return [(e["code"], e["field"]) for e in payload["errors"]]


def assert_forbidden(result: GraphQLResult, field: str) -> None:
    assert result.status == 200, result.body
    assert error_codes(result) == ["FORBIDDEN"], result.body
    assert result.errors[0]["path"] == [field]
    assert result.data is None or result.data.get(field) is None


async def as_user(
    kit: ConciergeTestKit,
    tenant: TenantRef,
    email: str,
    role: str,
    prop: PropertyRef | None = None,
) -> str:
    """An access token of a new user with ``role`` (on ``prop``, or tenant-wide)."""
    return await kit.token_for(await kit.user(tenant, email, role=role, property=prop))


async def snapshot(kit: ConciergeTestKit) -> dict[str, Any]:
    """What refusals must leave alone: users, memberships, roles, properties, plugins."""
    queries = {
        "users": select(User.email, User.password_hash, User.is_active),
        "memberships": select(Membership.user_id, Membership.property_id, Membership.role),
        "roles": select(CustomRole.name, CustomRole.patterns, CustomRole.description),
        "properties": select(PropertyRow.slug, PropertyRow.name, PropertyRow.time_zone),
        "plugins": select(
            PropertyPlugin.property_id, PropertyPlugin.plugin, PropertyPlugin.enabled
        ),
    }
    async with kit.db.session(Scope.system(), write=False) as session:
        return {
            name: sorted(map(tuple, (await session.execute(query)).all()), key=repr)
            for name, query in queries.items()
        }


async def note_texts(kit: ConciergeTestKit) -> list[str]:
    from notes_plugin.models import NoteRow

    async with kit.db.session(Scope.system(), write=False) as session:
        return sorted(await session.scalars(select(NoteRow.text)))


async def user_id(kit: ConciergeTestKit, email: str) -> int:
    async with kit.db.session(Scope.system(), write=False) as session:
        return await session.scalar(select(User.id).where(User.email == email))


async def acme(kit: ConciergeTestKit) -> tuple[TenantRef, PropertyRef, PropertyRef]:
    tenant = await kit.tenant("acme")
    shop = await kit.property(tenant, "acme-shop", plugins=["test_notes"])
    cafe = await kit.property(tenant, "acme-cafe", plugins=["test_notes"])
    return tenant, shop, cafe


# ---------------------------------------------------------------------------
# Built-in roles
# ---------------------------------------------------------------------------


async def test_built_in_roles_map_to_the_permissions_plugins_register(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    data = (
        await concierge.graphql(
            "{ permissions { name } roles { name builtIn permissions } }", tenant=tenant
        )
    ).ok()
    registry = {p["name"] for p in data["permissions"]}
    assert {"notes:read", "notes:write", "tenant:manage", "property:read"} <= registry
    roles = {r["name"]: r for r in data["roles"]}
    assert set(roles) == {
        "owner",
        "manager",
        "front_desk",
        "housekeeping",
        "housekeeper",
        "warehouse",
        "cashier",
        "viewer",
    }
    assert all(r["builtIn"] for r in roles.values())
    granted = {name: set(r["permissions"]) for name, r in roles.items()}
    assert granted["owner"] == registry
    assert granted["manager"] == registry - {"tenant:manage"}
    assert granted["viewer"] == {p for p in registry if p.endswith(":read")}
    assert {"notes:read", "property:read"} <= granted["viewer"]
    for role in ("front_desk", "housekeeping", "housekeeper", "warehouse", "cashier"):
        assert "property:read" in granted[role], role
        assert not granted[role] & {"notes:read", "notes:write", "members:manage"}, role
        assert granted[role] <= registry


@pytest.mark.parametrize(
    ("role", "may_read", "may_write"),
    [
        ("owner", True, True),
        ("manager", True, True),
        ("viewer", True, False),
        ("front_desk", False, False),
        ("housekeeping", False, False),
        ("housekeeper", False, False),
        ("warehouse", False, False),
        ("cashier", False, False),
    ],
)
async def test_each_built_in_role_on_a_plugins_fields(
    concierge: ConciergeTestKit, role: str, may_read: bool, may_write: bool
) -> None:
    tenant, shop, _ = await acme(concierge)
    token = await as_user(concierge, tenant, f"{role}-user@acme.example", role, shop)

    # Everyone admitted to the property reaches its public fields.
    public = await concierge.graphql("{ currentProperty { slug } }", property=shop, token=token)
    assert public.ok() == {"currentProperty": {"slug": "acme-shop"}}

    read = await concierge.graphql(NOTES_COUNT, property=shop, token=token)
    if may_read:
        assert read.ok() == {"notes": {"totalCount": 1}}
    else:
        assert_forbidden(read, "notes")

    write = await concierge.graphql(ADD_NOTE, property=shop, token=token)
    if may_write:
        assert write.ok() == {"addNote": {"note": {"text": "hello"}, "errors": []}}
        assert await note_texts(concierge) == ["Welcome", "Welcome", "hello"]
    else:
        assert_forbidden(write, "addNote")
        assert await note_texts(concierge) == ["Welcome", "Welcome"]


async def test_a_viewer_reads_notes_but_adding_one_is_forbidden_and_writes_nothing(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, _ = await acme(concierge)
    token = await as_user(concierge, tenant, "vera@acme.example", "viewer")
    read = await concierge.graphql(
        "{ notes { edges { node { text } } } }", property=shop, token=token
    )
    assert read.ok() == {"notes": {"edges": [{"node": {"text": "Welcome"}}]}}

    refused = await concierge.graphql(ADD_NOTE, property=shop, token=token)
    assert refused.status == 200
    assert refused.data is None  # addNote's payload is non-null: the whole data is null
    assert refused.errors == [
        {
            "message": "This needs the permission notes:write",
            "locations": refused.errors[0]["locations"],
            "path": ["addNote"],
            "extensions": {"code": "FORBIDDEN"},
        }
    ]
    assert await note_texts(concierge) == ["Welcome", "Welcome"]


async def test_a_viewer_cannot_manage_the_account(concierge: ConciergeTestKit) -> None:
    tenant, _, _ = await acme(concierge)
    token = await as_user(concierge, tenant, "vera@acme.example", "viewer")
    before = await snapshot(concierge)

    attempts = {
        "createUser": (CREATE_USER, {"email": "x@acme.example", "role": "viewer"}),
        "saveRole": (SAVE_ROLE, {"name": "spy", "permissions": ["notes:read"]}),
        "createProperty": (CREATE_PROPERTY, {"slug": "acme-new", "plugins": []}),
        "updateProperty": (UPDATE_PROPERTY, {"property": "acme-shop", "name": "Mine"}),
        "enablePlugin": (TOGGLE % "enablePlugin", {"property": "acme-shop", "plugin": "pms_rooms"}),
        "disablePlugin": (
            TOGGLE % "disablePlugin",
            {"property": "acme-shop", "plugin": "test_notes"},
        ),
        "members": ("{ members { totalCount } }", None),
    }
    for field, (query, variables) in attempts.items():
        assert_forbidden(await concierge.graphql(query, variables, token=token), field)
    assert await snapshot(concierge) == before


# ---------------------------------------------------------------------------
# Memberships per property
# ---------------------------------------------------------------------------


async def test_a_member_of_one_property_gets_404_on_a_sibling_like_a_missing_one(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, cafe = await acme(concierge)
    token = await as_user(concierge, tenant, "max@acme.example", "manager", shop)

    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=token)).ok()
    sibling = await concierge.graphql(ADD_NOTE, property=cafe, token=token)
    missing = await concierge.graphql(ADD_NOTE, property="acme-nowhere", token=token)
    assert sibling.status == missing.status == 404
    assert error_codes(sibling) == ["PROPERTY_NOT_FOUND"]
    assert "data" not in sibling.body
    assert sibling.response.text.replace("acme-cafe", "<slug>") == missing.response.text.replace(
        "acme-nowhere", "<slug>"
    )
    assert await note_texts(concierge) == ["Welcome", "Welcome"]

    # The account endpoint lists only the property the user may use.
    assert (await concierge.graphql(PROPERTIES, token=token)).ok() == {
        "properties": [{"slug": "acme-shop"}]
    }
    cafe_node = await concierge.graphql(
        "query($id: ID!) { node(id: $id) { id } }",
        {"id": global_id("Property", cafe.id)},
        token=token,
    )
    assert cafe_node.ok() == {"node": None}


async def test_a_property_level_manager_has_no_account_level_powers(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, _ = await acme(concierge)
    token = await as_user(concierge, tenant, "max@acme.example", "manager", shop)
    before = await snapshot(concierge)
    created = await concierge.graphql(
        CREATE_USER,
        {"email": "x@acme.example", "role": "viewer", "property": "acme-shop"},
        token=token,
    )
    assert_forbidden(created, "createUser")
    assert_forbidden(
        await concierge.graphql(CREATE_PROPERTY, {"slug": "acme-new", "plugins": []}, token=token),
        "createProperty",
    )
    assert await snapshot(concierge) == before


async def test_a_tenant_wide_membership_reaches_every_property(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, cafe = await acme(concierge)
    token = await as_user(concierge, tenant, "vera@acme.example", "viewer")
    for prop in (shop, cafe):
        assert (await concierge.graphql(NOTES_COUNT, property=prop, token=token)).ok()
    later = await concierge.property(tenant, "acme-later", plugins=["test_notes"])
    assert (await concierge.graphql(NOTES_COUNT, property=later, token=token)).ok()
    assert (await concierge.graphql(PROPERTIES, token=token)).ok() == {
        "properties": [{"slug": "acme-cafe"}, {"slug": "acme-later"}, {"slug": "acme-shop"}]
    }


async def test_a_role_change_takes_effect_on_the_next_request(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, _ = await acme(concierge)
    vera = await concierge.user(tenant, "vera@acme.example", role="viewer", property=shop)
    token = await concierge.token_for(vera)
    assert_forbidden(await concierge.graphql(ADD_NOTE, property=shop, token=token), "addNote")

    promoted = await concierge.graphql(
        SET_MEMBERSHIP,
        {"user": global_id("User", vera.id), "role": "manager", "property": "acme-shop"},
        tenant=tenant,
    )
    assert promoted.ok()["setMembership"]["errors"] == []
    assert (await concierge.graphql(ADD_NOTE, property=shop, token=token)).ok()

    removed = await concierge.graphql(
        REMOVE_MEMBERSHIP,
        {"user": global_id("User", vera.id), "property": "acme-shop"},
        tenant=tenant,
    )
    assert removed.ok()["removeMembership"] == {
        "user": {"email": "vera@acme.example", "memberships": []},
        "errors": [],
    }
    gone = await concierge.graphql(NOTES_COUNT, property=shop, token=token)
    assert gone.status == 404
    assert error_codes(gone) == ["PROPERTY_NOT_FOUND"]


# ---------------------------------------------------------------------------
# No escalation: nobody grants what they do not hold
# ---------------------------------------------------------------------------


async def test_a_manager_cannot_create_an_owner(concierge: ConciergeTestKit) -> None:
    tenant, _, _ = await acme(concierge)
    token = await as_user(concierge, tenant, "max@acme.example", "manager")
    before = await snapshot(concierge)

    for prop in (None, "acme-shop"):
        result = await concierge.graphql(
            CREATE_USER,
            {"email": "boss@acme.example", "role": "owner", "property": prop},
            token=token,
        )
        payload = result.ok()["createUser"]
        assert payload["user"] is None
        assert payload_errors(payload) == [("PERMISSION_DENIED", ["role"])], prop
        assert "tenant:manage" in payload["errors"][0]["message"]
    assert await snapshot(concierge) == before
    boss = await concierge.login("boss@acme.example", "a long enough password")
    assert boss.ok()["login"]["accessToken"] is None


async def test_a_manager_may_create_roles_they_hold_and_the_new_user_signs_in(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, cafe = await acme(concierge)
    token = await as_user(concierge, tenant, "max@acme.example", "manager")
    created = await concierge.graphql(
        CREATE_USER,
        {"email": "desk@acme.example", "role": "viewer", "property": "acme-shop"},
        token=token,
    )
    payload = created.ok()["createUser"]
    assert payload["errors"] == []
    assert payload["user"]["memberships"] == [{"role": "viewer", "property": {"slug": "acme-shop"}}]

    signed_in = (await concierge.login("desk@acme.example", "a long enough password")).ok()
    desk = signed_in["login"]["accessToken"]
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=desk)).ok()
    assert (await concierge.graphql(NOTES_COUNT, property=cafe, token=desk)).status == 404


async def test_a_manager_cannot_promote_anyone_to_owner(concierge: ConciergeTestKit) -> None:
    tenant, _, _ = await acme(concierge)
    vera = await concierge.user(tenant, "vera@acme.example", role="viewer")
    token = await as_user(concierge, tenant, "max@acme.example", "manager")
    before = await snapshot(concierge)
    for target in (vera.id, await user_id(concierge, "max@acme.example")):
        result = await concierge.graphql(
            SET_MEMBERSHIP, {"user": global_id("User", target), "role": "owner"}, token=token
        )
        assert payload_errors(result.ok()["setMembership"]) == [("PERMISSION_DENIED", ["role"])]
    assert await snapshot(concierge) == before


async def test_a_manager_cannot_demote_or_remove_the_owner(concierge: ConciergeTestKit) -> None:
    tenant, _, _ = await acme(concierge)
    owner = global_id("User", await user_id(concierge, "owner@acme.example"))
    token = await as_user(concierge, tenant, "max@acme.example", "manager")
    before = await snapshot(concierge)

    demoted = await concierge.graphql(
        SET_MEMBERSHIP, {"user": owner, "role": "viewer"}, token=token
    )
    assert payload_errors(demoted.ok()["setMembership"]) == [("PERMISSION_DENIED", ["role"])]
    removed = await concierge.graphql(REMOVE_MEMBERSHIP, {"user": owner}, token=token)
    assert payload_errors(removed.ok()["removeMembership"]) == [("PERMISSION_DENIED", ["role"])]

    assert await snapshot(concierge) == before
    # The owner still holds everything, the tenant itself included: they may make an owner.
    second = await concierge.graphql(
        CREATE_USER, {"email": "second@acme.example", "role": "owner"}, tenant=tenant
    )
    assert second.ok()["createUser"]["errors"] == []


async def test_the_last_owner_cannot_be_demoted_or_removed(concierge: ConciergeTestKit) -> None:
    tenant, _, _ = await acme(concierge)
    owner = global_id("User", await user_id(concierge, "owner@acme.example"))
    before = await snapshot(concierge)

    demoted = await concierge.graphql(
        SET_MEMBERSHIP, {"user": owner, "role": "manager"}, tenant=tenant
    )
    assert payload_errors(demoted.ok()["setMembership"]) == [("CONFLICT", ["role"])]
    removed = await concierge.graphql(REMOVE_MEMBERSHIP, {"user": owner}, tenant=tenant)
    assert payload_errors(removed.ok()["removeMembership"]) == [("CONFLICT", ["id"])]
    assert await snapshot(concierge) == before

    # With a second owner, the first may step down.
    await concierge.user(tenant, "second@acme.example", role="owner")
    stepped = await concierge.graphql(
        SET_MEMBERSHIP, {"user": owner, "role": "manager"}, tenant=tenant
    )
    assert stepped.ok()["setMembership"]["errors"] == []
    assert stepped.ok()["setMembership"]["user"]["memberships"] == [
        {"role": "manager", "property": None}
    ]


async def test_a_member_manager_grants_only_roles_within_what_they_hold(
    concierge: ConciergeTestKit,
) -> None:
    tenant, _, _ = await acme(concierge)
    saved = await concierge.graphql(
        SAVE_ROLE,
        {"name": "team_lead", "permissions": ["members:manage", "property:read"]},
        tenant=tenant,
    )
    assert saved.ok()["saveRole"]["errors"] == []
    token = await as_user(concierge, tenant, "lead@acme.example", "team_lead")
    before = await snapshot(concierge)

    # viewer grants notes:read, which the team lead does not hold; manager and owner more.
    for role in ("viewer", "manager", "owner"):
        for prop in (None, "acme-shop"):
            result = await concierge.graphql(
                CREATE_USER,
                {"email": f"{role}@acme.example", "role": role, "property": prop},
                token=token,
            )
            errors = payload_errors(result.ok()["createUser"])
            assert errors == [("PERMISSION_DENIED", ["role"])], (role, prop)
    assert await snapshot(concierge) == before

    # A role that grants property:read only is within what the team lead holds; a built-in
    # role like front_desk grants the installed plugins' permissions and is not.
    greeter = await concierge.graphql(
        SAVE_ROLE, {"name": "greeter", "permissions": ["property:read"]}, tenant=tenant
    )
    assert greeter.ok()["saveRole"]["errors"] == []
    allowed = await concierge.graphql(
        CREATE_USER,
        {"email": "desk@acme.example", "role": "greeter", "property": "acme-shop"},
        token=token,
    )
    assert allowed.ok()["createUser"]["errors"] == []
    desk = await concierge.graphql(
        CREATE_USER,
        {"email": "desk2@acme.example", "role": "front_desk", "property": "acme-shop"},
        token=token,
    )
    assert payload_errors(desk.ok()["createUser"]) == [("PERMISSION_DENIED", ["role"])]
    # And nobody hands themselves a bigger role.
    lead = global_id("User", await user_id(concierge, "lead@acme.example"))
    result = await concierge.graphql(SET_MEMBERSHIP, {"user": lead, "role": "viewer"}, token=token)
    assert payload_errors(result.ok()["setMembership"]) == [("PERMISSION_DENIED", ["role"])]


async def test_a_role_cannot_be_saved_with_more_than_its_author_holds(
    concierge: ConciergeTestKit,
) -> None:
    tenant, _, _ = await acme(concierge)
    token = await as_user(concierge, tenant, "max@acme.example", "manager")
    before = await snapshot(concierge)
    for patterns in (["*"], ["tenant:*"], ["tenant:manage", "notes:read"]):
        result = await concierge.graphql(
            SAVE_ROLE, {"name": "sneaky", "permissions": patterns}, token=token
        )
        payload = result.ok()["saveRole"]
        assert payload["role"] is None
        assert payload_errors(payload) == [("PERMISSION_DENIED", ["permissions"])], patterns
    assert await snapshot(concierge) == before

    allowed = await concierge.graphql(
        SAVE_ROLE, {"name": "note_taker", "permissions": ["notes:*"]}, token=token
    )
    assert allowed.ok()["saveRole"]["role"]["permissions"] == ["notes:read", "notes:write"]


async def test_a_role_cannot_be_changed_by_someone_who_does_not_hold_it_all(
    concierge: ConciergeTestKit,
) -> None:
    """Narrowing a role demotes everyone who holds it: no more allowed than removing them."""
    tenant, _, _ = await acme(concierge)
    saved = await concierge.graphql(
        SAVE_ROLE, {"name": "co_owner", "permissions": ["*"]}, tenant=tenant
    )
    assert saved.ok()["saveRole"]["errors"] == []
    await concierge.user(tenant, "co@acme.example", role="co_owner")
    token = await as_user(concierge, tenant, "max@acme.example", "manager")
    before = await snapshot(concierge)

    narrowed = await concierge.graphql(
        SAVE_ROLE, {"name": "co_owner", "permissions": ["notes:read"]}, token=token
    )
    payload = narrowed.ok()["saveRole"]
    assert payload["role"] is None
    assert payload_errors(payload) == [("PERMISSION_DENIED", ["name"])]
    assert await snapshot(concierge) == before


# ---------------------------------------------------------------------------
# Tenant roles
# ---------------------------------------------------------------------------


async def test_a_tenant_role_takes_effect_and_changes_take_effect_at_once(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, _ = await acme(concierge)
    saved = await concierge.graphql(
        SAVE_ROLE,
        {"name": "note_taker", "permissions": ["property:read", "notes:*"]},
        tenant=tenant,
    )
    assert saved.ok()["saveRole"] == {
        "role": {
            "name": "note_taker",
            "builtIn": False,
            "patterns": ["property:read", "notes:*"],
            "permissions": ["notes:read", "notes:write", "property:read"],
        },
        "errors": [],
    }
    created = await concierge.graphql(
        CREATE_USER,
        {"email": "nora@acme.example", "role": "note_taker", "property": "acme-shop"},
        tenant=tenant,
    )
    assert created.ok()["createUser"]["errors"] == []
    login = (await concierge.login("nora@acme.example", "a long enough password")).ok()
    token = login["login"]["accessToken"]

    assert (await concierge.graphql(ADD_NOTE, property=shop, token=token)).ok()["addNote"] == {
        "note": {"text": "hello"},
        "errors": [],
    }

    narrowed = await concierge.graphql(
        SAVE_ROLE,
        {"name": "note_taker", "permissions": ["property:read", "notes:read"]},
        tenant=tenant,
    )
    assert narrowed.ok()["saveRole"]["errors"] == []
    # The same token, the next request: the narrower role applies.
    assert_forbidden(await concierge.graphql(ADD_NOTE, property=shop, token=token), "addNote")
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=token)).ok() == {
        "notes": {"totalCount": 2}
    }
    roles = (await concierge.graphql("{ roles { name builtIn } }", token=token)).ok()["roles"]
    assert {"name": "note_taker", "builtIn": False} in roles


async def test_a_tenant_role_in_use_cannot_be_deleted(concierge: ConciergeTestKit) -> None:
    tenant, shop, _ = await acme(concierge)
    await concierge.graphql(
        SAVE_ROLE, {"name": "note_taker", "permissions": ["notes:read"]}, tenant=tenant
    )
    nora = await concierge.user(tenant, "nora@acme.example", role="note_taker", property=shop)
    before = await snapshot(concierge)

    refused = await concierge.graphql(DELETE_ROLE, {"name": "note_taker"}, tenant=tenant)
    assert refused.ok()["deleteRole"]["ok"] is False
    assert payload_errors(refused.ok()["deleteRole"]) == [("CONFLICT", ["name"])]
    assert await snapshot(concierge) == before

    await concierge.graphql(
        REMOVE_MEMBERSHIP,
        {"user": global_id("User", nora.id), "property": "acme-shop"},
        tenant=tenant,
    )
    deleted = await concierge.graphql(DELETE_ROLE, {"name": "note_taker"}, tenant=tenant)
    assert deleted.ok()["deleteRole"] == {"ok": True, "errors": []}
    missing = await concierge.graphql(DELETE_ROLE, {"name": "note_taker"}, tenant=tenant)
    assert payload_errors(missing.ok()["deleteRole"]) == [("NOT_FOUND", ["name"])]


@pytest.mark.parametrize(
    ("name", "patterns", "error"),
    [
        ("owner", ["notes:read"], ("CONFLICT", ["name"])),
        ("Bad Name", ["notes:read"], ("INVALID_INPUT", ["name"])),
        ("reader", ["notes:read", "nothing:matches"], ("INVALID_INPUT", ["permissions", "1"])),
    ],
)
async def test_a_bad_role_is_refused_and_nothing_is_saved(
    concierge: ConciergeTestKit, name: str, patterns: list[str], error: tuple
) -> None:
    tenant, _, _ = await acme(concierge)
    before = await snapshot(concierge)
    result = await concierge.graphql(
        SAVE_ROLE, {"name": name, "permissions": patterns}, tenant=tenant
    )
    assert payload_errors(result.ok()["saveRole"]) == [error]
    assert await snapshot(concierge) == before


async def test_a_membership_with_an_unknown_role_is_refused(concierge: ConciergeTestKit) -> None:
    tenant, _, _ = await acme(concierge)
    before = await snapshot(concierge)
    result = await concierge.graphql(
        CREATE_USER, {"email": "x@acme.example", "role": "wizard"}, tenant=tenant
    )
    assert payload_errors(result.ok()["createUser"]) == [("INVALID_INPUT", ["role"])]
    assert await snapshot(concierge) == before


# ---------------------------------------------------------------------------
# Properties through the account endpoint
# ---------------------------------------------------------------------------


async def test_create_a_property_with_plugins(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    created = await concierge.graphql(
        CREATE_PROPERTY,
        {
            "slug": "acme-hotel",
            "plugins": ["pms_rooms", "pms_housekeeping", "test_notes"],
            "timeZone": "Europe/Lisbon",
        },
        tenant=tenant,
    )
    assert created.ok()["createProperty"] == {
        "property": {
            "slug": "acme-hotel",
            "name": "New place",
            "timeZone": "Europe/Lisbon",
            "currency": "EUR",
            "enabledPlugins": ["pms_housekeeping", "pms_rooms", "test_notes"],
        },
        "errors": [],
    }
    assert (await concierge.graphql(PROPERTIES, tenant=tenant)).ok() == {
        "properties": [{"slug": "acme-hotel"}]
    }
    # The new property answers at once, with its plugins' fields.
    notes = await concierge.graphql(NOTES_COUNT, property="acme-hotel", tenant=tenant)
    assert notes.ok() == {"notes": {"totalCount": 1}}


@pytest.mark.parametrize(
    ("variables", "error"),
    [
        ({"plugins": ["pms_housekeeping"]}, ("PLUGIN_REQUIRED", None)),
        ({"plugins": ["test_notes", "no_such_plugin"]}, ("NOT_FOUND", None)),
        ({"plugins": [], "timeZone": "Mars/Olympus"}, ("INVALID_INPUT", ["timeZone"])),
    ],
)
async def test_a_refused_create_property_creates_nothing(
    concierge: ConciergeTestKit, variables: dict[str, Any], error: tuple
) -> None:
    tenant = await concierge.tenant("acme")
    before = await snapshot(concierge)
    result = await concierge.graphql(
        CREATE_PROPERTY, {"slug": "acme-hotel", **variables}, tenant=tenant
    )
    payload = result.ok()["createProperty"]
    assert payload["property"] is None
    assert payload_errors(payload) == [error]
    if error[0] == "PLUGIN_REQUIRED":
        assert "'pms_rooms'" in payload["errors"][0]["message"]
    assert await snapshot(concierge) == before
    assert (await concierge.graphql(PROPERTIES, tenant=tenant)).ok() == {"properties": []}
    missing = await concierge.graphql(
        "{ currentProperty { slug } }", property="acme-hotel", tenant=tenant
    )
    assert missing.status == 404


async def test_update_a_property_and_a_bad_time_zone_changes_nothing(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, _ = await acme(concierge)
    before = await snapshot(concierge)
    bad = await concierge.graphql(
        UPDATE_PROPERTY,
        {"property": "acme-shop", "name": "Renamed", "timeZone": "Europe/Atlantis"},
        tenant=tenant,
    )
    payload = bad.ok()["updateProperty"]
    assert payload["property"] is None
    assert payload_errors(payload) == [("INVALID_INPUT", ["timeZone"])]
    assert await snapshot(concierge) == before
    current = "{ currentProperty { name timeZone } }"
    assert (await concierge.graphql(current, property=shop)).ok() == {
        "currentProperty": {"name": "Acme Shop", "timeZone": "UTC"}
    }

    good = await concierge.graphql(
        UPDATE_PROPERTY,
        {"property": "acme-shop", "name": "Renamed", "timeZone": "Europe/Berlin"},
        tenant=tenant,
    )
    assert good.ok()["updateProperty"]["errors"] == []
    assert good.ok()["updateProperty"]["property"]["timeZone"] == "Europe/Berlin"
    assert (await concierge.graphql(current, property=shop)).ok() == {
        "currentProperty": {"name": "Renamed", "timeZone": "Europe/Berlin"}
    }


async def test_enable_and_disable_plugins_change_what_the_property_answers(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    hotel = await concierge.property(tenant, "acme-hotel")

    absent = await concierge.graphql(NOTES_COUNT, property=hotel)
    assert absent.status == 400  # a field of a plugin the property has not enabled
    assert "data" not in absent.body
    assert "notes" in absent.errors[0]["message"]

    enabled = await concierge.graphql(
        TOGGLE % "enablePlugin", {"property": "acme-hotel", "plugin": "test_notes"}, tenant=tenant
    )
    assert enabled.ok()["enablePlugin"] == {
        "property": {"slug": "acme-hotel", "enabledPlugins": ["test_notes"]},
        "errors": [],
    }
    assert (await concierge.graphql(NOTES_COUNT, property=hotel)).ok() == {
        "notes": {"totalCount": 1}
    }

    needs_rooms = await concierge.graphql(
        TOGGLE % "enablePlugin",
        {"property": "acme-hotel", "plugin": "pms_housekeeping"},
        tenant=tenant,
    )
    assert payload_errors(needs_rooms.ok()["enablePlugin"]) == [("PLUGIN_REQUIRED", None)]

    disabled = await concierge.graphql(
        TOGGLE % "disablePlugin", {"property": "acme-hotel", "plugin": "test_notes"}, tenant=tenant
    )
    assert disabled.ok()["disablePlugin"]["property"]["enabledPlugins"] == []
    assert (await concierge.graphql(NOTES_COUNT, property=hotel)).status == 400


async def test_a_field_of_a_plugin_not_enabled_is_a_validation_error_and_writes_nothing(
    concierge: ConciergeTestKit,
) -> None:
    tenant, _, _ = await acme(concierge)
    plain = await concierge.property(tenant, "acme-plain")
    result = await concierge.graphql(ADD_NOTE, property=plain)
    assert result.status == 400
    assert "data" not in result.body
    assert error_codes(result) != ["FORBIDDEN"]
    assert await note_texts(concierge) == ["Welcome", "Welcome"]


# ---------------------------------------------------------------------------
# Other tenants' objects
# ---------------------------------------------------------------------------


async def test_another_tenants_ids_answer_as_not_found_and_change_nothing(
    concierge: ConciergeTestKit,
) -> None:
    tenant, shop, _ = await acme(concierge)
    vera = await concierge.user(tenant, "vera@acme.example", role="viewer")
    globex = await concierge.tenant("globex")
    await concierge.property(globex, "globex-shop")
    before = await snapshot(concierge)

    foreign_user = global_id("User", vera.id)
    unknown_user = global_id("User", 999_999)
    looked_up = await concierge.graphql(
        "query($ids: [ID!]!) { nodes(ids: $ids) { id } }",
        {"ids": [foreign_user, global_id("Property", shop.id), unknown_user]},
        tenant=globex,
    )
    assert looked_up.ok() == {"nodes": [None, None, None]}

    for user in (foreign_user, unknown_user):
        promoted = await concierge.graphql(
            SET_MEMBERSHIP, {"user": user, "role": "owner"}, tenant=globex
        )
        assert payload_errors(promoted.ok()["setMembership"]) == [("NOT_FOUND", ["userId"])]
        removed = await concierge.graphql(REMOVE_MEMBERSHIP, {"user": user}, tenant=globex)
        assert payload_errors(removed.ok()["removeMembership"]) == [("NOT_FOUND", ["user"])]

    answers = []
    for slug in ("acme-shop", "no-such-place"):
        result = await concierge.graphql(
            UPDATE_PROPERTY, {"property": slug, "name": "Taken over"}, tenant=globex
        )
        answers.append(result.ok()["updateProperty"])
        toggled = await concierge.graphql(
            TOGGLE % "disablePlugin", {"property": slug, "plugin": "test_notes"}, tenant=globex
        )
        answers.append(toggled.ok()["disablePlugin"])
        created = await concierge.graphql(
            CREATE_USER,
            {"email": f"spy-{slug}@globex.example", "role": "viewer", "property": slug},
            tenant=globex,
        )
        answers.append(created.ok()["createUser"])
    assert answers[:3] == answers[3:]  # acme's slug answers like one that does not exist
    assert all(payload_errors(a) == [("NOT_FOUND", ["property"])] for a in answers)

    members = await concierge.graphql("{ members { edges { node { email } } } }", tenant=globex)
    assert members.ok()["members"]["edges"] == [{"node": {"email": "owner@globex.example"}}]
    assert (await concierge.graphql(PROPERTIES, tenant=globex)).ok() == {
        "properties": [{"slug": "globex-shop"}]
    }
    assert await snapshot(concierge) == before


async def test_a_user_signs_in_with_their_own_tenant_only(concierge: ConciergeTestKit) -> None:
    _, shop, _ = await acme(concierge)
    globex = await concierge.tenant("globex")
    globex_shop = await concierge.property(globex, "globex-shop", plugins=["test_notes"])
    token = (await concierge.login("owner@globex.example", TEST_PASSWORD)).ok()["login"][
        "accessToken"
    ]
    assert (await concierge.graphql("{ tenant { slug } }", token=token)).ok() == {
        "tenant": {"slug": "globex"}
    }
    assert (await concierge.graphql(NOTES_COUNT, property=globex_shop, token=token)).ok()
    assert (await concierge.graphql(NOTES_COUNT, property=shop, token=token)).status == 404
