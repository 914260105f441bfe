"""GraphQL of pos_bridge: thin types and fields over service/, in the variant that fits
what else the property runs (graphql/schema.py)."""

from core.graphql import GraphQLContribution


def contribution() -> GraphQLContribution:
    from plugins.pos_bridge.graphql.schema import full_contribution

    return full_contribution()
