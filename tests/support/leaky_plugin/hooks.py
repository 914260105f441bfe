"""Hook implementations of the leaky test plugin."""

from core import hookimpl
from core.graphql import GraphQLContribution
from leaky_plugin import service


@hookimpl
def concierge_graphql() -> GraphQLContribution:
    from leaky_plugin.schema import GossipMutation, GossipQuery

    return GraphQLContribution(query=GossipQuery, mutation=GossipMutation)


@hookimpl
async def concierge_demo_data(session, property, clock) -> None:
    await service.spread_gossip(session, f"gossip from {property.slug}", clock=clock)
