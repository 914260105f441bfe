"""GraphQL of pms_rooms: thin types and fields over service/."""

from core.graphql import GraphQLContribution


def contribution() -> GraphQLContribution:
    from plugins.pms_rooms.graphql.mutations import RoomsMutation
    from plugins.pms_rooms.graphql.queries import RoomsQuery
    from plugins.pms_rooms.graphql.subscriptions import RoomsSubscription

    return GraphQLContribution(
        query=RoomsQuery, mutation=RoomsMutation, subscription=RoomsSubscription
    )
