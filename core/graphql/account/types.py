"""GraphQL types of the account endpoint (``/graphql``): users, properties, roles, keys."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import ClassVar

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from core.apikeys import ApiKey as ApiKeyRow
from core.apikeys import ApiKeyKind
from core.db import Scope
from core.graphql.errors import CoreError
from core.graphql.relay import load_nodes
from core.tenancy import ADDRESS_FIELDS, enabled_plugins
from core.tenancy import Property as PropertyRow
from core.users import Membership as MembershipRow
from core.users import User as UserRow

ApiKeyKindEnum = strawberry.enum(ApiKeyKind, name="ApiKeyKind")


@asynccontextmanager
async def _read_session(info: Info, tenant_id: int) -> AsyncIterator[AsyncSession]:
    """A read session for fields of an object loaded from ``tenant_id``.

    Normally the request's own session. The payload of ``login`` and
    ``refreshSession`` is the exception: that request carries no credential
    of the user's tenant (usually none at all), so the user's memberships
    are read in a short session scoped to the tenant the user was loaded from.
    """
    principal = info.context.principal
    if principal is not None and principal.tenant_id == tenant_id:
        async with info.context.db() as session:
            yield session
        return
    async with info.context.runtime.db.session(Scope.tenant(tenant_id), write=False) as session:
        yield session


@strawberry.type(description="A postal address.")
class Address:
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country: str = strawberry.field(description="ISO 3166 alpha-2 code, or empty.")


@strawberry.input(description="A postal address; fields left out stay as they are.")
class AddressInput:
    line1: str | None = None
    line2: str | None = None
    city: str | None = None
    postal_code: str | None = None
    region: str | None = None
    country: str | None = None

    def to_fields(self) -> dict[str, str]:
        values = {
            "address_line1": self.line1,
            "address_line2": self.line2,
            "city": self.city,
            "postal_code": self.postal_code,
            "region": self.region,
            "country": self.country,
        }
        assert set(values) == set(ADDRESS_FIELDS)
        return {key: value for key, value in values.items() if value is not None}


@strawberry.type(description="A shop, hotel or resort of the tenant.")
class Property(relay.Node):
    # Visible to members of the property (checked in resolve_nodes), not by permission.
    read_permission: ClassVar[str | None] = None

    id: relay.NodeID[int]
    name: str
    slug: str
    time_zone: str
    currency: str
    locale: str
    address: Address
    created_at: dt.datetime
    tenant_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: PropertyRow) -> Property:
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            name=row.name,
            slug=row.slug,
            time_zone=row.time_zone,
            currency=row.currency,
            locale=row.locale,
            address=Address(
                line1=row.address_line1,
                line2=row.address_line2,
                city=row.city,
                postal_code=row.postal_code,
                region=row.region,
                country=row.country,
            ),
            created_at=row.created_at,
        )

    @strawberry.field(description="Plugins this property runs.")
    async def enabled_plugins(self, info: Info) -> list[str]:
        async with _read_session(info, self.tenant_id) as session:
            return sorted(await enabled_plugins(session, self.id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        principal = info.context.principal
        nodes = await load_nodes(info, PropertyRow, node_ids, cls.from_row)
        return [n if n and may_see_property(principal, n.id) else None for n in nodes]


def may_see_property(principal: object, property_id: int) -> bool:
    """Members holding ``property:read`` there (every built-in role grants it)."""
    return principal is not None and "property:read" in principal.permissions_on(property_id)


@strawberry.type(description="A role a user holds on one property, or on all of them.")
class Membership:
    id: strawberry.ID
    role: str
    property: Property | None = strawberry.field(
        description="Null when the role applies to every property of the tenant."
    )


@strawberry.type(description="A person who signs in.")
class User(relay.Node):
    read_permission: ClassVar[str | None] = "members:manage"

    id: relay.NodeID[int]
    email: str
    name: str
    is_active: bool
    created_at: dt.datetime
    tenant_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: UserRow) -> User:
        return cls(
            id=row.id,
            tenant_id=row.tenant_id,
            email=row.email,
            name=row.name,
            is_active=row.is_active,
            created_at=row.created_at,
        )

    @strawberry.field
    async def memberships(self, info: Info) -> list[Membership]:
        async with _read_session(info, self.tenant_id) as session:
            rows = (
                await session.execute(
                    select(MembershipRow, PropertyRow)
                    .outerjoin(PropertyRow, PropertyRow.id == MembershipRow.property_id)
                    .where(MembershipRow.user_id == self.id)
                    .order_by(MembershipRow.id)
                )
            ).all()
        return [
            Membership(
                id=strawberry.ID(str(m.id)),
                role=m.role,
                property=Property.from_row(p) if p is not None else None,
            )
            for m, p in rows
        ]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await load_nodes(info, UserRow, node_ids, cls.from_row)


@strawberry.type(description="A key for a machine client of one property.")
class ApiKey(relay.Node):
    read_permission: ClassVar[str | None] = "apikeys:manage"

    id: relay.NodeID[int]
    name: str
    kind: ApiKeyKindEnum  # type: ignore[valid-type]
    property_id: strawberry.Private[int]
    lookup: str = strawberry.field(description="The public part of the key, to recognise it.")
    permissions: list[str]
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None

    @classmethod
    def from_row(cls, row: ApiKeyRow) -> ApiKey:
        return cls(
            id=row.id,
            name=row.name,
            kind=ApiKeyKind(row.kind),
            property_id=row.property_id,
            lookup=row.lookup,
            permissions=list(row.permissions),
            created_at=row.created_at,
            last_used_at=row.last_used_at,
            revoked_at=row.revoked_at,
        )

    @strawberry.field
    async def property(self, info: Info) -> Property | None:
        async with info.context.db() as session:
            row = await session.get(PropertyRow, self.property_id)
        return Property.from_row(row) if row else None

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await load_nodes(info, ApiKeyRow, node_ids, cls.from_row)


@strawberry.type(description="The account: a retailer or a hotel group.")
class Tenant:
    name: str
    slug: str


@strawberry.type(description="A role: built in, or the tenant's own.")
class RoleInfo:
    name: str
    description: str
    built_in: bool
    patterns: list[str] = strawberry.field(description="Permission patterns, e.g. orders:*.")
    permissions: list[str] = strawberry.field(description="What the patterns grant today.")


@strawberry.type(description="A permission the core or a plugin checks.")
class PermissionInfo:
    name: str
    description: str


@strawberry.type(description="An installed plugin.")
class PluginInfo:
    name: str
    version: str
    description: str
    requires: list[str]


# -- payloads ---------------------------------------------------------------


@strawberry.type
class AuthPayload:
    access_token: str | None = None
    access_token_expires_at: dt.datetime | None = None
    refresh_token: str | None = None
    refresh_token_expires_at: dt.datetime | None = None
    user: User | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class TenantPayload:
    tenant: Tenant | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class LogoutPayload:
    ok: bool = False
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class UserPayload:
    user: User | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class PropertyPayload:
    property: Property | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class MembershipPayload:
    user: User | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class RolePayload:
    role: RoleInfo | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class DeletePayload:
    ok: bool = False
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class ApiKeyPayload:
    api_key: ApiKey | None = None
    secret: str | None = strawberry.field(
        default=None, description="The whole key. Shown once, at creation; store it now."
    )
    errors: list[CoreError] = strawberry.field(default_factory=list)
