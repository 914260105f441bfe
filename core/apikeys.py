"""API keys for machine clients: POS devices, channel integrations, storefronts.

A key belongs to one property and carries a subset of its creator's
permissions there. It is shown once, at creation; only a SHA-256 hash of its
secret part is stored (the secret is 256 random bits, so a slow hash adds
nothing). A publishable key (``cnk_pk_...``) is meant to sit in a public
client such as a storefront or booking engine: it carries no permissions and
reaches only the operations marked public.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from collections.abc import Iterable
from enum import Enum

from sqlalchemy import JSON, ForeignKey, String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock
from core.db import ALL_TENANTS_OPTION, Base, BigIntPK, IdPK, PropertyScoped
from core.errors import CoreErrorCode, DomainError, NotFound

KEY_PREFIX = "cnk"
# last_used_at is written at most this often per key, not on every request.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiKeyKind(Enum):
    SECRET = "sk"
    PUBLISHABLE = "pk"


class ApiKey(PropertyScoped, Base):
    __tablename__ = "api_keys"

    id: Mapped[IdPK]
    name: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(2))
    lookup: Mapped[str] = mapped_column(String(16), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(64))
    permissions: Mapped[list[str]] = mapped_column(JSON)
    created_at: Mapped[dt.datetime]
    created_by_user_id: Mapped[int | None] = mapped_column(
        BigIntPK, ForeignKey("users.id", ondelete="SET NULL")
    )
    revoked_at: Mapped[dt.datetime | None]
    last_used_at: Mapped[dt.datetime | None]


def looks_like_api_key(token: str) -> bool:
    return token.startswith(f"{KEY_PREFIX}_")


def _hash(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_api_key(
    session: AsyncSession,
    *,
    name: str,
    kind: ApiKeyKind,
    permissions: Iterable[str],
    grantable: frozenset[str],
    created_by_user_id: int | None,
    clock: Clock,
) -> tuple[ApiKey, str]:
    """A key for the session's property; returns the row and the plaintext, shown once.

    ``grantable`` is what the creator holds on the property: a key never
    carries more.
    """
    wanted = sorted(set(permissions))
    if not name.strip():
        raise DomainError(CoreErrorCode.INVALID_INPUT, "an API key needs a name", field=["name"])
    if kind is ApiKeyKind.PUBLISHABLE and wanted:
        raise DomainError(
            CoreErrorCode.INVALID_INPUT,
            "a publishable key carries no permissions: it reaches public operations only",
            field=["permissions"],
        )
    if kind is ApiKeyKind.SECRET and not wanted:
        raise DomainError(
            CoreErrorCode.INVALID_INPUT, "a secret key needs permissions", field=["permissions"]
        )
    beyond = [p for p in wanted if p not in grantable]
    if beyond:
        raise DomainError(
            CoreErrorCode.PERMISSION_DENIED,
            f"you cannot grant what you do not hold: {', '.join(beyond)}",
            field=["permissions"],
        )
    lookup = secrets.token_hex(8)
    secret = secrets.token_urlsafe(32)
    key = ApiKey(
        name=name.strip()[:100],
        kind=kind.value,
        lookup=lookup,
        secret_hash=_hash(secret),
        permissions=wanted,
        created_at=clock.now(),
        created_by_user_id=created_by_user_id,
    )
    session.add(key)
    await session.flush()
    return key, f"{KEY_PREFIX}_{kind.value}_{lookup}_{secret}"


async def revoke_api_key(session: AsyncSession, key_id: int, *, clock: Clock) -> ApiKey:
    key = await session.get(ApiKey, key_id)
    if key is None:
        raise NotFound("API key", field=["id"])
    if key.revoked_at is None:
        key.revoked_at = clock.now()
        await session.flush()
    return key


async def find_api_key(session: AsyncSession, token: str) -> ApiKey | None:
    """The live key ``token`` names, or None (unknown, malformed, wrong secret, revoked).

    ``session`` may be a system-scope session: the key tells the tenant.
    """
    parts = token.split("_", 3)
    if len(parts) != 4 or parts[0] != KEY_PREFIX or parts[1] not in ("sk", "pk"):
        return None
    _, kind, lookup, secret = parts
    key = await session.scalar(
        select(ApiKey)
        .where(ApiKey.lookup == lookup)
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    if key is None or key.kind != kind or key.revoked_at is not None:
        return None
    if not hmac.compare_digest(key.secret_hash, _hash(secret)):
        return None
    return key


def needs_last_used_update(key: ApiKey, now: dt.datetime) -> bool:
    return key.last_used_at is None or now - key.last_used_at >= LAST_USED_RESOLUTION
