"""What a plugin's ``concierge_graphql`` hook returns."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class GraphQLContribution:
    """Strawberry classes whose fields join the root types, and extra types.

    ``query``, ``mutation`` and ``subscription`` are ``@strawberry.type``
    classes; their fields are merged into the property schema's root types.
    ``types`` lists types the schema must include although no field returns
    them directly (implementations of an interface, for example).
    """

    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    types: tuple[type, ...] = ()
