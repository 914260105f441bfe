"""Hook implementations of the webhooks plugin: its GraphQL, permissions and the delivery
job."""

from __future__ import annotations

import datetime as dt

import httpx

from core import hookimpl
from core.db import Scope
from core.graphql import GraphQLContribution
from core.jobs import Job, JobContext
from core.permissions import Permission
from plugins.webhooks.service import delivery


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from plugins.webhooks.graphql import contribution

    return contribution()


@hookimpl
def concierge_permissions() -> list[Permission]:
    return [
        Permission("webhooks:read", "See webhook endpoints and their deliveries"),
        Permission("webhooks:manage", "Add, change and remove webhook endpoints; redeliver"),
    ]


async def _deliver(context: JobContext) -> int:
    async with httpx.AsyncClient(timeout=delivery.TIMEOUT, follow_redirects=False) as client:

        async def run(tenant_id: int, property_id: int) -> int:
            scope = Scope.tenant(tenant_id, property_id)
            async with context.transaction(scope) as session:
                await delivery.queue_new_events(session, context.clock)
                due = await delivery.due_deliveries(session, context.clock)
            delivered, failing = 0, set()
            for item in due:
                if item.endpoint_id in failing:
                    continue  # down: its other deliveries wait for the next run
                # No transaction is open while the receiver answers.
                status, error = await delivery.send(client, item, context.clock)
                async with context.transaction(scope) as session:
                    if await delivery.record_outcome(session, item, status, error, context.clock):
                        delivered += 1
                    else:
                        failing.add(item.endpoint_id)
            return delivered

        return await context.for_each_property("webhooks", run, what="webhook delivery")


@hookimpl
def concierge_jobs() -> list[Job]:
    return [
        Job(
            name="webhooks.deliver",
            interval=dt.timedelta(seconds=10),
            run=_deliver,
            description="Send new events to each property's webhook endpoints; retry "
            "failures with backoff.",
        )
    ]


@hookimpl(trylast=True)  # after the other plugins' demo data, whose events it queues
async def concierge_demo_data(session, property, clock) -> None:
    from plugins.webhooks.service import endpoints

    endpoint = await endpoints.create_endpoint(
        session, url="http://127.0.0.1:9/concierge-demo", event_types=[], clock=clock
    )
    endpoint.cursor_event_id = 0  # the demo's own events too: the log has something to show
    await delivery.queue_new_events(session, clock)
    await endpoints.update_endpoint(session, endpoint, active=False)
    endpoint.disabled_reason = "demo endpoint: point it at your receiver and enable it"
