"""Principals and access tokens: who is calling, and for which tenant.

The tenant of a request always comes from a verified credential, never from a
header or the path. Access tokens are JWTs signed with the installation's
secret, the algorithm pinned and issuer, audience and expiry checked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import jwt

from core.clock import Clock
from core.config import Settings

ALGORITHM = "HS256"
ISSUER = "concierge"
AUDIENCE = "concierge-api"


class AuthenticationError(Exception):
    """The credential is missing, malformed, expired or forged."""


@dataclass(frozen=True)
class Principal:
    """A verified caller: a user or a machine client, always inside one tenant."""

    tenant_id: int
    subject: str  # "user:12", "apikey:3", "system:demo"
    permissions: frozenset[str] = field(default_factory=frozenset)
    # None: the credential is not limited to some properties of its tenant.
    property_ids: frozenset[int] | None = None

    def may_use_property(self, property_id: int) -> bool:
        return self.property_ids is None or property_id in self.property_ids


def issue_access_token(
    settings: Settings,
    clock: Clock,
    *,
    tenant_id: int,
    subject: str,
    ttl: dt.timedelta | None = None,
) -> str:
    now = clock.now()
    ttl = ttl or dt.timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "tid": tenant_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def verify_access_token(settings: Settings, clock: Clock, token: str) -> Principal:
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            options={"require": ["exp", "iat", "sub", "iss", "aud"], "verify_exp": False},
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"invalid access token: {exc}") from None
    # Expiry is checked against the injectable clock, so tests can move time.
    if claims["exp"] <= clock.now().timestamp():
        raise AuthenticationError("access token expired")
    tenant_id = claims.get("tid")
    if not isinstance(tenant_id, int):
        raise AuthenticationError("access token names no tenant")
    return Principal(tenant_id=tenant_id, subject=str(claims["sub"]))


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization must be 'Bearer <token>'")
    return token.strip()
