"""Field guards: every root field and mutation says who may call it, in one line.

    @strawberry.mutation(permission_classes=requires("orders:write"))
    @strawberry.field(permission_classes=public())

``requires(...)``: the caller holds every named permission on this property
(or, on ``/graphql``, tenant-wide). ``requires_tenant_wide(...)``: held through
a tenant-wide membership, for data every property shares. ``public()``: anyone the endpoint let in,
including a publishable key (storefronts, booking engines). ``signed_in()``:
a signed-in user. ``anyone()``: no credential needed (login). Schema
composition refuses a root field that declares none of these, so a plugin
cannot forget. Node types say what reading them needs with ``read_permission``.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from strawberry.permission import BasePermission
from strawberry.types import Info


class Guard(BasePermission):
    """Base of the project's guards (schema composition looks for one on each root field)."""

    message = "You may not do this"
    error_extensions = {"code": "FORBIDDEN"}
    description = ""

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        raise NotImplementedError


@cache
def _requires_class(permissions: tuple[str, ...]) -> type[Guard]:
    joined = ", ".join(permissions)

    def has_permission(self: Guard, source: Any, info: Info, **kwargs: Any) -> bool:
        held = info.context.permissions
        return all(p in held for p in permissions)

    return type(
        f"Requires[{joined}]",
        (Guard,),
        {
            "has_permission": has_permission,
            "message": f"This needs the permission {joined}",
            "description": f"requires {joined}",
            "permissions": permissions,
        },
    )


def requires(*permissions: str) -> list[type[BasePermission]]:
    """The caller must hold all of ``permissions``."""
    if not permissions:
        raise ValueError("requires() needs at least one permission")
    return [_requires_class(tuple(sorted(permissions)))]


@cache
def _tenant_wide_class(permissions: tuple[str, ...]) -> type[Guard]:
    joined = ", ".join(permissions)

    def has_permission(self: Guard, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and all(p in principal.tenant_permissions for p in permissions)

    return type(
        f"RequiresTenantWide[{joined}]",
        (Guard,),
        {
            "has_permission": has_permission,
            "message": f"This changes every property of the tenant: it needs {joined} "
            "on all of them (a tenant-wide role)",
            "description": f"requires {joined} tenant-wide",
            "permissions": permissions,
        },
    )


def requires_tenant_wide(*permissions: str) -> list[type[BasePermission]]:
    """The caller must hold all of ``permissions`` through a tenant-wide membership:
    for data shared by every property of the tenant (the catalog), where a grant on
    one property (or a property's API key) must not reach the others."""
    if not permissions:
        raise ValueError("requires_tenant_wide() needs at least one permission")
    return [_tenant_wide_class(tuple(sorted(permissions)))]


class _Public(Guard):
    description = "public"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return info.context.principal is not None


class _SignedIn(Guard):
    message = "Sign in first"
    error_extensions = {"code": "UNAUTHENTICATED"}
    description = "signed-in user"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        principal = info.context.principal
        return principal is not None and principal.user_id is not None


class _Anyone(Guard):
    description = "anyone"

    def has_permission(self, source: Any, info: Info, **kwargs: Any) -> bool:
        return True


def public() -> list[type[BasePermission]]:
    """Any caller the endpoint admitted, publishable keys included."""
    return [_Public]


def signed_in() -> list[type[BasePermission]]:
    """A signed-in user (not an API key)."""
    return [_SignedIn]


def anyone() -> list[type[BasePermission]]:
    """No credential needed (signing in, refreshing a session)."""
    return [_Anyone]


def guard_of(field: Any) -> type[Guard] | None:
    """The guard a strawberry field declares, if any."""
    for extension in getattr(field, "extensions", ()) or ():
        for permission in getattr(extension, "permissions", ()) or ():
            if isinstance(permission, Guard):
                return type(permission)
    for cls in getattr(field, "permission_classes", ()) or ():
        if isinstance(cls, type) and issubclass(cls, Guard):
            return cls
    return None
