"""GraphQL of oms_orders: thin types and fields over service/."""

from core.graphql import GraphQLContribution


def contribution() -> GraphQLContribution:
    from plugins.oms_orders.graphql.mutations import OrderMutation
    from plugins.oms_orders.graphql.queries import OrderQuery
    from plugins.oms_orders.graphql.subscriptions import OrderSubscription

    return GraphQLContribution(
        query=OrderQuery, mutation=OrderMutation, subscription=OrderSubscription
    )
