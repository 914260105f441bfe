"""Domain events: recorded with the change, delivered after commit to enabled plugins only."""

from __future__ import annotations

from notes_plugin import hooks as notes_hooks
from sqlalchemy import select

from core.db import Scope
from core.events import OutboxEvent
from core.testing import ConciergeTestKit

ADD_NOTE = "mutation($t: String!) { addNote(input: {text: $t}) { note { id } errors { code } } }"


async def _outbox(concierge: ConciergeTestKit) -> list[OutboxEvent]:
    async with concierge.db.session(Scope.system(), write=False) as session:
        return list(await session.scalars(select(OutboxEvent).order_by(OutboxEvent.id)))


async def test_a_change_delivers_its_event_after_commit(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    result = await concierge.graphql(ADD_NOTE, {"t": "hello"}, property=shop)
    assert result.ok()["addNote"]["errors"] == []

    assert notes_hooks.DELIVERED_EVENTS == [(shop.id, "test_notes.note_added")]
    [event] = await _outbox(concierge)
    assert event.name == "test_notes.note_added"
    assert event.payload["text"] == "hello"
    assert (event.tenant_id, event.property_id) == (tenant.id, shop.id)
    assert event.delivered_at is not None and event.attempts == 1


async def test_a_failed_change_records_no_event(concierge: ConciergeTestKit) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    result = await concierge.graphql(ADD_NOTE, {"t": "   "}, property=shop)
    assert result.ok()["addNote"]["errors"] == [{"code": "INVALID_INPUT"}]
    assert await _outbox(concierge) == []
    assert notes_hooks.DELIVERED_EVENTS == []


async def test_event_hooks_skip_properties_without_the_plugin(concierge: ConciergeTestKit) -> None:
    """An event of a property that later disabled the plugin reaches no handler of it."""
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    notes_hooks.FAIL_NEXT_EVENTS.append(True)  # first delivery fails: stays pending
    await concierge.graphql(ADD_NOTE, {"t": "pending"}, property=shop)
    assert notes_hooks.DELIVERED_EVENTS == []

    await concierge.disable(shop, "test_notes")
    concierge.clock.advance(minutes=5)
    assert await concierge.run_job("core.deliver_events")
    [event] = await _outbox(concierge)
    assert notes_hooks.DELIVERED_EVENTS == []  # plugin disabled there: not called
    assert event.delivered_at is not None


async def test_a_failing_handler_is_retried_by_the_delivery_job(
    concierge: ConciergeTestKit,
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["test_notes"])
    notes_hooks.FAIL_NEXT_EVENTS.append(True)
    await concierge.graphql(ADD_NOTE, {"t": "retry me"}, property=shop)

    [event] = await _outbox(concierge)
    assert event.delivered_at is None and event.attempts == 1
    assert "failed on purpose" in (event.last_error or "")

    # Not retried before it is 30 seconds old (the request may still be delivering).
    await concierge.run_job("core.deliver_events")
    assert notes_hooks.DELIVERED_EVENTS == []

    concierge.clock.advance(seconds=31)
    await concierge.run_job("core.deliver_events")
    assert notes_hooks.DELIVERED_EVENTS == [(shop.id, "test_notes.note_added")]
    [event] = await _outbox(concierge)
    assert event.delivered_at is not None and event.attempts == 2 and event.last_error is None
