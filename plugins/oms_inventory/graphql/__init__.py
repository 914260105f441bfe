"""GraphQL of oms_inventory: thin types and fields over service/."""

from core.graphql import GraphQLContribution


def contribution() -> GraphQLContribution:
    from plugins.oms_inventory.graphql.mutations import InventoryMutation
    from plugins.oms_inventory.graphql.queries import InventoryQuery
    from plugins.oms_inventory.graphql.subscriptions import InventorySubscription

    return GraphQLContribution(
        query=InventoryQuery, mutation=InventoryMutation, subscription=InventorySubscription
    )
