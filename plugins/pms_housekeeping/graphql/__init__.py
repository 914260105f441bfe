"""GraphQL of pms_housekeeping: thin types and fields over service/."""

from core.graphql import GraphQLContribution


def contribution() -> GraphQLContribution:
    from plugins.pms_housekeeping.graphql.mutations import HousekeepingMutation
    from plugins.pms_housekeeping.graphql.queries import HousekeepingQuery
    from plugins.pms_housekeeping.graphql.subscriptions import HousekeepingSubscription

    return GraphQLContribution(
        query=HousekeepingQuery,
        mutation=HousekeepingMutation,
        subscription=HousekeepingSubscription,
    )
