"""The demo tenant as a newcomer meets it: `concierge demo`, then signing in as
each demo user and reaching the properties that user's role allows."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from core.config import Settings, load_settings
from core.demo import DEMO_PASSWORD, DEMO_USERS, demo_email, seed_demo
from core.plugins import PluginHost
from core.testing import ConciergeTestKit

DEMO_PROPERTIES = ("demo-shop", "demo-resort")
CURRENT = "{ currentProperty { slug } }"
LOGIN = (
    "mutation($e: String!, $p: String!) { login(input: {email: $e, password: $p}) {"
    " accessToken user { email memberships { role property { slug } } } errors { code } } }"
)


def _reachable(slug: str | None) -> set[str]:
    return set(DEMO_PROPERTIES) if slug is None else {slug}


async def test_every_demo_user_signs_in_and_reaches_their_properties(
    concierge: ConciergeTestKit, concierge_settings: Settings, concierge_host: PluginHost
) -> None:
    assert await seed_demo(concierge_settings, concierge_host, concierge.clock) is True
    assert await seed_demo(concierge_settings, concierge_host, concierge.clock) is False

    for role, slug in DEMO_USERS:
        email = demo_email(role)
        result = await concierge.graphql(LOGIN, {"e": email, "p": DEMO_PASSWORD})
        payload = result.ok()["login"]
        assert payload["errors"] == [], role
        assert payload["user"] == {
            "email": email,
            "memberships": [{"role": role, "property": {"slug": slug} if slug else None}],
        }
        token = payload["accessToken"]

        listed = await concierge.graphql("{ properties { slug } }", token=token)
        assert {p["slug"] for p in listed.ok()["properties"]} == _reachable(slug), role
        for prop in DEMO_PROPERTIES:
            answer = await concierge.graphql(CURRENT, property=prop, token=token)
            if prop in _reachable(slug):
                assert answer.ok() == {"currentProperty": {"slug": prop}}, (role, prop)
            else:
                assert answer.status == 404, (role, prop)

        wrong = await concierge.login(email, "not-the-demo-password")
        assert [e["code"] for e in wrong.ok()["login"]["errors"]] == ["INVALID_CREDENTIALS"]


async def test_the_demo_command_then_signing_in_as_each_demo_user(
    concierge: ConciergeTestKit, tmp_path: Path
) -> None:
    """As the README has it: a fresh data directory, its embedded database (whatever
    database the other tests use), the command, then the printed users sign in."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
    env["CONCIERGE_DATA_DIR"] = str(tmp_path / "var")
    result = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "core.cli", "demo"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "demo tenant created" in result.stdout
    for role, _ in DEMO_USERS:
        assert demo_email(role) in result.stdout
    assert DEMO_PASSWORD in result.stdout

    settings = load_settings({"CONCIERGE_DATA_DIR": str(tmp_path / "var")})
    async with concierge.client_with(settings) as client:
        for role, _ in DEMO_USERS:
            response = await client.post(
                "/graphql",
                json={"query": LOGIN, "variables": {"e": demo_email(role), "p": DEMO_PASSWORD}},
            )
            payload = response.json()["data"]["login"]
            assert payload["errors"] == [], (role, payload)
            assert payload["accessToken"]
            assert payload["user"]["memberships"][0]["role"] == role
