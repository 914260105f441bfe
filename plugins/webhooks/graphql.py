"""GraphQL of the webhooks plugin: endpoints, their delivery log, redelivery."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from core.errors import CoreErrorCode
from core.graphql import Connection, CoreError, GraphQLContribution, load_nodes, paginate, pk_of
from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires
from plugins.webhooks import models
from plugins.webhooks.service import endpoints as service


def contribution() -> GraphQLContribution:
    return GraphQLContribution(query=WebhooksQuery, mutation=WebhooksMutation)


@strawberry.type(description="A URL a property's events are sent to.")
class WebhookEndpoint(relay.Node):
    read_permission: ClassVar[str | None] = "webhooks:read"

    id: relay.NodeID[int]
    url: str
    event_types: list[str] = strawberry.field(
        description="Event names or a plugin's ('oms_orders.*'); empty: every event."
    )
    active: bool
    disabled_reason: str
    consecutive_failures: int
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.WebhookEndpoint) -> WebhookEndpoint:
        return cls(
            id=row.id, url=row.url, event_types=list(row.event_types),
            active=row.status == service.EndpointStatus.ACTIVE.value,
            disabled_reason=row.disabled_reason, consecutive_failures=row.consecutive_failures,
            created_at=row.created_at,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info, models.WebhookEndpoint, node_ids, cls.from_row)


@strawberry.type(description="One event sent (or to send) to one endpoint.")
class WebhookDelivery(relay.Node):
    read_permission: ClassVar[str | None] = "webhooks:read"

    id: relay.NodeID[int]
    event_id: str = strawberry.field(description="The event's id, as sent (for de-duplication).")
    event_name: str
    delivered: bool
    attempts: int
    next_attempt_at: dt.datetime
    last_attempt_at: dt.datetime | None
    last_status_code: int | None
    last_error: str | None
    delivered_at: dt.datetime | None
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.WebhookDelivery) -> WebhookDelivery:
        return cls(
            id=row.id, event_id=str(row.event_id), event_name=row.event_name,
            delivered=row.status == "delivered", attempts=row.attempts,
            next_attempt_at=row.next_attempt_at, last_attempt_at=row.last_attempt_at,
            last_status_code=row.last_status_code, last_error=row.last_error,
            delivered_at=row.delivered_at, created_at=row.created_at,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info, models.WebhookDelivery, node_ids, cls.from_row)


@strawberry.input(description="Every given condition must hold.")
class WebhookDeliveryFilter:
    endpoint: strawberry.ID | None = None
    delivered: bool | None = None


@strawberry.type
class WebhooksQuery:
    @strawberry.field(permission_classes=requires("webhooks:read"))
    async def webhook_endpoints(self, info: Info) -> list[WebhookEndpoint]:
        async with info.context.db() as session:
            rows = await session.scalars(
                select(models.WebhookEndpoint).order_by(models.WebhookEndpoint.id)
            )
            return [WebhookEndpoint.from_row(r) for r in rows]

    @strawberry.field(
        permission_classes=requires("webhooks:read"), description="The log, newest first."
    )
    async def webhook_deliveries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: WebhookDeliveryFilter | None = None,
    ) -> Connection[WebhookDelivery]:
        d = models.WebhookDelivery
        statement = select(d)
        if filter is not None and filter.endpoint is not None:
            statement = statement.where(d.endpoint_id == pk_of(filter.endpoint, "WebhookEndpoint"))
        if filter is not None and filter.delivered is not None:
            statement = statement.where(
                d.status == "delivered" if filter.delivered else d.status != "delivered"
            )
        page = await paginate(
            info, statement, sort_key=d.id, pk=d.id, first=first, after=after, descending=True
        )
        return page.to_connection(WebhookDelivery.from_row)


@strawberry.input
class CreateWebhookEndpointInput:
    url: str
    event_types: list[str] = strawberry.field(
        default_factory=list, description="Left empty: every event."
    )


@strawberry.input
class UpdateWebhookEndpointInput:
    endpoint: strawberry.ID
    url: str | None = None
    event_types: list[str] | None = None
    active: bool | None = strawberry.field(
        default=None, description="true re-enables a disabled endpoint; its deliveries resume."
    )


@strawberry.input
class WebhookEndpointInput:
    endpoint: strawberry.ID


@strawberry.input
class RedeliverWebhookInput:
    delivery: strawberry.ID


def _errors() -> Any:
    return strawberry.field(default_factory=list)


@strawberry.type
class WebhookEndpointPayload:
    endpoint: WebhookEndpoint | None = None
    secret: str | None = strawberry.field(
        default=None, description="The signing secret: shown when the endpoint is created."
    )
    errors: list[CoreError] = _errors()


@strawberry.type
class WebhookDeliveryPayload:
    delivery: WebhookDelivery | None = None
    errors: list[CoreError] = _errors()


@strawberry.type
class DeletedPayload:
    deleted: bool = False
    errors: list[CoreError] = _errors()


def _endpoint_id(value: str) -> int:
    return pk_of(value, "WebhookEndpoint")


@strawberry.type
class WebhooksMutation:
    @strawberry.mutation(permission_classes=requires("webhooks:manage"))
    async def create_webhook_endpoint(
        self, info: Info, input: CreateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        async def work(session: AsyncSession) -> WebhookEndpointPayload:
            row = await service.create_endpoint(
                session, url=input.url, event_types=input.event_types, clock=info.context.clock
            )
            return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row), secret=row.secret)

        return await in_transaction(info, work, WebhookEndpointPayload, CoreError, CoreErrorCode)

    @strawberry.mutation(permission_classes=requires("webhooks:manage"))
    async def update_webhook_endpoint(
        self, info: Info, input: UpdateWebhookEndpointInput
    ) -> WebhookEndpointPayload:
        async def work(session: AsyncSession) -> WebhookEndpointPayload:
            row = await service.endpoint_by_id(session, _endpoint_id(input.endpoint))
            row = await service.update_endpoint(
                session, row, url=input.url, event_types=input.event_types, active=input.active
            )
            return WebhookEndpointPayload(endpoint=WebhookEndpoint.from_row(row))

        return await in_transaction(info, work, WebhookEndpointPayload, CoreError, CoreErrorCode)

    @strawberry.mutation(permission_classes=requires("webhooks:manage"))
    async def delete_webhook_endpoint(
        self, info: Info, input: WebhookEndpointInput
    ) -> DeletedPayload:
        async def work(session: AsyncSession) -> DeletedPayload:
            row = await service.endpoint_by_id(session, _endpoint_id(input.endpoint))
            await session.delete(row)
            return DeletedPayload(deleted=True)

        return await in_transaction(info, work, DeletedPayload, CoreError, CoreErrorCode)

    @strawberry.mutation(
        permission_classes=requires("webhooks:manage"),
        description="Send a delivery again at the next run (delivered or not).",
    )
    async def redeliver_webhook(
        self, info: Info, input: RedeliverWebhookInput
    ) -> WebhookDeliveryPayload:
        async def work(session: AsyncSession) -> WebhookDeliveryPayload:
            row = await service.redeliver(
                session, pk_of(input.delivery, "WebhookDelivery"), info.context.clock
            )
            return WebhookDeliveryPayload(delivery=WebhookDelivery.from_row(row))

        return await in_transaction(info, work, WebhookDeliveryPayload, CoreError, CoreErrorCode)
