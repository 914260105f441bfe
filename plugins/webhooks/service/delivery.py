"""Delivering a property's events to its webhook endpoints, from the outbox.

Each run (job ``webhooks.deliver``): every active endpoint's cursor walks the
outbox past the events recorded since, queueing one delivery per event it
wants (UNIQUE (endpoint, event): never twice); then the deliveries due are
POSTed, one request per event, outside any transaction, and their outcome
recorded. A failure is retried with exponential backoff (30 s, 1 min, 2 min,
... up to 6 h); an endpoint failing ten times in a row is disabled, its
deliveries kept for when it is enabled again. Receivers get each event at
least once and drop repeats by its id (``X-Concierge-Event-Id``).

The request: ``POST`` of ``{"id", "name", "occurredAt", "property",
"payload"}`` with ``X-Concierge-Event-Id``, ``X-Concierge-Event``,
``X-Concierge-Timestamp`` and ``X-Concierge-Signature: sha256=<hex>``, the
HMAC-SHA256 with the endpoint's secret of ``<timestamp>.<body>`` (the same
scheme pos_bridge accepts from POS vendors).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import httpx
import orjson
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import session_scope, upsert_insert
from core.events import OutboxEvent
from core.signatures import sign
from core.tenancy import Property
from plugins.webhooks.models import WebhookDelivery, WebhookEndpoint
from plugins.webhooks.service.endpoints import EndpointStatus, wants

BACKOFF_BASE = dt.timedelta(seconds=30)
BACKOFF_CAP = dt.timedelta(hours=6)
MAX_CONSECUTIVE_FAILURES = 10
SCAN_BATCH = 1000
SEND_BATCH = 200
TIMEOUT = httpx.Timeout(10.0)


def backoff(attempts: int) -> dt.timedelta:
    """How long after its ``attempts``-th failure a delivery is tried again."""
    return min(BACKOFF_BASE * 2 ** max(attempts - 1, 0), BACKOFF_CAP)


@dataclass(frozen=True)
class DueDelivery:
    id: int
    endpoint_id: int
    url: str
    secret: str
    event_id: int
    event_name: str
    body: bytes


async def queue_new_events(session: AsyncSession, clock: Clock) -> int:
    """Queue a delivery for every event each active endpoint wants since its cursor."""
    scope = session_scope(session)
    endpoints = list(
        await session.scalars(
            select(WebhookEndpoint)
            .where(WebhookEndpoint.status == EndpointStatus.ACTIVE.value)
            .with_for_update()
        )
    )
    queued = 0
    for endpoint in endpoints:
        events = list(
            await session.scalars(
                select(OutboxEvent)
                .where(
                    OutboxEvent.property_id == scope.property_id,
                    OutboxEvent.id > endpoint.cursor_event_id,
                )
                .order_by(OutboxEvent.id)
                .limit(SCAN_BATCH)
            )
        )
        rows = [
            {"tenant_id": scope.tenant_id, "property_id": scope.property_id,
             "endpoint_id": endpoint.id, "event_id": event.id, "event_name": event.name,
             "status": "pending", "attempts": 0, "next_attempt_at": clock.now(),
             "created_at": clock.now()}
            for event in events
            if wants(endpoint, event.name)
        ]  # fmt: skip
        if rows:
            await session.execute(
                upsert_insert(session, WebhookDelivery)
                .values(rows)
                .on_conflict_do_nothing(index_elements=["endpoint_id", "event_id"])
            )
            queued += len(rows)
        if events:
            endpoint.cursor_event_id = events[-1].id
    return queued


async def due_deliveries(session: AsyncSession, clock: Clock) -> list[DueDelivery]:
    """The deliveries to send now, oldest event first, with their request bodies."""
    scope = session_scope(session)
    prop = await session.get(Property, scope.property_id)
    rows = await session.execute(
        select(WebhookDelivery, WebhookEndpoint, OutboxEvent)
        .join(WebhookEndpoint, WebhookEndpoint.id == WebhookDelivery.endpoint_id)
        .join(OutboxEvent, OutboxEvent.id == WebhookDelivery.event_id)
        .where(
            WebhookDelivery.status == "pending",
            WebhookDelivery.next_attempt_at <= clock.now(),
            WebhookEndpoint.status == EndpointStatus.ACTIVE.value,
        )
        .order_by(WebhookDelivery.event_id, WebhookDelivery.id)
        .limit(SEND_BATCH)
    )
    due = []
    for delivery, endpoint, event in rows:
        body = orjson.dumps(
            {"id": event.id, "name": event.name, "occurredAt": event.occurred_at.isoformat(),
             "property": prop.slug if prop else None, "payload": event.payload}
        )  # fmt: skip
        due.append(
            DueDelivery(delivery.id, endpoint.id, endpoint.url, endpoint.secret, event.id,
                        event.name, body)
        )  # fmt: skip
    return due


async def send(
    client: httpx.AsyncClient, item: DueDelivery, clock: Clock
) -> tuple[int | None, str | None]:
    """POST one delivery; (status code, error). A 2xx answer is the only success."""
    timestamp = str(int(clock.now().timestamp()))
    headers = {
        "content-type": "application/json", "user-agent": "Concierge-Webhooks/1",
        "x-concierge-event-id": str(item.event_id), "x-concierge-event": item.event_name,
        "x-concierge-timestamp": timestamp,
        "x-concierge-signature": sign(item.secret, timestamp, item.body),
    }  # fmt: skip
    try:
        response = await client.post(item.url, content=item.body, headers=headers)
    except httpx.HTTPError as exc:
        return None, f"{type(exc).__name__}: {exc}"[:2000]
    if 200 <= response.status_code < 300:
        return response.status_code, None
    return response.status_code, f"answered {response.status_code}"


async def record_outcome(
    session: AsyncSession, item: DueDelivery, status: int | None, error: str | None, clock: Clock
) -> bool:
    """Mark the delivery done, or schedule its retry; disable an endpoint failing too
    often. True when delivered."""
    delivery = await session.get(WebhookDelivery, item.id, with_for_update=True)
    endpoint = await session.get(WebhookEndpoint, item.endpoint_id, with_for_update=True)
    if delivery is None or endpoint is None:
        return False
    now = clock.now()
    delivery.attempts += 1
    delivery.last_attempt_at, delivery.last_status_code = now, status
    if error is None:
        delivery.status, delivery.delivered_at, delivery.last_error = "delivered", now, None
        endpoint.consecutive_failures = 0
        return True
    delivery.last_error = error
    delivery.next_attempt_at = now + backoff(delivery.attempts)
    endpoint.consecutive_failures += 1
    if endpoint.consecutive_failures >= MAX_CONSECUTIVE_FAILURES:
        endpoint.status = EndpointStatus.DISABLED.value
        endpoint.disabled_reason = (
            f"{endpoint.consecutive_failures} failures in a row; the last: {error}"[:2000]
        )
    return False
