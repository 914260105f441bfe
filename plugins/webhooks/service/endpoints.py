"""Webhook endpoints: where a property's events go, which ones, signed with what."""

from __future__ import annotations

import re
from collections.abc import Iterable
from enum import Enum
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import CoreErrorCode, DomainError
from core.events import OutboxEvent
from core.signatures import new_secret
from plugins.webhooks.models import WebhookDelivery, WebhookEndpoint

MAX_TYPES = 50
EVENT_TYPE = re.compile(r"^[a-z_]+\.(\*|[a-z_]+)\Z|^\*\Z")


class EndpointStatus(Enum):
    ACTIVE = "active"
    DISABLED = "disabled"


def _invalid(message: str, field: str) -> DomainError:
    return DomainError(CoreErrorCode.INVALID_INPUT, message, field=[field])


def checked_url(url: str) -> str:
    url = url.strip()
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.netloc or len(url) > 2000:
        raise _invalid("an endpoint is an http(s) URL of up to 2000 characters", "url")
    return url


def checked_types(event_types: Iterable[str]) -> list[str]:
    types = sorted({t.strip() for t in event_types if t.strip()})
    if len(types) > MAX_TYPES:
        raise _invalid(f"at most {MAX_TYPES} event types", "eventTypes")
    for name in types:
        if not EVENT_TYPE.match(name):
            raise _invalid(
                f"{name!r} is not an event name ('oms_orders.order_placed'), a plugin's "
                "events ('oms_orders.*') or '*'", "eventTypes",
            )  # fmt: skip
    return types


def wants(endpoint: WebhookEndpoint, event_name: str) -> bool:
    return not endpoint.event_types or any(fnmatchcase(event_name, t) for t in endpoint.event_types)


async def create_endpoint(
    session: AsyncSession, *, url: str, event_types: Iterable[str], clock: Clock
) -> WebhookEndpoint:
    """An endpoint that receives the events recorded from now on."""
    latest = await session.scalar(select(func.max(OutboxEvent.id)))
    endpoint = WebhookEndpoint(
        url=checked_url(url), event_types=checked_types(event_types), secret=new_secret(),
        status=EndpointStatus.ACTIVE.value, disabled_reason="", consecutive_failures=0,
        cursor_event_id=int(latest or 0), created_at=clock.now(),
    )  # fmt: skip
    session.add(endpoint)
    await session.flush()
    return endpoint


async def endpoint_by_id(session: AsyncSession, endpoint_id: int) -> WebhookEndpoint:
    endpoint = await session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise DomainError(CoreErrorCode.NOT_FOUND, "webhook endpoint not found", field=["endpoint"])
    return endpoint


async def update_endpoint(
    session: AsyncSession,
    endpoint: WebhookEndpoint,
    *,
    url: str | None = None,
    event_types: Iterable[str] | None = None,
    active: bool | None = None,
) -> WebhookEndpoint:
    """Change an endpoint; re-enabling one resumes its pending deliveries, from now."""
    if url is not None:
        endpoint.url = checked_url(url)
    if event_types is not None:
        endpoint.event_types = checked_types(event_types)
    if active is True and endpoint.status != EndpointStatus.ACTIVE.value:
        endpoint.status = EndpointStatus.ACTIVE.value
        endpoint.disabled_reason = ""
        endpoint.consecutive_failures = 0
    elif active is False:
        endpoint.status = EndpointStatus.DISABLED.value
        endpoint.disabled_reason = "disabled by hand"
    await session.flush()
    return endpoint


async def redeliver(session: AsyncSession, delivery_id: int, clock: Clock) -> WebhookDelivery:
    """Send a delivery again at the next run, whatever became of it."""
    delivery = await session.get(WebhookDelivery, delivery_id)
    if delivery is None:
        raise DomainError(CoreErrorCode.NOT_FOUND, "delivery not found", field=["delivery"])
    delivery.status = "pending"
    delivery.next_attempt_at = clock.now()
    await session.flush()
    return delivery
