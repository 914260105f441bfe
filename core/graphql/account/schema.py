"""Root fields of the account endpoint (``/graphql``): sign-in, the tenant, its
properties, members, roles and API keys, and the plugin catalogue.

Thin: each field checks its guard, then calls the services in core.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from core import apikeys, sessions, tenancy, users
from core.db import Scope
from core.errors import CoreErrorCode, DomainError, NotFound
from core.graphql.account.types import (
    AddressInput,
    ApiKey,
    ApiKeyKindEnum,
    ApiKeyPayload,
    AuthPayload,
    DeletePayload,
    LogoutPayload,
    MembershipPayload,
    PermissionInfo,
    PluginInfo,
    Property,
    PropertyPayload,
    RoleInfo,
    RolePayload,
    Tenant,
    TenantPayload,
    User,
    UserPayload,
    may_see_property,
)
from core.graphql.errors import ClientError, CoreError
from core.graphql.mutations import in_transaction
from core.graphql.permissions import anyone, requires, signed_in
from core.graphql.relay import Connection, paginate, parse_pk, resolve_global_ids
from core.permissions import BUILT_IN_ROLES, expand, role_permissions

P = TypeVar("P")


async def _in_transaction(
    info: Info, work: Callable[[AsyncSession], Awaitable[P]], payload: Callable[..., P]
) -> P:
    return await in_transaction(info, work, payload, CoreError, CoreErrorCode)


async def _property(session: AsyncSession, slug: str) -> tenancy.Property:
    prop = await tenancy.get_property_by_slug(session, slug)
    if prop is None:
        raise NotFound("property", field=["property"])
    return prop


def _require_on(info: Info, permission: str, property_id: int | None) -> None:
    """Permission checks that depend on which property the input names."""
    principal = info.context.principal
    if property_id is not None and not principal.may_use_property(property_id):
        raise NotFound("property", field=["property"])  # not yours looks like not there
    if permission not in principal.permissions_on(property_id):
        raise DomainError(
            CoreErrorCode.PERMISSION_DENIED, f"this needs the permission {permission}"
        )


def _client_address(info: Info) -> str:
    request = info.context.request
    client = getattr(request, "client", None)
    return client.host if client else "unknown"


def _auth_payload(issued: sessions.IssuedTokens) -> AuthPayload:
    return AuthPayload(
        access_token=issued.access_token,
        access_token_expires_at=issued.access_expires_at,
        refresh_token=issued.refresh_token,
        refresh_token_expires_at=issued.refresh_expires_at,
        user=User.from_row(issued.user),
    )


async def _role_info(session: AsyncSession, registry: list[str]) -> list[RoleInfo]:
    roles = [
        RoleInfo(
            name=role.name,
            description=role.description,
            built_in=True,
            patterns=list(role.patterns),
            permissions=sorted(role_permissions(role.name, registry)),
        )
        for role in BUILT_IN_ROLES.values()
    ]
    for row in await session.scalars(select(users.CustomRole).order_by(users.CustomRole.name)):
        roles.append(
            RoleInfo(
                name=row.name,
                description=row.description,
                built_in=False,
                patterns=list(row.patterns),
                permissions=sorted(expand(row.patterns, registry)),
            )
        )
    return roles


# -- inputs -------------------------------------------------------------------


@strawberry.input
class UpdateTenantInput:
    name: str


@strawberry.input
class LoginInput:
    email: str
    password: str


@strawberry.input
class RefreshSessionInput:
    refresh_token: str


@strawberry.input
class ChangePasswordInput:
    current_password: str
    new_password: str


@strawberry.input
class CreatePropertyInput:
    name: str
    slug: str
    time_zone: str = "UTC"
    currency: str = "EUR"
    locale: str = "en"
    address: AddressInput | None = None
    plugins: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class UpdatePropertyInput:
    property: str = strawberry.field(description="The property's slug.")
    name: str | None = None
    time_zone: str | None = None
    currency: str | None = None
    locale: str | None = None
    address: AddressInput | None = None


@strawberry.input
class PluginOnPropertyInput:
    property: str
    plugin: str


@strawberry.input
class CreateUserInput:
    email: str
    name: str
    password: str
    role: str
    property: str | None = strawberry.field(
        default=None, description="A property's slug; null gives the role on every property."
    )


@strawberry.input
class SetMembershipInput:
    user: relay.GlobalID
    role: str
    property: str | None = None


@strawberry.input
class RemoveMembershipInput:
    user: relay.GlobalID
    property: str | None = None


@strawberry.input
class SetUserActiveInput:
    user: relay.GlobalID
    active: bool


@strawberry.input
class SaveRoleInput:
    name: str
    permissions: list[str] = strawberry.field(
        description="Patterns: orders:write, orders:*, *:read"
    )
    description: str = ""


@strawberry.input
class DeleteRoleInput:
    name: str


@strawberry.input
class CreateApiKeyInput:
    property: str
    name: str
    kind: ApiKeyKindEnum  # type: ignore[valid-type]
    permissions: list[str] = strawberry.field(default_factory=list)


@strawberry.input
class RevokeApiKeyInput:
    id: relay.GlobalID


async def _membership(
    session: AsyncSession, user_id: int, property_id: int | None
) -> users.Membership | None:
    """The user's membership on ``property_id`` (tenant-wide when None), if any."""
    return await session.scalar(
        select(users.Membership).where(
            users.Membership.user_id == user_id,
            users.Membership.property_id.is_(None)
            if property_id is None
            else users.Membership.property_id == property_id,
        )
    )


def _pk_of(gid: relay.GlobalID, type_name: str, what: str, field: str) -> int:
    """The primary key a global ID names, or NOT_FOUND (wrong type, not a 64-bit id)."""
    pk = parse_pk(gid.node_id) if gid.type_name == type_name else None
    if pk is None:
        raise NotFound(what, field=[field])
    return pk


def _user_pk(gid: relay.GlobalID) -> int:
    return _pk_of(gid, "User", "user", "user")


# -- queries ------------------------------------------------------------------


@strawberry.type
class AccountQuery:
    @strawberry.field(
        description="The signed-in user; null otherwise.", permission_classes=anyone()
    )
    async def me(self, info: Info) -> User | None:
        principal = info.context.principal
        if principal is None or principal.user_id is None:
            return None
        async with info.context.db() as session:
            row = await session.get(users.User, principal.user_id)
        return User.from_row(row) if row else None

    @strawberry.field(permission_classes=signed_in())
    async def tenant(self, info: Info) -> Tenant:
        async with info.context.db() as session:
            row = await session.get(tenancy.Tenant, info.context.principal.tenant_id)
        return Tenant(name=row.name, slug=row.slug)

    @strawberry.field(description="The properties you may use.", permission_classes=signed_in())
    async def properties(self, info: Info) -> list[Property]:
        principal = info.context.principal
        async with info.context.db() as session:
            rows = await session.scalars(select(tenancy.Property).order_by(tenancy.Property.slug))
            return [Property.from_row(row) for row in rows if may_see_property(principal, row.id)]

    @strawberry.field(permission_classes=requires("members:manage"))
    async def members(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[User]:
        page = await paginate(
            info, select(users.User), sort_key=users.User.email, pk=users.User.id,
            first=first, after=after,
        )  # fmt: skip
        return page.to_connection(User.from_row)

    @strawberry.field(permission_classes=signed_in())
    async def roles(self, info: Info) -> list[RoleInfo]:
        async with info.context.db() as session:
            return await _role_info(session, list(info.context.runtime.permissions))

    @strawberry.field(
        description="Every permission the core and the installed plugins check.",
        permission_classes=signed_in(),
    )
    def permissions(self, info: Info) -> list[PermissionInfo]:
        registry = info.context.runtime.permissions
        return [
            PermissionInfo(name=p.name, description=p.description)
            for p in sorted(registry.values(), key=lambda p: p.name)
        ]

    @strawberry.field(description="The keys of one property.", permission_classes=signed_in())
    async def api_keys(self, info: Info, property: str) -> list[ApiKey]:
        async with info.context.db() as session:
            prop = await tenancy.get_property_by_slug(session, property)
            if prop is None or "apikeys:manage" not in info.context.principal.permissions_on(
                prop.id
            ):
                return []
            rows = await session.scalars(
                select(apikeys.ApiKey)
                .where(apikeys.ApiKey.property_id == prop.id)
                .order_by(apikeys.ApiKey.id)
            )
            return [ApiKey.from_row(row) for row in rows]

    @strawberry.field(
        description="The plugins installed on this server.", permission_classes=signed_in()
    )
    def installed_plugins(self, info: Info) -> list[PluginInfo]:
        plugins = info.context.runtime.host.plugins.values()
        return [
            PluginInfo(
                name=p.name, version=p.version, description=p.description,
                requires=list(p.requires),
            )
            for p in sorted(plugins, key=lambda p: p.name)
        ]  # fmt: skip

    @strawberry.field(
        description="Any object by its global ID; null when not found or not yours to see.",
        permission_classes=signed_in(),
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await resolve_global_ids(info, [id]))[0]

    @strawberry.field(permission_classes=signed_in())
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > info.context.settings.limits.max_page_size:
            raise ClientError("too many ids", code="TOO_MANY_IDS")
        return await resolve_global_ids(info, ids)


# -- mutations ----------------------------------------------------------------


@strawberry.type
class AccountMutation:
    @strawberry.mutation(
        description="Sign in with e-mail and password.", permission_classes=anyone()
    )
    async def login(self, info: Info, input: LoginInput) -> AuthPayload:
        runtime = info.context.runtime
        user_agent = (
            info.context.request.headers.get("user-agent") if info.context.request else None
        )
        # The attempt is recorded whatever the outcome, so this commits on failure too.
        async with runtime.events.transaction(Scope.system()) as session:
            outcome = await sessions.login(
                session,
                email=input.email,
                password=input.password,
                client_address=_client_address(info),
                user_agent=user_agent,
                settings=runtime.settings,
                clock=runtime.clock,
            )
        if outcome is sessions.LoginFailure.RATE_LIMITED:
            return AuthPayload(
                errors=[CoreError(
                    code=CoreErrorCode.RATE_LIMITED,
                    message="too many failed sign-ins; try again in a few minutes",
                )]
            )  # fmt: skip
        if outcome is sessions.LoginFailure.INVALID_CREDENTIALS:
            return AuthPayload(
                errors=[CoreError(
                    code=CoreErrorCode.INVALID_CREDENTIALS, message="wrong e-mail or password",
                )]
            )  # fmt: skip
        return _auth_payload(outcome)

    @strawberry.mutation(
        description="Trade a refresh token for new tokens; the old one stops working.",
        permission_classes=anyone(),
    )
    async def refresh_session(self, info: Info, input: RefreshSessionInput) -> AuthPayload:
        runtime = info.context.runtime
        async with runtime.events.transaction(Scope.system()) as session:
            issued = await sessions.refresh(
                session, refresh_token=input.refresh_token, settings=runtime.settings,
                clock=runtime.clock,
            )  # fmt: skip
        if issued is None:
            return AuthPayload(
                errors=[CoreError(
                    code=CoreErrorCode.INVALID_TOKEN,
                    message="this refresh token is not valid; sign in again",
                    field=["refreshToken"],
                )]
            )  # fmt: skip
        return _auth_payload(issued)

    @strawberry.mutation(description="End this sign-in session.", permission_classes=signed_in())
    async def logout(self, info: Info) -> LogoutPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> LogoutPayload:
            await sessions.revoke_session(
                session, principal.session_id, reason="logout", clock=info.context.clock
            )
            return LogoutPayload(ok=True)

        return await _in_transaction(info, work, LogoutPayload)

    @strawberry.mutation(
        description="Change your password; your other sessions end.",
        permission_classes=signed_in(),
    )
    async def change_password(self, info: Info, input: ChangePasswordInput) -> UserPayload:
        principal = info.context.principal
        clock = info.context.clock
        # The check of the current password is recorded (and rate-limited) whatever
        # its outcome, so it commits in a transaction of its own.
        async with info.context.transaction() as session:
            user = await session.get(users.User, principal.user_id)
            checked = await sessions.check_password_attempt(
                session, email=user.email, client_address=_client_address(info),
                password=input.current_password, password_hash=user.password_hash, clock=clock,
            )  # fmt: skip
        if checked is sessions.LoginFailure.RATE_LIMITED:
            return UserPayload(
                errors=[CoreError(
                    code=CoreErrorCode.RATE_LIMITED,
                    message="too many wrong passwords; try again in a few minutes",
                    field=["currentPassword"],
                )]
            )  # fmt: skip
        if not checked:
            return UserPayload(
                errors=[CoreError(
                    code=CoreErrorCode.INVALID_CREDENTIALS,
                    message="the current password is wrong",
                    field=["currentPassword"],
                )]
            )  # fmt: skip

        async def work(session: AsyncSession) -> UserPayload:
            user = await session.get(users.User, principal.user_id)
            await users.set_password(session, user, new=input.new_password, clock=clock)
            await sessions.revoke_other_sessions(
                session, user_id=user.id, keep_session_id=principal.session_id,
                reason="password_changed", clock=clock,
            )  # fmt: skip
            return UserPayload(user=User.from_row(user))

        return await _in_transaction(info, work, UserPayload)

    @strawberry.mutation(
        description="Rename the tenant.", permission_classes=requires("tenant:manage")
    )
    async def update_tenant(self, info: Info, input: UpdateTenantInput) -> TenantPayload:
        async def work(session: AsyncSession) -> TenantPayload:
            tenant = await tenancy.rename_tenant(
                session, info.context.principal.tenant_id, input.name
            )
            return TenantPayload(tenant=Tenant(name=tenant.name, slug=tenant.slug))

        return await _in_transaction(info, work, TenantPayload)

    @strawberry.mutation(permission_classes=requires("properties:manage"))
    async def create_property(self, info: Info, input: CreatePropertyInput) -> PropertyPayload:
        context = info.context

        async def work(session: AsyncSession) -> PropertyPayload:
            prop = await tenancy.create_property(
                session,
                tenant_id=context.principal.tenant_id,
                name=input.name,
                slug=input.slug,
                time_zone=input.time_zone,
                currency=input.currency,
                locale=input.locale,
                address=input.address.to_fields() if input.address else None,
                clock=context.clock,
            )
            for plugin in input.plugins:
                await tenancy.enable_plugin(
                    session, context.runtime.host, prop, plugin, clock=context.clock
                )
            return PropertyPayload(property=Property.from_row(prop))

        return await _in_transaction(info, work, PropertyPayload)

    @strawberry.mutation(permission_classes=requires("properties:manage"))
    async def update_property(self, info: Info, input: UpdatePropertyInput) -> PropertyPayload:
        async def work(session: AsyncSession) -> PropertyPayload:
            prop = await _property(session, input.property)
            await tenancy.update_property(
                session,
                prop,
                name=input.name,
                time_zone=input.time_zone,
                currency=input.currency,
                locale=input.locale,
                address=input.address.to_fields() if input.address else None,
            )
            return PropertyPayload(property=Property.from_row(prop))

        return await _in_transaction(info, work, PropertyPayload)

    @strawberry.mutation(permission_classes=requires("properties:manage"))
    async def enable_plugin(self, info: Info, input: PluginOnPropertyInput) -> PropertyPayload:
        return await _toggle_plugin(info, input, enable=True)

    @strawberry.mutation(
        description="Disable a plugin; its data stays and comes back when enabled again.",
        permission_classes=requires("properties:manage"),
    )
    async def disable_plugin(self, info: Info, input: PluginOnPropertyInput) -> PropertyPayload:
        return await _toggle_plugin(info, input, enable=False)

    @strawberry.mutation(permission_classes=requires("members:manage"))
    async def create_user(self, info: Info, input: CreateUserInput) -> UserPayload:
        context = info.context

        async def work(session: AsyncSession) -> UserPayload:
            property_id = (await _property(session, input.property)).id if input.property else None
            _check_grantable(info, input.role, property_id, await users.custom_roles(session))
            user = await users.create_user(
                session, email=input.email, name=input.name, password=input.password,
                clock=context.clock,
            )  # fmt: skip
            await users.set_membership(
                session, user_id=user.id, property_id=property_id, role=input.role,
                clock=context.clock,
            )  # fmt: skip
            return UserPayload(user=User.from_row(user))

        return await _in_transaction(info, work, UserPayload)

    @strawberry.mutation(permission_classes=requires("members:manage"))
    async def set_membership(self, info: Info, input: SetMembershipInput) -> MembershipPayload:
        context = info.context

        async def work(session: AsyncSession) -> MembershipPayload:
            user_id = _user_pk(input.user)
            property_id = (await _property(session, input.property)).id if input.property else None
            custom = await users.custom_roles(session)
            _check_grantable(info, input.role, property_id, custom)
            # Replacing a role takes it away: allowed only to whoever could grant it.
            current = await _membership(session, user_id, property_id)
            if current is not None:
                _check_grantable(info, current.role, property_id, custom)
            await users.set_membership(
                session, user_id=user_id, property_id=property_id, role=input.role,
                clock=context.clock,
            )  # fmt: skip
            user = await session.get(users.User, user_id)
            return MembershipPayload(user=User.from_row(user))

        return await _in_transaction(info, work, MembershipPayload)

    @strawberry.mutation(permission_classes=requires("members:manage"))
    async def remove_membership(
        self, info: Info, input: RemoveMembershipInput
    ) -> MembershipPayload:
        async def work(session: AsyncSession) -> MembershipPayload:
            user_id = _user_pk(input.user)
            property_id = (await _property(session, input.property)).id if input.property else None
            membership = await _membership(session, user_id, property_id)
            if membership is None:
                raise NotFound("membership", field=["user"])
            _check_grantable(info, membership.role, property_id, await users.custom_roles(session))
            await users.remove_membership(session, membership.id)
            user = await session.get(users.User, user_id)
            return MembershipPayload(user=User.from_row(user))

        return await _in_transaction(info, work, MembershipPayload)

    @strawberry.mutation(
        description="Deactivate a user (their sessions end, they cannot sign in) or "
        "activate them again.",
        permission_classes=requires("members:manage"),
    )
    async def set_user_active(self, info: Info, input: SetUserActiveInput) -> UserPayload:
        principal = info.context.principal

        async def work(session: AsyncSession) -> UserPayload:
            user_id = _user_pk(input.user)
            user = await session.get(users.User, user_id)
            if user is None:
                raise NotFound("user", field=["user"])
            if user.id == principal.user_id:
                raise DomainError(
                    CoreErrorCode.INVALID_INPUT,
                    "you cannot switch your own account on or off",
                    field=["user"],
                )
            # Only someone who could grant all of the user's roles may switch them off.
            custom = await users.custom_roles(session)
            for membership in await session.scalars(
                select(users.Membership).where(users.Membership.user_id == user.id)
            ):
                _check_grantable(info, membership.role, membership.property_id, custom)
            if not input.active and user.is_active:
                owner = await session.scalar(
                    select(users.Membership.id).where(
                        users.Membership.user_id == user.id,
                        users.Membership.property_id.is_(None),
                        users.Membership.role == "owner",
                    )
                )
                if owner is not None:
                    await users.keep_an_owner(session, field="user")
            user.is_active = input.active
            if not input.active:
                await sessions.revoke_other_sessions(
                    session, user_id=user.id, keep_session_id=None, reason="deactivated",
                    clock=info.context.clock,
                )  # fmt: skip
            await session.flush()
            return UserPayload(user=User.from_row(user))

        return await _in_transaction(info, work, UserPayload)

    @strawberry.mutation(
        description="Create or update one of the tenant's own roles.",
        permission_classes=requires("roles:manage"),
    )
    async def save_role(self, info: Info, input: SaveRoleInput) -> RolePayload:
        registry = list(info.context.runtime.permissions)

        async def work(session: AsyncSession) -> RolePayload:
            held = info.context.principal.permissions_on(None)
            # Changing a role changes what everyone holding it may do: like taking a
            # membership away, only for whoever could grant all the role grants now.
            current = (await users.custom_roles(session)).get(input.name)
            taken = sorted(expand(current, registry) - held) if current is not None else []
            if taken:
                raise DomainError(
                    CoreErrorCode.PERMISSION_DENIED,
                    f"role {input.name!r} grants what you do not hold: {', '.join(taken[:5])}",
                    field=["name"],
                )
            row = await users.save_role(
                session, name=input.name, patterns=input.permissions,
                description=input.description, registry=registry, clock=info.context.clock,
            )  # fmt: skip
            granted = expand(row.patterns, registry)
            beyond = sorted(granted - held)
            if beyond:
                raise DomainError(
                    CoreErrorCode.PERMISSION_DENIED,
                    f"a role cannot grant what you do not hold: {', '.join(beyond)}",
                    field=["permissions"],
                )
            return RolePayload(
                role=RoleInfo(
                    name=row.name, description=row.description, built_in=False,
                    patterns=list(row.patterns), permissions=sorted(granted),
                )
            )  # fmt: skip

        return await _in_transaction(info, work, RolePayload)

    @strawberry.mutation(permission_classes=requires("roles:manage"))
    async def delete_role(self, info: Info, input: DeleteRoleInput) -> DeletePayload:
        async def work(session: AsyncSession) -> DeletePayload:
            await users.delete_role(session, input.name)
            return DeletePayload(ok=True)

        return await _in_transaction(info, work, DeletePayload)

    @strawberry.mutation(
        description="A key for a machine client of one property; its secret is shown once.",
        permission_classes=signed_in(),
    )
    async def create_api_key(self, info: Info, input: CreateApiKeyInput) -> ApiKeyPayload:
        context = info.context

        async def work(session: AsyncSession) -> ApiKeyPayload:
            prop = await _property(session, input.property)
            _require_on(info, "apikeys:manage", prop.id)
            async with tenancy.property_scoped(session, prop) as scoped:
                key, secret = await apikeys.create_api_key(
                    scoped,
                    name=input.name,
                    kind=input.kind,
                    permissions=input.permissions,
                    grantable=context.principal.permissions_on(prop.id),
                    created_by_user_id=context.principal.user_id,
                    clock=context.clock,
                )
            return ApiKeyPayload(api_key=ApiKey.from_row(key), secret=secret)

        return await _in_transaction(info, work, ApiKeyPayload)

    @strawberry.mutation(permission_classes=signed_in())
    async def revoke_api_key(self, info: Info, input: RevokeApiKeyInput) -> ApiKeyPayload:
        async def work(session: AsyncSession) -> ApiKeyPayload:
            key = await session.get(apikeys.ApiKey, _pk_of(input.id, "ApiKey", "API key", "id"))
            if key is None:
                raise NotFound("API key", field=["id"])
            _require_on(info, "apikeys:manage", key.property_id)
            key = await apikeys.revoke_api_key(session, key.id, clock=info.context.clock)
            return ApiKeyPayload(api_key=ApiKey.from_row(key))

        return await _in_transaction(info, work, ApiKeyPayload)


async def _toggle_plugin(info: Info, input: PluginOnPropertyInput, *, enable: bool) -> Any:
    context = info.context

    async def work(session: AsyncSession) -> PropertyPayload:
        prop = await _property(session, input.property)
        toggle = tenancy.enable_plugin if enable else tenancy.disable_plugin
        await toggle(session, context.runtime.host, prop, input.plugin, clock=context.clock)
        return PropertyPayload(property=Property.from_row(prop))

    return await _in_transaction(info, work, PropertyPayload)


def _check_grantable(
    info: Info, role: str, property_id: int | None, custom: dict[str, tuple[str, ...]]
) -> None:
    """Nobody hands out more than they hold: the role's grants must be the caller's."""
    registry = list(info.context.runtime.permissions)
    granted = role_permissions(role, registry, custom)
    held = info.context.principal.permissions_on(property_id)
    beyond = sorted(granted - held)
    if beyond:
        raise DomainError(
            CoreErrorCode.PERMISSION_DENIED,
            f"role {role!r} grants what you do not hold: {', '.join(beyond[:5])}",
            field=["role"],
        )
