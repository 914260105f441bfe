"""Periodic jobs: registered by plugins, run once on demand, never twice at a time."""

from __future__ import annotations

import asyncio

import pytest
from notes_plugin import hooks as notes_hooks

from core.runtime import Runtime
from core.testing import ConciergeTestKit


async def test_plugins_register_jobs_and_they_run_once_on_demand(
    concierge: ConciergeTestKit,
) -> None:
    assert {"core.deliver_events", "test_notes.count"} <= set(concierge.runtime.jobs.jobs)
    assert await concierge.run_job("test_notes.count") is True
    assert notes_hooks.JOB_RUNS == ["start", "end"]


async def test_an_unknown_job_is_a_clear_error(concierge: ConciergeTestKit) -> None:
    with pytest.raises(KeyError, match="unknown job 'nope'"):
        await concierge.run_job("nope")


async def test_one_runner_never_runs_a_job_twice_at_once(concierge: ConciergeTestKit) -> None:
    ran = await asyncio.gather(
        concierge.run_job("test_notes.count"), concierge.run_job("test_notes.count")
    )
    assert sorted(ran) == [False, True]
    assert notes_hooks.JOB_RUNS == ["start", "end"]


async def test_two_processes_never_run_a_job_at_once_on_postgresql(
    concierge: ConciergeTestKit, concierge_settings, concierge_host
) -> None:
    """Two runtimes (as two app processes would) share the database's advisory lock."""
    if concierge.db.is_sqlite:
        pytest.skip("advisory locks are PostgreSQL's; SQLite deployments are one process")
    other = Runtime.build(concierge_settings, concierge_host, clock=concierge.clock)
    try:
        ran = await asyncio.gather(
            concierge.run_job("test_notes.count"), other.jobs.run_once("test_notes.count")
        )
    finally:
        await other.close()
    assert sorted(ran) == [False, True]
    assert notes_hooks.JOB_RUNS == ["start", "end"]
    # The lock is released after the run: the next run goes ahead.
    assert await concierge.run_job("test_notes.count") is True


async def test_serve_runs_jobs_on_their_interval_and_stops_cleanly(
    concierge: ConciergeTestKit,
) -> None:
    """What `concierge serve` starts in its lifespan: each job looping on its interval."""
    import datetime as dt

    from core.jobs import Job

    runs: list[int] = []

    async def tick(context) -> None:
        runs.append(len(runs))
        if len(runs) == 2:
            raise RuntimeError("a failing run is logged; the loop goes on")

    runner = concierge.runtime.jobs
    runner.jobs = {"tick": Job(name="tick", interval=dt.timedelta(milliseconds=20), run=tick)}
    runner.start()
    for _ in range(200):
        if len(runs) >= 4:
            break
        await asyncio.sleep(0.01)
    await runner.stop()
    assert len(runs) >= 4
    settled = len(runs)
    await asyncio.sleep(0.06)
    assert len(runs) == settled  # stopped: no more runs


async def test_a_property_whose_work_fails_is_logged_and_skipped(
    concierge: ConciergeTestKit, caplog: pytest.LogCaptureFixture
) -> None:
    tenant = await concierge.tenant("acme")
    props = [
        await concierge.property(tenant, slug, plugins=["test_notes"])
        for slug in ("acme-a", "acme-b", "acme-c")
    ]
    await concierge.property(tenant, "acme-plain")  # without the plugin: not visited
    visited: list[int] = []

    async def work(tenant_id: int, property_id: int) -> int:
        visited.append(property_id)
        if property_id == props[1].id:
            raise RuntimeError("this property's data is broken")
        return 2

    context = concierge.runtime.jobs.context
    with caplog.at_level("ERROR"):
        done = await context.for_each_property("test_notes", work, what="counting")
    assert visited == [p.id for p in props]
    assert done == 4  # the failing property's share is missing, the others' is not
    assert f"counting failed for property {props[1].id}" in caplog.text
