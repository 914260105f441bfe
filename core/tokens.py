"""Access tokens: short-lived JWTs naming a user's sign-in session.

The algorithm is pinned (HS256 with the installation's secret; ``alg: none``
and every other algorithm are refused), and issuer, audience and expiry are
checked. Expiry is checked against the injectable clock so tests can move time.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import jwt

from core.clock import Clock
from core.config import Settings

ALGORITHM = "HS256"
ISSUER = "concierge"
AUDIENCE = "concierge-api"


class AuthenticationError(Exception):
    """The credential is missing, malformed, expired, revoked or forged."""


@dataclass(frozen=True)
class AccessClaims:
    tenant_id: int
    user_id: int
    session_id: int


def issue_access_token(
    settings: Settings,
    clock: Clock,
    *,
    tenant_id: int,
    subject: str,
    session_id: int,
    ttl: dt.timedelta | None = None,
) -> str:
    now = clock.now()
    ttl = ttl or dt.timedelta(seconds=settings.access_token_ttl_seconds)
    claims = {
        "iss": ISSUER,
        "aud": AUDIENCE,
        "sub": subject,
        "tid": tenant_id,
        "sid": session_id,
        "iat": int(now.timestamp()),
        "exp": int((now + ttl).timestamp()),
    }
    return jwt.encode(claims, settings.secret_key, algorithm=ALGORITHM)


def verify_access_token(
    settings: Settings, clock: Clock, token: str, *, allow_expired: bool = False
) -> AccessClaims:
    """The claims of a valid token. ``allow_expired`` is for re-checking an open
    WebSocket, which was admitted with a live token and is then held to its
    sign-in session (revoked, expired) rather than to the token's 15 minutes."""
    try:
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[ALGORITHM],
            audience=AUDIENCE,
            issuer=ISSUER,
            # Time claims are judged by the injectable clock below, not the wall clock.
            options={
                "require": ["exp", "iat", "sub", "iss", "aud"],
                "verify_exp": False,
                "verify_iat": False,
                "verify_nbf": False,
            },
        )
    except jwt.PyJWTError as exc:
        raise AuthenticationError(f"invalid access token: {exc}") from None
    now = clock.now().timestamp()
    times = {c: claims[c] for c in ("exp", "iat", "nbf") if c in claims}
    if not all(isinstance(t, int | float) and not isinstance(t, bool) for t in times.values()):
        raise AuthenticationError("invalid access token: time claims must be numbers")
    if times["iat"] > now or times.get("nbf", now) > now:
        raise AuthenticationError("invalid access token: not yet valid")
    if claims["exp"] <= now and not allow_expired:
        raise AuthenticationError("access token expired")
    subject = str(claims["sub"])
    kind, _, user_id = subject.partition(":")
    tenant_id, session_id = claims.get("tid"), claims.get("sid")
    if (
        kind != "user"
        or not user_id.isdigit()
        or not isinstance(tenant_id, int)
        or not isinstance(session_id, int)
    ):
        raise AuthenticationError("invalid access token: unexpected claims")
    return AccessClaims(tenant_id=tenant_id, user_id=int(user_id), session_id=session_id)


def bearer_token(authorization: str | None) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header value, if any."""
    if not authorization:
        return None
    scheme, _, token = authorization.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationError("Authorization must be 'Bearer <token>'")
    return token.strip()
