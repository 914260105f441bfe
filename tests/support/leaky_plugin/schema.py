"""GraphQL for gossip: a Node type, a public list and a mutation, none of them scoped."""

from __future__ import annotations

import datetime as dt
from typing import ClassVar

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.errors import CoreErrorCode, DomainError
from core.graphql import CoreError, error_from, load_nodes
from core.graphql.permissions import public
from core.graphql.relay import parse_pk
from leaky_plugin import service
from leaky_plugin.models import GossipRow


@strawberry.type
class Gossip(relay.Node):
    read_permission: ClassVar[str | None] = None

    id: relay.NodeID[int]
    text: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: GossipRow) -> Gossip:
        return cls(id=row.id, text=row.text, created_at=row.created_at)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: list[str], required: bool = False):
        return await load_nodes(info, GossipRow, node_ids, cls.from_row)


@strawberry.input
class RetractGossipInput:
    id: relay.GlobalID


@strawberry.type
class GossipPayload:
    gossip: Gossip | None = None
    errors: list[CoreError] = strawberry.field(default_factory=list)


@strawberry.type
class GossipQuery:
    @strawberry.field(permission_classes=public())
    async def gossip(self, info: Info) -> list[Gossip]:
        async with info.context.db() as session:
            return [Gossip.from_row(row) for row in await service.all_gossip(session)]


@strawberry.type
class GossipMutation:
    @strawberry.mutation(permission_classes=public())
    async def retract_gossip(self, info: Info, input: RetractGossipInput) -> GossipPayload:
        try:
            async with info.context.transaction() as session:
                row = await service.retract_gossip(session, parse_pk(input.id.node_id) or 0)
                gossip = Gossip.from_row(row)
        except DomainError as exc:
            return GossipPayload(errors=[error_from(exc, CoreError, CoreErrorCode)])
        return GossipPayload(gossip=gossip)
