"""Credentials for one run, made in its working copy before the server starts: each
tenant's manager's access token (a sign-in session of its own) and a device key for the
bar's till. Nothing is kept in the cached dataset, so a cache of any age still works."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from core.clock import SystemClock
from core.config import Settings
from core.db import Database, Scope
from core.sessions import SESSION_LIFETIME, UserSession
from core.tokens import issue_access_token

# The server and the seeding sign tokens with this: a benchmark's own secret, no other use.
BENCH_SECRET = "concierge-benchmark-secret-key-not-for-any-real-deployment"
MANAGER_EMAIL = "manager@bench.example"
SMALL_MANAGER_EMAIL = "manager@bench-small.example"
TOKEN_TTL = dt.timedelta(hours=2)  # outlives any run


@dataclass(frozen=True)
class Credentials:
    # By tenant id: its tenant-wide manager's token (every property, every permission).
    manager_tokens: dict[int, str]
    till_key: str  # an API key that posts sales for the resort's bar only


def bench_settings(database_url: str, data_dir: str) -> Settings:
    """What the server runs with: jobs off (nothing moves the data while it is measured)."""
    from pathlib import Path

    return Settings(
        database_url=database_url, secret_key=BENCH_SECRET, data_dir=Path(data_dir),
        run_jobs=False, log_level="WARNING",
    )  # fmt: skip


async def _signed_in(db: Database, clock: SystemClock, tenant_id: int, user_id: int) -> str:
    """A new sign-in session for the user, and an access token for it."""
    now = clock.now()
    async with db.transaction(Scope.tenant(tenant_id)) as session:
        row = UserSession(
            user_id=user_id, created_at=now, expires_at=now + SESSION_LIFETIME, last_used_at=now
        )
        session.add(row)
        await session.flush()
        session_id = row.id
    return issue_access_token(
        bench_settings(db.url, "."), clock, tenant_id=tenant_id, subject=f"user:{user_id}",
        session_id=session_id, ttl=TOKEN_TTL,
    )  # fmt: skip


async def grant(
    database_url: str, *, managers: dict[int, int], resort: tuple[int, int], outlet: str
) -> Credentials:
    """Tokens for ``managers`` ({tenant id: user id}) and a till key for ``outlet`` of
    ``resort`` ((tenant id, property id)), made by the resort's tenant's manager."""
    from plugins.pos_bridge.service import outlets

    clock = SystemClock()
    db = Database(database_url)
    try:
        tokens = {
            tenant_id: await _signed_in(db, clock, tenant_id, user_id)
            for tenant_id, user_id in managers.items()
        }
        tenant_id, property_id = resort
        async with db.transaction(Scope.tenant(tenant_id, property_id)) as session:
            bar = await outlets.outlet_by_code(session, outlet, ["outlet"])
            _, till_key = await outlets.create_device_key(
                session, bar, name="bench till", grantable=frozenset({outlets.SELL}),
                created_by_user_id=managers[tenant_id], clock=clock,
            )  # fmt: skip
    finally:
        await db.dispose()
    return Credentials(manager_tokens=tokens, till_key=till_key)
