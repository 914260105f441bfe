"""Signing in as a person: passwords, sessions, refresh tokens, logout, password
changes, ``me``, and the limits on failed sign-ins.

Everything goes through the real app over HTTP (the account endpoint
``/graphql``) and a real database; the assertions are what a client notices
(tokens that work or stop working, payload errors, status codes) plus what
is stored (hashes, never secrets).
"""

from __future__ import annotations

import asyncio
import base64
import datetime as dt
import hashlib
import re
import warnings
from typing import Any

import httpx
import jwt
import orjson
import pytest
from httpx_ws import WebSocketDisconnect
from sqlalchemy import func, select

from core.clock import MovableClock
from core.db import Scope
from core.graphql.http import GRAPHQL_RESPONSE_JSON
from core.sessions import LoginAttempt, RefreshToken, UserSession
from core.testing import TEST_PASSWORD, ConciergeTestKit, GraphQLResult, TenantRef
from core.users import User

LOGIN = """
mutation Login($e: String!, $p: String!) {
  login(input: {email: $e, password: $p}) {
    accessToken accessTokenExpiresAt refreshToken refreshTokenExpiresAt
    user { email name }
    errors { code field message }
  }
}
"""

REFRESH = """
mutation Refresh($t: String!) {
  refreshSession(input: {refreshToken: $t}) {
    accessToken refreshToken user { email }
    errors { code field message }
  }
}
"""

LOGOUT = "mutation { logout { ok errors { code message } } }"

CHANGE_PASSWORD = """
mutation Change($current: String!, $new: String!) {
  changePassword(input: {currentPassword: $current, newPassword: $new}) {
    user { email }
    errors { code field message }
  }
}
"""

ME = "{ me { email name isActive } }"
NEW_PASSWORD = "a brand new passphrase for spring"


# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------


def owner_email(tenant: TenantRef) -> str:
    return f"owner@{tenant.slug}.example"


async def login(kit: ConciergeTestKit, email: str, password: str) -> dict[str, Any]:
    """The login payload (the request itself must succeed at the HTTP level)."""
    return (await kit.graphql(LOGIN, {"e": email, "p": password})).ok()["login"]


async def signed_in(kit: ConciergeTestKit, email: str, password: str = TEST_PASSWORD) -> dict:
    payload = await login(kit, email, password)
    assert payload["errors"] == [], payload
    assert payload["accessToken"] and payload["refreshToken"]
    return payload


async def refresh(kit: ConciergeTestKit, token: str) -> dict[str, Any]:
    return (await kit.graphql(REFRESH, {"t": token})).ok()["refreshSession"]


async def me(kit: ConciergeTestKit, token: str) -> GraphQLResult:
    return await kit.graphql(ME, token=token)


async def counts(kit: ConciergeTestKit, *models: type) -> dict[str, int]:
    """Row counts across all tenants, to prove a request changed nothing."""
    async with kit.db.session(Scope.system(), write=False) as session:
        return {
            model.__name__: int(await session.scalar(select(func.count()).select_from(model)))
            for model in models
        }


async def sessions_of(kit: ConciergeTestKit, email: str) -> list[UserSession]:
    async with kit.db.session(Scope.system(), write=False) as session:
        user_id = await session.scalar(select(User.id).where(User.email == email))
        rows = await session.scalars(
            select(UserSession).where(UserSession.user_id == user_id).order_by(UserSession.id)
        )
        return list(rows)


def error_codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


def assert_unauthenticated(result: GraphQLResult) -> None:
    assert result.status == 401, (result.status, result.body)
    assert error_codes(result) == ["UNAUTHENTICATED"]
    assert "data" not in result.body
    assert result.response.headers["www-authenticate"].startswith("Bearer")


# ---------------------------------------------------------------------------
# Passwords
# ---------------------------------------------------------------------------


async def test_passwords_are_stored_as_argon2id_at_owasp_strength(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    created = await concierge.graphql(
        """mutation { createUser(input: {email: "ana@acme.example", name: "Ana",
             password: "ana's own long password", role: "viewer"}) {
             user { email } errors { code } } }""",
        tenant=tenant,
    )
    assert created.ok()["createUser"] == {"user": {"email": "ana@acme.example"}, "errors": []}

    async with concierge.db.session(Scope.system(), write=False) as session:
        hashes = dict((await session.execute(select(User.email, User.password_hash))).all())
    assert set(hashes) == {owner_email(tenant), "ana@acme.example"}
    for email, stored in hashes.items():
        assert stored.startswith("$argon2id$"), (email, stored)
        params = dict(part.split("=") for part in re.search(r"\$m=[^$]+", stored)[0][1:].split(","))
        assert int(params["m"]) >= 19_456, stored
        assert int(params["t"]) >= 2, stored
        assert int(params["p"]) >= 1, stored
        assert TEST_PASSWORD not in stored and "ana's own" not in stored
    # Same password, different salts: the hashes differ.
    assert len(set(hashes.values())) == 2


# ---------------------------------------------------------------------------
# Login and tokens
# ---------------------------------------------------------------------------


async def test_login_returns_a_short_lived_hs256_access_token_and_a_refresh_token(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant = await concierge.tenant("acme")
    payload = await signed_in(concierge, owner_email(tenant))
    assert payload["user"] == {"email": owner_email(tenant), "name": "owner"}

    access = payload["accessToken"]
    assert jwt.get_unverified_header(access)["alg"] == "HS256"
    claims = jwt.decode(access, options={"verify_signature": False})
    assert claims["iss"] == "concierge"
    assert claims["aud"] == "concierge-api"
    now = int(clock.now().timestamp())
    assert claims["iat"] == now
    assert 0 < claims["exp"] - now <= 15 * 60  # short-lived: minutes, not days
    assert dt.datetime.fromisoformat(payload["accessTokenExpiresAt"]) == dt.datetime.fromtimestamp(
        claims["exp"], dt.UTC
    )
    # The refresh token lives far longer than the access token, and is no JWT.
    refresh_expiry = dt.datetime.fromisoformat(payload["refreshTokenExpiresAt"])
    assert refresh_expiry - clock.now() >= dt.timedelta(days=1)
    assert "." not in payload["refreshToken"]

    # The access token works at once.
    assert (await me(concierge, access)).ok()["me"] == {
        "email": owner_email(tenant),
        "name": "owner",
        "isActive": True,
    }


async def test_refresh_tokens_are_stored_only_as_sha256_hashes(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    first = await signed_in(concierge, owner_email(tenant))
    second = await refresh(concierge, first["refreshToken"])
    assert second["errors"] == []

    async with concierge.db.session(Scope.system(), write=False) as session:
        stored = list(await session.scalars(select(RefreshToken.token_hash)))
    issued = [first["refreshToken"], second["refreshToken"]]
    assert sorted(stored) == sorted(hashlib.sha256(t.encode()).hexdigest() for t in issued)
    for token in issued:
        assert token not in stored


async def test_email_is_matched_whatever_its_case_and_surrounding_spaces(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    payload = await signed_in(concierge, f"  {owner_email(tenant).upper()} ")
    assert payload["user"]["email"] == owner_email(tenant)


async def test_wrong_password_and_unknown_email_answer_alike_and_open_no_session(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    before = await counts(concierge, UserSession, RefreshToken, User)

    wrong_password = await login(concierge, owner_email(tenant), "not the password at all")
    unknown_email = await login(concierge, "nobody@acme.example", TEST_PASSWORD)

    for payload in (wrong_password, unknown_email):
        assert payload["accessToken"] is None and payload["refreshToken"] is None
        assert payload["user"] is None
        assert [e["code"] for e in payload["errors"]] == ["INVALID_CREDENTIALS"]
    assert wrong_password["errors"] == unknown_email["errors"]
    assert "nobody" not in str(unknown_email)
    assert await counts(concierge, UserSession, RefreshToken, User) == before


async def test_an_inactive_user_cannot_sign_in_and_their_tokens_stop(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    payload = await signed_in(concierge, owner_email(tenant))
    async with concierge.db.transaction(Scope.tenant(tenant.id)) as session:
        user = await session.scalar(select(User).where(User.email == owner_email(tenant)))
        user.is_active = False

    again = await login(concierge, owner_email(tenant), TEST_PASSWORD)
    wrong = await login(concierge, owner_email(tenant), "not the password at all")
    assert again["accessToken"] is None
    assert again["errors"] == wrong["errors"]
    assert [e["code"] for e in again["errors"]] == ["INVALID_CREDENTIALS"]
    assert_unauthenticated(await me(concierge, payload["accessToken"]))
    assert (await refresh(concierge, payload["refreshToken"]))["accessToken"] is None


async def test_me_is_the_signed_in_user_and_null_without_a_credential(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    await concierge.user(tenant, "vera@acme.example", role="viewer")
    payload = await signed_in(concierge, "vera@acme.example")
    assert (await me(concierge, payload["accessToken"])).ok()["me"]["email"] == "vera@acme.example"

    anonymous = await concierge.graphql(ME)
    assert anonymous.ok() == {"me": None}


async def test_login_payload_can_show_the_users_memberships(concierge: ConciergeTestKit) -> None:
    """A client signing in wants to know at once where the user may work."""
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop")
    await concierge.user(tenant, "desk@acme.example", role="front_desk", property=shop)
    user_fields = "user { email memberships { role property { slug enabledPlugins } } }"
    result = await concierge.graphql(
        "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {"
        f" refreshToken {user_fields} errors {{ code }} }} }}",
        {"e": "desk@acme.example", "p": TEST_PASSWORD},
    )
    payload = result.ok()["login"]
    assert payload["errors"] == []
    expected = {
        "email": "desk@acme.example",
        "memberships": [
            {"role": "front_desk", "property": {"slug": "acme-shop", "enabledPlugins": []}}
        ],
    }
    assert payload["user"] == expected

    renewed = await concierge.graphql(
        "mutation($t: String!) { refreshSession(input: {refreshToken: $t}) {"
        f" {user_fields} errors {{ code }} }} }}",
        {"t": payload["refreshToken"]},
    )
    assert renewed.ok()["refreshSession"] == {"user": expected, "errors": []}

    # Signing in while still sending another tenant's token shows the new user's own.
    globex = await concierge.tenant("globex")
    again = await concierge.graphql(
        LOGIN.replace("user { email name }", user_fields),
        {"e": "desk@acme.example", "p": TEST_PASSWORD},
        token=concierge.token(globex),
    )
    assert again.ok()["login"]["user"] == expected


# ---------------------------------------------------------------------------
# Bad access tokens
# ---------------------------------------------------------------------------


def _b64(data: dict[str, Any]) -> str:
    return base64.urlsafe_b64encode(orjson.dumps(data)).decode().rstrip("=")


def _real_claims(access_token: str) -> dict[str, Any]:
    return jwt.decode(access_token, options={"verify_signature": False})


def _forged(token: str, kit: ConciergeTestKit) -> str:
    return jwt.encode(_real_claims(token), "an attacker's guess" + "x" * 40, algorithm="HS256")


def _alg_none(token: str, kit: ConciergeTestKit) -> str:
    return f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{_b64(_real_claims(token))}."


def _other_algorithm(token: str, kit: ConciergeTestKit) -> str:
    secret = kit.runtime.settings.secret_key
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the test secret is short for HS512; irrelevant here
        return jwt.encode(_real_claims(token), secret, algorithm="HS512")


def _wrong_audience(token: str, kit: ConciergeTestKit) -> str:
    claims = {**_real_claims(token), "aud": "someone-else"}
    return jwt.encode(claims, kit.runtime.settings.secret_key, algorithm="HS256")


def _wrong_issuer(token: str, kit: ConciergeTestKit) -> str:
    claims = {**_real_claims(token), "iss": "someone-else"}
    return jwt.encode(claims, kit.runtime.settings.secret_key, algorithm="HS256")


def _no_expiry(token: str, kit: ConciergeTestKit) -> str:
    claims = {k: v for k, v in _real_claims(token).items() if k != "exp"}
    return jwt.encode(claims, kit.runtime.settings.secret_key, algorithm="HS256")


def _tampered_subject(token: str, kit: ConciergeTestKit) -> str:
    header, _, signature = token.split(".")
    claims = {**_real_claims(token), "sub": "user:999"}
    return f"{header}.{_b64(claims)}.{signature}"


@pytest.mark.parametrize(
    "make_token",
    [
        pytest.param(_forged, id="forged-signature"),
        pytest.param(_alg_none, id="alg-none"),
        pytest.param(_other_algorithm, id="hs512-with-the-real-secret"),
        pytest.param(_wrong_audience, id="wrong-audience"),
        pytest.param(_wrong_issuer, id="wrong-issuer"),
        pytest.param(_no_expiry, id="no-expiry"),
        pytest.param(_tampered_subject, id="tampered-claims"),
    ],
)
async def test_a_bad_access_token_is_401_and_changes_nothing(
    concierge: ConciergeTestKit, make_token
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    good = (await signed_in(concierge, owner_email(tenant)))["accessToken"]
    bad = make_token(good, concierge)
    before = await counts(concierge, UserSession, RefreshToken, User)

    assert_unauthenticated(await me(concierge, bad))
    assert_unauthenticated(
        await concierge.graphql(
            'mutation { addNote(input: {text: "forged"}) { errors { code } } }',
            property=shop,
            token=bad,
        )
    )
    assert_unauthenticated(
        await concierge.graphql(
            'mutation { createUser(input: {email: "x@acme.example", name: "X",'
            ' password: "long enough password", role: "owner"}) { errors { code } } }',
            token=bad,
        )
    )
    notes = await concierge.graphql("{ notes { totalCount } }", property=shop, token=good)
    assert notes.ok() == {"notes": {"totalCount": 1}}  # only the welcome note
    assert await counts(concierge, UserSession, RefreshToken, User) == before


async def test_an_expired_access_token_is_401_but_the_refresh_token_still_works(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant = await concierge.tenant("acme")
    payload = await signed_in(concierge, owner_email(tenant))
    ttl = _real_claims(payload["accessToken"])["exp"] - int(clock.now().timestamp())

    clock.advance(seconds=ttl - 1)
    assert (await me(concierge, payload["accessToken"])).ok()["me"] is not None
    clock.advance(seconds=1)
    expired = await me(concierge, payload["accessToken"])
    assert_unauthenticated(expired)
    assert "expired" in expired.errors[0]["message"]

    renewed = await refresh(concierge, payload["refreshToken"])
    assert renewed["errors"] == []
    assert (await me(concierge, renewed["accessToken"])).ok()["me"]["email"] == owner_email(tenant)


# ---------------------------------------------------------------------------
# Refresh, logout, password change
# ---------------------------------------------------------------------------


async def test_refresh_rotates_and_the_old_refresh_token_stops_working(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant = await concierge.tenant("acme")
    first = await signed_in(concierge, owner_email(tenant))
    clock.advance(minutes=1)

    second = await refresh(concierge, first["refreshToken"])
    assert second["errors"] == []
    assert second["user"] == {"email": owner_email(tenant)}
    assert second["refreshToken"] != first["refreshToken"]
    assert second["accessToken"] != first["accessToken"]
    assert (await me(concierge, second["accessToken"])).ok()["me"] is not None

    third = await refresh(concierge, second["refreshToken"])
    assert third["errors"] == []
    assert (await me(concierge, third["accessToken"])).ok()["me"] is not None
    # Rotation keeps one session: no new sign-in was opened.
    assert len(await sessions_of(concierge, owner_email(tenant))) == 2  # the kit's + this one


async def test_an_unknown_refresh_token_is_an_invalid_token_error(
    concierge: ConciergeTestKit,
) -> None:
    await concierge.tenant("acme")
    before = await counts(concierge, UserSession, RefreshToken)
    payload = await refresh(concierge, "not-a-refresh-token")
    assert payload["accessToken"] is None and payload["refreshToken"] is None
    assert payload["errors"] == [
        {
            "code": "INVALID_TOKEN",
            "field": ["refreshToken"],
            "message": "this refresh token is not valid; sign in again",
        }
    ]
    assert await counts(concierge, UserSession, RefreshToken) == before


async def test_reusing_a_rotated_refresh_token_ends_the_whole_session(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    stolen = await signed_in(concierge, owner_email(tenant))
    elsewhere = await signed_in(concierge, owner_email(tenant))  # another device
    rotated = await refresh(concierge, stolen["refreshToken"])
    assert rotated["errors"] == []

    concierge.clock.advance(seconds=11)  # past the retry grace: this is a replay
    replay = await refresh(concierge, stolen["refreshToken"])
    assert [e["code"] for e in replay["errors"]] == ["INVALID_TOKEN"]
    assert replay["accessToken"] is None

    # Even the newest tokens of that session stop working...
    assert_unauthenticated(await me(concierge, rotated["accessToken"]))
    newest = await refresh(concierge, rotated["refreshToken"])
    assert [e["code"] for e in newest["errors"]] == ["INVALID_TOKEN"]
    # ...while the user's other session is untouched.
    assert (await me(concierge, elsewhere["accessToken"])).ok()["me"] is not None
    reasons = [s.revoked_reason for s in await sessions_of(concierge, owner_email(tenant))]
    assert reasons.count("refresh_token_reused") == 1


async def test_a_quick_retry_of_a_used_refresh_token_keeps_the_session(
    concierge: ConciergeTestKit,
) -> None:
    """A client retrying a refresh (a timeout, two tabs) is refused, not punished."""
    tenant = await concierge.tenant("acme")
    first = await signed_in(concierge, owner_email(tenant))
    rotated = await refresh(concierge, first["refreshToken"])
    concierge.clock.advance(seconds=3)
    retry = await refresh(concierge, first["refreshToken"])
    assert [e["code"] for e in retry["errors"]] == ["INVALID_TOKEN"]
    assert (await me(concierge, rotated["accessToken"])).ok()["me"] is not None
    assert (await refresh(concierge, rotated["refreshToken"]))["errors"] == []


async def test_logout_stops_the_access_and_refresh_tokens_at_once(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    payload = await signed_in(concierge, owner_email(tenant))
    other = await signed_in(concierge, owner_email(tenant))
    token = payload["accessToken"]
    assert (await concierge.graphql("{ notes { totalCount } }", property=shop, token=token)).ok()

    out = await concierge.graphql(LOGOUT, token=token)
    assert out.ok() == {"logout": {"ok": True, "errors": []}}

    assert_unauthenticated(await me(concierge, token))
    assert_unauthenticated(
        await concierge.graphql("{ notes { totalCount } }", property=shop, token=token)
    )
    again = await refresh(concierge, payload["refreshToken"])
    assert [e["code"] for e in again["errors"]] == ["INVALID_TOKEN"]
    # Only that session ended.
    assert (await me(concierge, other["accessToken"])).ok()["me"] is not None


async def test_logout_needs_a_signed_in_user(concierge: ConciergeTestKit) -> None:
    result = await concierge.graphql(LOGOUT)
    assert result.status == 200
    assert result.data is None
    assert error_codes(result) == ["UNAUTHENTICATED"]


async def test_changing_the_password_ends_the_other_sessions_but_not_this_one(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    here = await signed_in(concierge, email)
    phone = await signed_in(concierge, email)
    laptop = await signed_in(concierge, email)

    changed = await concierge.graphql(
        CHANGE_PASSWORD, {"current": TEST_PASSWORD, "new": NEW_PASSWORD}, token=here["accessToken"]
    )
    assert changed.ok()["changePassword"] == {"user": {"email": email}, "errors": []}

    # This session goes on, including its refresh token.
    assert (await me(concierge, here["accessToken"])).ok()["me"]["email"] == email
    assert (await refresh(concierge, here["refreshToken"]))["errors"] == []
    # The others end: access and refresh tokens alike.
    for other in (phone, laptop):
        assert_unauthenticated(await me(concierge, other["accessToken"]))
        assert [e["code"] for e in (await refresh(concierge, other["refreshToken"]))["errors"]] == [
            "INVALID_TOKEN"
        ]
    # The old password is refused, the new one accepted.
    old = await login(concierge, email, TEST_PASSWORD)
    assert [e["code"] for e in old["errors"]] == ["INVALID_CREDENTIALS"]
    await signed_in(concierge, email, NEW_PASSWORD)
    async with concierge.db.session(Scope.system(), write=False) as session:
        stored = await session.scalar(select(User.password_hash).where(User.email == email))
    assert stored.startswith("$argon2id$") and NEW_PASSWORD not in stored


@pytest.mark.parametrize(
    ("current", "new", "code", "field"),
    [
        ("not the current password", NEW_PASSWORD, "INVALID_CREDENTIALS", ["currentPassword"]),
        (TEST_PASSWORD, "short", "INVALID_INPUT", ["newPassword"]),
    ],
)
async def test_a_refused_password_change_changes_nothing(
    concierge: ConciergeTestKit, current: str, new: str, code: str, field: list[str]
) -> None:
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    here = await signed_in(concierge, email)
    other = await signed_in(concierge, email)

    result = await concierge.graphql(
        CHANGE_PASSWORD, {"current": current, "new": new}, token=here["accessToken"]
    )
    payload = result.ok()["changePassword"]
    assert payload["user"] is None
    assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)]

    assert (await me(concierge, other["accessToken"])).ok()["me"] is not None
    assert all(s.revoked_at is None for s in await sessions_of(concierge, email))
    await signed_in(concierge, email, TEST_PASSWORD)
    assert (await login(concierge, email, new))["accessToken"] is None


async def test_an_api_key_cannot_change_a_password_or_log_out(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    created = await concierge.graphql(
        'mutation { createApiKey(input: {property: "acme-shop", name: "pos", kind: SECRET,'
        ' permissions: ["notes:read"]}) { secret errors { code } } }',
        tenant=tenant,
    )
    key = created.ok()["createApiKey"]["secret"]
    assert key

    assert (await me(concierge, key)).ok() == {"me": None}
    for mutation in (
        LOGOUT,
        'mutation { changePassword(input: {currentPassword: "x", newPassword: "yyyyyyyyyyyy"})'
        " { errors { code } } }",
    ):
        result = await concierge.graphql(mutation, token=key)
        assert result.data is None
        assert error_codes(result) == ["UNAUTHENTICATED"]
    await signed_in(concierge, owner_email(tenant))


# ---------------------------------------------------------------------------
# Rate limits
# ---------------------------------------------------------------------------


async def test_the_sixth_failed_sign_in_within_15_minutes_is_refused_even_when_right(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    for attempt in range(5):
        clock.advance(minutes=2)
        # The address counts whatever its case.
        failed = await login(concierge, email if attempt % 2 else email.upper(), "wrong guess!!")
        assert [e["code"] for e in failed["errors"]] == ["INVALID_CREDENTIALS"], attempt
    sessions_before = await counts(concierge, UserSession, RefreshToken)

    limited = await login(concierge, email, TEST_PASSWORD)
    assert limited["accessToken"] is None and limited["refreshToken"] is None
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]
    assert "try again" in limited["errors"][0]["message"]
    assert await counts(concierge, UserSession, RefreshToken) == sessions_before

    # Other users are not affected.
    await concierge.user(tenant, "vera@acme.example")
    await signed_in(concierge, "vera@acme.example")

    clock.advance(minutes=16)
    await signed_in(concierge, email)


async def test_failures_spread_over_more_than_15_minutes_do_not_lock_anyone_out(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    for _ in range(4):
        assert (await login(concierge, email, "wrong guess!!"))["accessToken"] is None
    clock.advance(minutes=16)
    for _ in range(4):
        assert (await login(concierge, email, "wrong guess!!"))["accessToken"] is None
    await signed_in(concierge, email)


async def test_failures_for_an_unknown_email_are_limited_the_same_way(
    concierge: ConciergeTestKit,
) -> None:
    await concierge.tenant("acme")
    answers = [
        (await login(concierge, "ghost@acme.example", "anything at all"))["errors"][0]["code"]
        for _ in range(6)
    ]
    assert answers == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"]


async def test_concurrent_guesses_cannot_get_past_the_limit(
    concierge: ConciergeTestKit,
) -> None:
    """A burst of parallel guesses is counted like the same guesses one by one."""
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    results = await asyncio.gather(
        *(login(concierge, email, f"parallel guess {n}") for n in range(12))
    )
    codes = sorted(r["errors"][0]["code"] for r in results)
    assert codes == ["INVALID_CREDENTIALS"] * 5 + ["RATE_LIMITED"] * 7
    assert (await login(concierge, email, TEST_PASSWORD))["errors"][0]["code"] == "RATE_LIMITED"


def _client_at(kit: ConciergeTestKit, address: str) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=kit.app, client=(address, 40_000))
    return httpx.AsyncClient(transport=transport, base_url="http://testserver")


async def _login_from(client: httpx.AsyncClient, email: str, password: str) -> dict[str, Any]:
    response = await client.post(
        "/graphql",
        json={"query": LOGIN, "variables": {"e": email, "p": password}},
        headers={"accept": GRAPHQL_RESPONSE_JSON},
    )
    assert response.status_code == 200, response.text
    return response.json()["data"]["login"]


async def test_twenty_failures_from_one_address_limit_that_address(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    async with (
        _client_at(concierge, "198.51.100.7") as attacker,
        _client_at(concierge, "203.0.113.9") as colleague,
    ):
        for n in range(20):
            failed = await _login_from(attacker, f"guess{n}@acme.example", "password123!")
            assert [e["code"] for e in failed["errors"]] == ["INVALID_CREDENTIALS"], n

        # The address is limited, even for a real account with the right password.
        limited = await _login_from(attacker, email, TEST_PASSWORD)
        assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]
        assert limited["accessToken"] is None
        # Another address signs in to the same account.
        assert (await _login_from(colleague, email, TEST_PASSWORD))["errors"] == []

        clock.advance(minutes=16)
        assert (await _login_from(attacker, email, TEST_PASSWORD))["errors"] == []


async def test_failures_for_one_account_count_across_addresses(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    email = owner_email(tenant)
    for n in range(5):
        async with _client_at(concierge, f"192.0.2.{n + 1}") as client:
            await _login_from(client, email, "wrong guess!!")
    async with _client_at(concierge, "192.0.2.99") as client:
        limited = await _login_from(client, email, TEST_PASSWORD)
    assert [e["code"] for e in limited["errors"]] == ["RATE_LIMITED"]


async def test_every_attempt_is_recorded_without_the_password(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    await login(concierge, owner_email(tenant), "wrong guess!!")
    await signed_in(concierge, owner_email(tenant))
    async with concierge.db.session(Scope.system(), write=False) as session:
        rows = list(await session.scalars(select(LoginAttempt).order_by(LoginAttempt.id)))
    assert [(r.email, r.succeeded) for r in rows] == [
        (owner_email(tenant), False),
        (owner_email(tenant), True),
    ]
    assert all(r.client_address for r in rows)
    for row in rows:
        assert "wrong guess" not in str(vars(row)) and TEST_PASSWORD not in str(vars(row))


# ---------------------------------------------------------------------------
# WebSocket
# ---------------------------------------------------------------------------


async def _connection_init(kit: ConciergeTestKit, prop, token: str) -> str | int:
    """The answer to connection_init: the message type, or the close code."""
    async with kit.websocket(prop) as ws:
        await ws.send_json(
            {"type": "connection_init", "payload": {"Authorization": f"Bearer {token}"}}
        )
        try:
            return (await asyncio.wait_for(ws.receive_json(), 5))["type"]
        except WebSocketDisconnect as closed:
            return closed.code


async def test_a_websocket_with_a_logged_out_sessions_token_is_refused(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    payload = await signed_in(concierge, owner_email(tenant))
    token = payload["accessToken"]
    assert await _connection_init(concierge, shop, token) == "connection_ack"

    assert (await concierge.graphql(LOGOUT, token=token)).ok()["logout"]["ok"] is True
    assert await _connection_init(concierge, shop, token) == 4403


async def test_a_websocket_with_a_token_ended_by_a_password_change_is_refused(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    here = await signed_in(concierge, owner_email(tenant))
    other = await signed_in(concierge, owner_email(tenant))
    changed = await concierge.graphql(
        CHANGE_PASSWORD, {"current": TEST_PASSWORD, "new": NEW_PASSWORD}, token=here["accessToken"]
    )
    assert changed.ok()["changePassword"]["errors"] == []

    assert await _connection_init(concierge, shop, other["accessToken"]) == 4403
    assert await _connection_init(concierge, shop, here["accessToken"]) == "connection_ack"


async def test_tokens_follow_the_servers_clock_even_ahead_of_the_wall_clock(
    concierge: ConciergeTestKit, clock: MovableClock
) -> None:
    """Issued-at and expiry are judged by the server's (injectable) clock alone: a
    server whose clock runs ahead of this machine's still accepts its own tokens."""
    tenant = await concierge.tenant("acme")
    clock.set(dt.datetime.now(dt.UTC) + dt.timedelta(days=400))
    payload = await signed_in(concierge, owner_email(tenant))
    assert (await me(concierge, payload["accessToken"])).ok()["me"]["email"] == owner_email(tenant)
    renewed = await refresh(concierge, payload["refreshToken"])
    assert (await me(concierge, renewed["accessToken"])).ok()["me"] is not None

    # A token claiming to be issued after the server's now is refused.
    claims = {**_real_claims(payload["accessToken"])}
    claims["iat"] += 3600
    early = jwt.encode(claims, concierge.runtime.settings.secret_key, algorithm="HS256")
    assert_unauthenticated(await me(concierge, early))
