"""Sign-in sessions: login, rotating refresh tokens, logout, and login rate limits.

``login`` checks the password and opens a session: a short-lived access token
(a JWT naming the session) and a refresh token. Refresh tokens are random,
stored only as SHA-256 hashes, and rotate on every use; presenting a token
that was already rotated means it was copied, so the whole session is revoked.
Access tokens stop working the moment their session is revoked (logout, a
password change), because each request checks the session.

Failed logins are recorded; too many per e-mail address or per client address
in a window are refused before the password is even checked.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from enum import Enum

from sqlalchemy import Boolean, ForeignKey, Index, String, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock
from core.config import Settings
from core.db import ALL_TENANTS_OPTION, Base, BigIntPK, IdPK, TenantScoped, advisory_xact_lock
from core.passwords import hash_password, needs_rehash, verify_password
from core.tokens import issue_access_token
from core.users import User, normalise_email

SESSION_LIFETIME = dt.timedelta(days=30)
LOGIN_WINDOW = dt.timedelta(minutes=15)
MAX_FAILURES_PER_ACCOUNT = 5
MAX_FAILURES_PER_ADDRESS = 20
REFRESH_TOKEN_BYTES = 32
ATTEMPTS_KEPT = dt.timedelta(days=1)
# A refresh token presented again within this time of its first use is refused
# without ending the session (retries, parallel tabs); after it, reuse means theft.
REUSE_GRACE = dt.timedelta(seconds=10)


class UserSession(TenantScoped, Base):
    __tablename__ = "user_sessions"

    id: Mapped[IdPK]
    user_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("users.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[dt.datetime]
    expires_at: Mapped[dt.datetime]
    last_used_at: Mapped[dt.datetime]
    revoked_at: Mapped[dt.datetime | None]
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    client_address: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(300))


class RefreshToken(TenantScoped, Base):
    __tablename__ = "refresh_tokens"

    id: Mapped[IdPK]
    session_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("user_sessions.id", ondelete="CASCADE"), index=True
    )
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    issued_at: Mapped[dt.datetime]
    used_at: Mapped[dt.datetime | None]


async def prune_login_attempts(session: AsyncSession, *, clock: Clock) -> int:
    """Forget attempts older than a day: the limits look back only LOGIN_WINDOW."""
    result = await session.execute(
        delete(LoginAttempt).where(LoginAttempt.attempted_at < clock.now() - ATTEMPTS_KEPT)
    )
    return int(result.rowcount or 0)


class LoginAttempt(Base):
    """Every login attempt, known e-mail or not (so it belongs to no tenant)."""

    __tablename__ = "login_attempts"
    __table_args__ = (
        Index("ix_login_attempts_email_at", "email", "attempted_at"),
        Index("ix_login_attempts_address_at", "client_address", "attempted_at"),
    )

    id: Mapped[IdPK]
    email: Mapped[str] = mapped_column(String(320))
    client_address: Mapped[str] = mapped_column(String(64))
    attempted_at: Mapped[dt.datetime]
    succeeded: Mapped[bool] = mapped_column(Boolean)


class LoginFailure(Enum):
    INVALID_CREDENTIALS = "invalid_credentials"
    RATE_LIMITED = "rate_limited"


@dataclass(frozen=True)
class IssuedTokens:
    user: User
    session_id: int
    access_token: str
    access_expires_at: dt.datetime
    refresh_token: str
    refresh_expires_at: dt.datetime


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def _failures_since(
    session: AsyncSession, column: object, value: str, since: dt.datetime
) -> int:
    return int(
        await session.scalar(
            select(func.count())
            .select_from(LoginAttempt)
            .where(
                column == value,  # type: ignore[operator]
                LoginAttempt.attempted_at >= since,
                LoginAttempt.succeeded.is_(False),
            )
        )
        or 0
    )


async def _one_attempt_at_a_time(session: AsyncSession, email: str, client_address: str) -> None:
    """Make concurrent attempts for one e-mail or one address wait for each other, so
    each counts the failures recorded before it (a burst of parallel guesses would
    otherwise all see the same count). PostgreSQL: transaction-level advisory locks,
    e-mail first, then address, always in that order. SQLite runs one write
    transaction at a time already."""
    for kind, value in (("email", email), ("address", client_address)):
        await advisory_xact_lock(session, f"concierge.login:{kind}:{value}")


async def check_password_attempt(
    session: AsyncSession,
    *,
    email: str,
    client_address: str,
    password: str,
    password_hash: str | None,
    clock: Clock,
) -> bool | LoginFailure:
    """Check a password against ``password_hash`` under the rate limits, and record it.

    Used by sign-in and by password changes (a stolen access token must not allow
    unlimited guesses at the current password). While an e-mail or an address is
    limited, attempts are refused without being checked or recorded, so retrying
    does not extend the lock-out. The caller commits, so failures count.
    """
    now = clock.now()
    email = normalise_email(email)[:320]
    client_address = client_address[:64]
    since = now - LOGIN_WINDOW
    await _one_attempt_at_a_time(session, email, client_address)
    if (
        await _failures_since(session, LoginAttempt.email, email, since) >= MAX_FAILURES_PER_ACCOUNT
        or await _failures_since(session, LoginAttempt.client_address, client_address, since)
        >= MAX_FAILURES_PER_ADDRESS
    ):
        return LoginFailure.RATE_LIMITED
    # argon2 is deliberately slow: keep it off the event loop.
    valid = await asyncio.to_thread(verify_password, password_hash, password)
    session.add(
        LoginAttempt(email=email, client_address=client_address, attempted_at=now, succeeded=valid)
    )
    await session.flush()
    return valid


async def login(
    session: AsyncSession,
    *,
    email: str,
    password: str,
    client_address: str,
    user_agent: str | None,
    settings: Settings,
    clock: Clock,
) -> IssuedTokens | LoginFailure:
    """Check credentials and open a session. Failures are returned (not raised) so the
    attempt is recorded when the caller commits. ``session`` must be a system-scope
    write session: the tenant is not known until the user is found."""
    now = clock.now()
    user = await session.scalar(
        select(User)
        .where(User.email == normalise_email(email))
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    # Unknown e-mail, inactive user, wrong password: one answer, one cost.
    checked = await check_password_attempt(
        session,
        email=email,
        client_address=client_address,
        password=password,
        password_hash=user.password_hash if user and user.is_active else None,
        clock=clock,
    )
    if checked is LoginFailure.RATE_LIMITED:
        return LoginFailure.RATE_LIMITED
    if not checked or user is None:
        return LoginFailure.INVALID_CREDENTIALS
    if needs_rehash(user.password_hash):
        # Stronger parameters since this hash was made: upgrade it while we hold the password.
        user.password_hash = await asyncio.to_thread(hash_password, password)
    user_session = UserSession(
        tenant_id=user.tenant_id,
        user_id=user.id,
        created_at=now,
        expires_at=now + SESSION_LIFETIME,
        last_used_at=now,
        client_address=client_address[:64],
        user_agent=(user_agent or "")[:300] or None,
    )
    session.add(user_session)
    await session.flush()
    return await _issue(session, user, user_session, settings=settings, clock=clock)


async def _issue(
    session: AsyncSession,
    user: User,
    user_session: UserSession,
    *,
    settings: Settings,
    clock: Clock,
) -> IssuedTokens:
    now = clock.now()
    refresh = secrets.token_urlsafe(REFRESH_TOKEN_BYTES)
    session.add(
        RefreshToken(
            tenant_id=user.tenant_id,
            session_id=user_session.id,
            token_hash=hash_token(refresh),
            issued_at=now,
        )
    )
    await session.flush()
    ttl = dt.timedelta(seconds=settings.access_token_ttl_seconds)
    access = issue_access_token(
        settings,
        clock,
        tenant_id=user.tenant_id,
        subject=f"user:{user.id}",
        session_id=user_session.id,
        ttl=ttl,
    )
    return IssuedTokens(
        user=user,
        session_id=user_session.id,
        access_token=access,
        access_expires_at=now + ttl,
        refresh_token=refresh,
        refresh_expires_at=user_session.expires_at,
    )


async def refresh(
    session: AsyncSession, *, refresh_token: str, settings: Settings, clock: Clock
) -> IssuedTokens | None:
    """Rotate a refresh token. None when it is unknown, expired, revoked or reused;
    a reused token revokes its whole session (returned so the caller commits it)."""
    now = clock.now()
    token = await session.scalar(
        select(RefreshToken)
        .where(RefreshToken.token_hash == hash_token(refresh_token))
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    if token is None:
        return None
    user_session = await session.scalar(
        select(UserSession)
        .where(UserSession.id == token.session_id)
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    if user_session is None or user_session.revoked_at is not None:
        return None
    if token.used_at is not None:
        # A second use moments after the first is a client retrying (or racing
        # itself); later, the token was copied: end the session.
        if now - token.used_at > REUSE_GRACE:
            user_session.revoked_at = now
            user_session.revoked_reason = "refresh_token_reused"
            await session.flush()
        return None
    if user_session.expires_at <= now:
        return None
    user = await session.scalar(
        select(User)
        .where(User.id == user_session.user_id)
        .execution_options(**{ALL_TENANTS_OPTION: True})
    )
    if user is None or not user.is_active:
        return None
    # Conditional, so two requests racing with one token cannot both rotate it.
    rotated = await session.execute(
        update(RefreshToken)
        .where(RefreshToken.id == token.id, RefreshToken.used_at.is_(None))
        .values(used_at=now)
        .execution_options(**{ALL_TENANTS_OPTION: True}, synchronize_session=False)
    )
    if rotated.rowcount != 1:
        return None
    user_session.last_used_at = now
    await session.flush()
    return await _issue(session, user, user_session, settings=settings, clock=clock)


async def revoke_session(
    session: AsyncSession, session_id: int, *, reason: str, clock: Clock
) -> None:
    await session.execute(
        update(UserSession)
        .where(UserSession.id == session_id, UserSession.revoked_at.is_(None))
        .values(revoked_at=clock.now(), revoked_reason=reason)
    )


async def revoke_other_sessions(
    session: AsyncSession, *, user_id: int, keep_session_id: int | None, reason: str, clock: Clock
) -> None:
    statement = update(UserSession).where(
        UserSession.user_id == user_id, UserSession.revoked_at.is_(None)
    )
    if keep_session_id is not None:
        statement = statement.where(UserSession.id != keep_session_id)
    await session.execute(statement.values(revoked_at=clock.now(), revoked_reason=reason))


async def active_session(
    session: AsyncSession, *, session_id: int, user_id: int, clock: Clock
) -> UserSession | None:
    row = await session.get(UserSession, session_id)
    if (
        row is None
        or row.user_id != user_id
        or row.revoked_at is not None
        or row.expires_at <= clock.now()
    ):
        return None
    return row
