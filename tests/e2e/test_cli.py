"""The `concierge` command as a newcomer runs it: real processes, a real server."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

ROOT = Path(__file__).resolve().parents[2]


def _env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("CONCIERGE_")}
    env["CONCIERGE_DATA_DIR"] = str(tmp_path / "var")
    env.update(extra)
    return env


def _concierge(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "core.cli", *args],
        env=_env(tmp_path, **env),
        capture_output=True,
        text=True,
        timeout=120,
        cwd=tmp_path,
    )


def test_help_lists_the_commands_with_their_help(tmp_path: Path) -> None:
    result = _concierge(tmp_path, "--help")
    assert result.returncode == 0
    for command, words in {
        "serve": "run the HTTP server",
        "migrate": "upgrade the database",
        "export-schema": "print the GraphQL schema",
        "jobs": "run one once",
    }.items():
        line = next(line for line in result.stdout.splitlines() if line.strip().startswith(command))
        assert words in line or words in result.stdout, (command, result.stdout)


def test_serve_refuses_production_with_the_development_secret(tmp_path: Path) -> None:
    result = _concierge(tmp_path, "serve", CONCIERGE_PRODUCTION="1")
    assert result.returncode == 2
    assert "CONCIERGE_SECRET_KEY" in result.stderr


def test_export_schema_prints_schema_graphql(tmp_path: Path) -> None:
    result = _concierge(tmp_path, "export-schema")
    assert result.returncode == 0, result.stderr
    assert result.stdout == (ROOT / "schema.graphql").read_text()


def test_jobs_list_and_an_unknown_job(tmp_path: Path) -> None:
    listed = _concierge(tmp_path, "jobs", "list")
    assert listed.returncode == 0 and "core.deliver_events" in listed.stdout
    unknown = _concierge(tmp_path, "jobs", "run", "no.such.job")
    assert unknown.returncode == 2 and "unknown job" in unknown.stderr


def test_jobs_run_once_for_cron(tmp_path: Path) -> None:
    assert _concierge(tmp_path, "migrate").returncode == 0
    result = _concierge(tmp_path, "jobs", "run", "core.deliver_events")
    assert result.returncode == 0, result.stderr
    assert "done" in result.stdout


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.skipif(
    bool(os.environ.get("CONCIERGE_TEST_DATABASE_URL")),
    reason="the quick start runs on the embedded SQLite database",
)
def test_quick_start_serves_demo_data(tmp_path: Path) -> None:
    """README command 1: `concierge serve --demo` on a fresh data directory."""
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--demo", "--port", str(port)],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.TransportError:
                time.sleep(0.1)
        else:
            pytest.fail("server did not come up")
        assert httpx.post(f"{base}/graphql", json={"query": "{ __typename }"}).json() == {
            "data": {"__typename": "AccountQuery"}
        }
        assert httpx.get(f"{base}/readyz").status_code == 200
        server.terminate()  # graceful shutdown on SIGTERM
        output, _ = server.communicate(timeout=30)
        # uvicorn finishes in-flight work, runs the lifespan shutdown, then re-raises SIGTERM.
        assert server.returncode in (0, -signal.SIGTERM), output
        assert "Application shutdown complete" in output
        assert "owner@demo.example" in output and "concierge-demo" in output
    finally:
        if server.poll() is None:
            server.kill()
            server.wait()

    # The demo data is there: restart without --demo and ask the shop and the resort.
    port = _free_port()
    server = subprocess.Popen(
        [sys.executable, "-m", "core.cli", "serve", "--port", str(port)],
        env=_env(tmp_path),
        cwd=tmp_path,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        for _ in range(200):
            try:
                httpx.get(f"{base}/healthz", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.1)
        # Sign in as the printed instructions say, then ask both properties.
        login = httpx.post(
            f"{base}/graphql",
            json={
                "query": "mutation($e: String!, $p: String!) { login(input: {email: $e, "
                "password: $p}) { accessToken errors { message } } }",
                "variables": {"e": "owner@demo.example", "p": "concierge-demo"},
            },
        ).json()
        token = login["data"]["login"]["accessToken"]
        query = {"query": "{ currentProperty { slug enabledPlugins } }"}
        headers = {"authorization": f"Bearer {token}"}
        shop = httpx.post(f"{base}/graphql/demo-shop", json=query, headers=headers).json()
        resort = httpx.post(f"{base}/graphql/demo-resort", json=query, headers=headers).json()
        assert "pms_rooms" not in shop["data"]["currentProperty"]["enabledPlugins"]
        assert "pms_rooms" in resort["data"]["currentProperty"]["enabledPlugins"]
    finally:
        server.terminate()
        server.wait(timeout=30)


def test_plugins_list_shows_requirements_and_where_each_runs(tmp_path: Path) -> None:
    before = _concierge(tmp_path, "plugins", "list")
    assert before.returncode == 0, before.stderr
    assert "pms_housekeeping 0.1.0" in before.stdout
    assert "requires: pms_rooms, core >=0.1,<0.2" in before.stdout
    assert "enabled at: no property" in before.stdout
    assert _concierge(tmp_path, "demo").returncode == 0
    after = _concierge(tmp_path, "plugins", "list").stdout
    blocks = {b.split(" ", 1)[0]: b for b in after.split("\n") if b and not b.startswith(" ")}
    lines = after.splitlines()
    housekeeping = lines.index(next(b for b in lines if b.startswith("pms_housekeeping ")))
    assert lines[housekeeping + 2] == "  enabled at: demo/demo-resort"
    orders = lines.index(next(b for b in lines if b.startswith("oms_orders ")))
    assert lines[orders + 2] == "  enabled at: demo/demo-resort, demo/demo-shop"
    assert "webhooks" in blocks


def test_check_reports_broken_invariants_and_fails(tmp_path: Path) -> None:
    """`concierge check` on the demo data: every invariant holds. After a stock level is
    changed behind its ledger's back, it names the property, invariant and level, exit 1."""
    import sqlite3

    assert _concierge(tmp_path, "demo").returncode == 0
    clean = _concierge(tmp_path, "check")
    assert clean.returncode == 0, clean.stderr
    assert "every one holds" in clean.stdout
    database = sqlite3.connect(tmp_path / "var" / "concierge.sqlite3")
    with database:
        database.execute(
            "UPDATE inv_stock_levels SET on_hand = on_hand + 5 WHERE property_id ="
            " (SELECT id FROM properties WHERE slug = 'demo-shop')"
        )
    database.close()
    broken = _concierge(tmp_path, "check")
    assert broken.returncode == 1
    assert "violations:" in broken.stderr
    assert "demo-shop: oms_inventory.levels_match_ledger: level " in broken.stderr
