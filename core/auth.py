"""Who is calling: a verified credential turned into a :class:`Principal`.

The tenant of a request always comes from the credential (a user's access
token or an API key), never from a header or the path. A user's permissions
are read from their memberships on each request, so a role change or a
revoked session takes effect at once.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import TYPE_CHECKING

from core.apikeys import ApiKeyKind, find_api_key, looks_like_api_key, needs_last_used_update
from core.db import Scope
from core.sessions import active_session
from core.tokens import AuthenticationError, bearer_token, verify_access_token
from core.users import User, grants_for_user

if TYPE_CHECKING:
    from core.runtime import Runtime

__all__ = ["AuthenticationError", "Principal", "PrincipalKind", "authenticate", "bearer_token"]


class PrincipalKind(Enum):
    USER = "user"
    API_KEY = "api_key"
    PUBLISHABLE_KEY = "publishable_key"


@dataclass(frozen=True)
class Principal:
    """A verified caller inside one tenant, with what it may do where."""

    tenant_id: int
    subject: str  # "user:12", "apikey:3"
    kind: PrincipalKind = PrincipalKind.USER
    user_id: int | None = None
    session_id: int | None = None
    api_key_id: int | None = None
    # From tenant-wide memberships: valid on every property and at account level.
    tenant_permissions: frozenset[str] = frozenset()
    property_permissions: Mapping[int, frozenset[str]] = field(default_factory=dict)
    all_properties: bool = False

    def may_use_property(self, property_id: int) -> bool:
        return self.all_properties or property_id in self.property_permissions

    def permissions_on(self, property_id: int | None) -> frozenset[str]:
        """Permissions at a property, or at account level when ``property_id`` is None."""
        if property_id is None:
            return self.tenant_permissions
        return self.tenant_permissions | self.property_permissions.get(property_id, frozenset())


async def authenticate(
    runtime: Runtime, authorization: str | None, *, allow_expired_token: bool = False
) -> Principal | None:
    """The principal behind an Authorization header; None when there is none.

    Raises AuthenticationError for a credential that is present but not good.
    ``allow_expired_token`` re-checks an open WebSocket: its sign-in session must
    still be live, but the access token it connected with may have expired.
    """
    token = bearer_token(authorization)
    if token is None:
        return None
    if looks_like_api_key(token):
        return await _api_key_principal(runtime, token)
    return await _user_principal(runtime, token, allow_expired=allow_expired_token)


async def _user_principal(runtime: Runtime, token: str, *, allow_expired: bool) -> Principal:
    claims = verify_access_token(
        runtime.settings, runtime.clock, token, allow_expired=allow_expired
    )
    async with runtime.db.session(Scope.tenant(claims.tenant_id), write=False) as session:
        user_session = await active_session(
            session, session_id=claims.session_id, user_id=claims.user_id, clock=runtime.clock
        )
        user = await session.get(User, claims.user_id)
        if user_session is None or user is None or not user.is_active:
            raise AuthenticationError("session ended: sign in again")
        grants = await grants_for_user(session, user.id, runtime.permissions)
    return Principal(
        tenant_id=claims.tenant_id,
        subject=f"user:{user.id}",
        kind=PrincipalKind.USER,
        user_id=user.id,
        session_id=claims.session_id,
        tenant_permissions=grants.tenant_wide,
        property_permissions=grants.per_property,
        all_properties=grants.all_properties,
    )


async def _api_key_principal(runtime: Runtime, token: str) -> Principal:
    async with runtime.db.session(Scope.system(), write=False) as session:
        key = await find_api_key(session, token)
    if key is None:
        raise AuthenticationError("unknown or revoked API key")
    now = runtime.clock.now()
    if needs_last_used_update(key, now):
        from core.apikeys import ApiKey

        async with runtime.db.transaction(Scope.tenant(key.tenant_id, key.property_id)) as session:
            row = await session.get(ApiKey, key.id)
            if row is not None:
                row.last_used_at = now
    publishable = key.kind == ApiKeyKind.PUBLISHABLE.value
    # A key's permissions are what it was given, still limited to what exists.
    permissions = frozenset(key.permissions) & frozenset(runtime.permissions)
    return Principal(
        tenant_id=key.tenant_id,
        subject=f"apikey:{key.id}",
        kind=PrincipalKind.PUBLISHABLE_KEY if publishable else PrincipalKind.API_KEY,
        api_key_id=key.id,
        property_permissions={key.property_id: frozenset() if publishable else permissions},
    )
