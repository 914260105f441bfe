"""Shared GraphQL pieces for plugins: identity, connections, errors, money, contributions."""

from core.graphql.contribution import GraphQLContribution
from core.graphql.errors import ClientError, CoreError, Error, as_client_error, error_from
from core.graphql.money import Money, MoneyInput
from core.graphql.relay import Connection, Page, load_nodes, paginate, pk_of
from core.graphql.sorting import SortDirection

__all__ = [
    "ClientError",
    "Connection",
    "CoreError",
    "Error",
    "GraphQLContribution",
    "Money",
    "MoneyInput",
    "Page",
    "SortDirection",
    "as_client_error",
    "error_from",
    "load_nodes",
    "paginate",
    "pk_of",
]
