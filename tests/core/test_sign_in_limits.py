"""Sign-in limits over time: lock-outs end, password checks are limited too, old
attempts are forgotten, and old hashes are upgraded."""

from __future__ import annotations

from argon2 import PasswordHasher
from sqlalchemy import func, select, update

from core.db import Scope
from core.sessions import LoginAttempt
from core.testing import TEST_PASSWORD, ConciergeTestKit
from core.users import User

CHANGE = (
    "mutation($c: String!, $n: String!) { changePassword(input: {currentPassword: $c,"
    " newPassword: $n}) { user { email } errors { code field } } }"
)


def _code(result, field: str) -> str | None:
    errors = result.ok()[field]["errors"]
    return errors[0]["code"] if errors else None


async def test_retrying_during_a_lock_out_does_not_extend_it(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    email = f"owner@{tenant.slug}.example"
    for _ in range(5):
        assert _code(await concierge.login(email, "wrong password!"), "login") == (
            "INVALID_CREDENTIALS"
        )
    concierge.clock.advance(minutes=10)
    for _ in range(3):  # refused, unchecked, unrecorded
        assert _code(await concierge.login(email, TEST_PASSWORD), "login") == "RATE_LIMITED"
    concierge.clock.advance(minutes=6)  # 16 minutes after the failures
    assert _code(await concierge.login(email, TEST_PASSWORD), "login") is None


async def test_guessing_the_current_password_is_rate_limited(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    user = await concierge.user(tenant, "mia@acme.example", role="viewer")
    token = await concierge.token_for(user)
    for _ in range(5):
        wrong = await concierge.graphql(
            CHANGE, {"c": "not my password", "n": "a brand new password"}, token=token
        )
        assert _code(wrong, "changePassword") == "INVALID_CREDENTIALS"
    right = await concierge.graphql(
        CHANGE, {"c": user.password, "n": "a brand new password"}, token=token
    )
    assert _code(right, "changePassword") == "RATE_LIMITED"
    # Nothing changed: the old password still signs in once the window has passed.
    concierge.clock.advance(minutes=16)
    assert _code(await concierge.login(user.email, user.password), "login") is None


async def test_old_attempts_are_pruned_by_a_job(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    await concierge.login(f"owner@{tenant.slug}.example", "wrong password!")
    concierge.clock.advance(days=2)
    await concierge.login(f"owner@{tenant.slug}.example", "wrong password!")
    assert await concierge.run_job("core.prune_login_attempts")
    async with concierge.db.session(Scope.system(), write=False) as session:
        kept = await session.scalar(select(func.count()).select_from(LoginAttempt))
    assert kept == 1


async def test_a_weaker_old_hash_is_upgraded_at_sign_in(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    user = await concierge.user(tenant, "old@acme.example")
    weak = PasswordHasher(time_cost=1, memory_cost=8_192, parallelism=1).hash(user.password)
    async with concierge.db.transaction(Scope.system()) as session:
        await session.execute(update(User).where(User.id == user.id).values(password_hash=weak))
    assert _code(await concierge.login(user.email, user.password), "login") is None
    async with concierge.db.session(Scope.system(), write=False) as session:
        stored = await session.scalar(select(User.password_hash).where(User.id == user.id))
    assert stored != weak and "m=19456,t=2,p=1" in stored
    assert _code(await concierge.login(user.email, user.password), "login") is None
