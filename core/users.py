"""Users, their memberships on properties, and a tenant's own roles.

A user belongs to one tenant and signs in with an e-mail address that is
unique across the installation (so login needs no tenant name). A membership
gives a user a role on one property, or on every property of the tenant when
``property_id`` is null; account-level powers (creating properties, managing
members) come from tenant-wide memberships only.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import JSON, Boolean, ForeignKey, String, UniqueConstraint, func, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock
from core.db import ALL_TENANTS_OPTION, Base, BigIntPK, IdPK, TenantScoped, session_scope
from core.errors import CoreErrorCode, DomainError, NotFound
from core.passwords import hash_password, password_problem
from core.permissions import BUILT_IN_ROLES, role_permissions

EMAIL_PATTERN = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,253}\.[^@\s.]{2,63}\Z")
ROLE_NAME_PATTERN = re.compile(r"^[a-z][a-z0-9_]{1,39}\Z")


class User(TenantScoped, Base):
    __tablename__ = "users"

    id: Mapped[IdPK]
    email: Mapped[str] = mapped_column(String(320), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(200))
    is_active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[dt.datetime]
    password_changed_at: Mapped[dt.datetime]


class Membership(TenantScoped, Base):
    """A role for a user on one property, or on all of the tenant's (``property_id`` null)."""

    __tablename__ = "memberships"
    __table_args__ = (UniqueConstraint("user_id", "property_id"),)

    id: Mapped[IdPK]
    user_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    property_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("properties.id", ondelete="CASCADE"), index=True
    )
    role: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[dt.datetime]


class CustomRole(TenantScoped, Base):
    """A tenant's own role: permission patterns such as ``orders:*`` or ``*:read``."""

    __tablename__ = "roles"
    __table_args__ = (UniqueConstraint("tenant_id", "name"),)

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(40))
    description: Mapped[str] = mapped_column(String(300), default="")
    patterns: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]


def normalise_email(email: str) -> str:
    return email.strip().lower()


def _check_email(email: str) -> str:
    normalised = normalise_email(email)
    if not EMAIL_PATTERN.match(normalised):
        raise DomainError(CoreErrorCode.INVALID_INPUT, "not an e-mail address", field=["email"])
    return normalised


def _check_password(password: str, field: str = "password") -> None:
    problem = password_problem(password)
    if problem:
        raise DomainError(CoreErrorCode.INVALID_INPUT, problem, field=[field])


async def create_user(
    session: AsyncSession, *, email: str, name: str, password: str, clock: Clock
) -> User:
    """A new active user in the session's tenant."""
    normalised = _check_email(email)
    _check_password(password)
    if not name.strip():
        raise DomainError(CoreErrorCode.INVALID_INPUT, "a user needs a name", field=["name"])
    # E-mail addresses are unique across tenants: they are how people sign in.
    taken = await session.scalar(
        select(User.id)
        .where(User.email == normalised)
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    if taken is not None:
        raise DomainError(
            CoreErrorCode.CONFLICT, "this e-mail address already has an account", field=["email"]
        )
    now = clock.now()
    user = User(
        email=normalised,
        name=name.strip(),
        password_hash=await asyncio.to_thread(hash_password, password),
        is_active=True,
        created_at=now,
        password_changed_at=now,
    )
    session.add(user)
    await session.flush()
    return user


async def set_password(session: AsyncSession, user: User, *, new: str, clock: Clock) -> None:
    """Give ``user`` a new password. Checking the current one (rate-limited) and ending
    other sessions are the caller's: see core.sessions."""
    _check_password(new, "newPassword")
    user.password_hash = await asyncio.to_thread(hash_password, new)
    user.password_changed_at = clock.now()
    await session.flush()


async def custom_roles(session: AsyncSession) -> dict[str, tuple[str, ...]]:
    rows = await session.scalars(select(CustomRole))
    return {row.name: tuple(row.patterns) for row in rows}


async def role_exists(session: AsyncSession, role: str) -> bool:
    if role in BUILT_IN_ROLES:
        return True
    return await session.scalar(select(CustomRole.id).where(CustomRole.name == role)) is not None


async def set_membership(
    session: AsyncSession, *, user_id: int, property_id: int | None, role: str, clock: Clock
) -> Membership:
    """Give ``user_id`` ``role`` on a property (or on all when ``property_id`` is None)."""
    if await session.get(User, user_id) is None:
        raise NotFound("user", field=["userId"])
    if property_id is not None:
        from core.tenancy import Property

        if await session.get(Property, property_id) is None:
            raise NotFound("property", field=["property"])
    if not await role_exists(session, role):
        raise DomainError(CoreErrorCode.INVALID_INPUT, f"no role named {role!r}", field=["role"])
    membership = await session.scalar(
        select(Membership).where(
            Membership.user_id == user_id,
            Membership.property_id.is_(None)
            if property_id is None
            else Membership.property_id == property_id,
        )
    )
    if membership is None:
        membership = Membership(
            user_id=user_id, property_id=property_id, role=role, created_at=clock.now()
        )
        session.add(membership)
    else:
        if property_id is None and membership.role == "owner" and role != "owner":
            await keep_an_owner(session, field="role")
        membership.role = role
    await session.flush()
    return membership


async def keep_an_owner(session: AsyncSession, *, field: str) -> None:
    """Refuse to take the tenant's last tenant-wide owner away.

    Locks the tenant's row first (PostgreSQL), so two owners demoting each other at
    once take turns and the second sees the first's change (SQLite writers queue).
    """
    from core.tenancy import Tenant

    await session.execute(
        select(Tenant.id).where(Tenant.id == current_tenant(session)).with_for_update()
    )
    # Active owners only: a deactivated owner cannot act for the tenant.
    owners = await session.scalar(
        select(func.count())
        .select_from(Membership)
        .join(User, User.id == Membership.user_id)
        .where(
            Membership.property_id.is_(None),
            Membership.role == "owner",
            User.is_active.is_(True),
        )
    )
    if owners <= 1:
        raise DomainError(
            CoreErrorCode.CONFLICT, "a tenant keeps at least one owner", field=[field]
        )


async def remove_membership(session: AsyncSession, membership_id: int) -> None:
    membership = await session.get(Membership, membership_id)
    if membership is None:
        raise NotFound("membership", field=["id"])
    if membership.property_id is None and membership.role == "owner":
        await keep_an_owner(session, field="id")
    await session.delete(membership)
    await session.flush()


async def save_role(
    session: AsyncSession,
    *,
    name: str,
    patterns: Iterable[str],
    description: str,
    registry: Iterable[str],
    clock: Clock,
) -> CustomRole:
    """Create or update a tenant role; built-in names are reserved."""
    if not ROLE_NAME_PATTERN.match(name):
        raise DomainError(
            CoreErrorCode.INVALID_INPUT,
            "a role name is 2 to 40 lower-case letters, digits and underscores",
            field=["name"],
        )
    if name in BUILT_IN_ROLES:
        raise DomainError(CoreErrorCode.CONFLICT, f"{name!r} is a built-in role", field=["name"])
    patterns = [p.strip() for p in patterns if p.strip()]
    names = list(registry)
    for index, pattern in enumerate(patterns):
        if not role_permissions_for_patterns([pattern], names):
            raise DomainError(
                CoreErrorCode.INVALID_INPUT,
                f"{pattern!r} matches no permission",
                field=["permissions", str(index)],
            )
    role = await session.scalar(select(CustomRole).where(CustomRole.name == name))
    if role is None:
        role = CustomRole(
            name=name, patterns=patterns, description=description, created_at=clock.now()
        )
        session.add(role)
    else:
        role.patterns = patterns
        role.description = description
    await session.flush()
    return role


async def delete_role(session: AsyncSession, name: str) -> None:
    role = await session.scalar(select(CustomRole).where(CustomRole.name == name))
    if role is None:
        raise NotFound("role", field=["name"])
    in_use = await session.scalar(select(Membership.id).where(Membership.role == name).limit(1))
    if in_use is not None:
        raise DomainError(
            CoreErrorCode.CONFLICT, f"role {name!r} is still given to members", field=["name"]
        )
    await session.delete(role)
    await session.flush()


def role_permissions_for_patterns(patterns: list[str], registry: list[str]) -> frozenset[str]:
    from core.permissions import expand

    return expand(patterns, registry)


@dataclass(frozen=True)
class Grants:
    """What a user may do: tenant-wide permissions, and per property."""

    tenant_wide: frozenset[str]
    per_property: dict[int, frozenset[str]]
    all_properties: bool


async def grants_for_user(session: AsyncSession, user_id: int, registry: Iterable[str]) -> Grants:
    names = list(registry)
    roles = await custom_roles(session)
    memberships = (
        await session.scalars(select(Membership).where(Membership.user_id == user_id))
    ).all()
    tenant_wide: frozenset[str] = frozenset()
    per_property: dict[int, frozenset[str]] = {}
    all_properties = False
    for membership in memberships:
        granted = role_permissions(membership.role, names, roles)
        if membership.property_id is None:
            tenant_wide |= granted
            all_properties = True
        else:
            per_property[membership.property_id] = (
                per_property.get(membership.property_id, frozenset()) | granted
            )
    return Grants(tenant_wide, per_property, all_properties)


def current_tenant(session: AsyncSession) -> int:
    tenant_id = session_scope(session).tenant_id
    if tenant_id is None:
        raise DomainError(CoreErrorCode.PERMISSION_DENIED, "no tenant in scope")
    return tenant_id
