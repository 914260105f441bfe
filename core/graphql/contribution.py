"""What a plugin's ``concierge_graphql`` hook returns."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class GraphQLContribution:
    """Strawberry classes whose fields join the root types, and extra types.

    ``query``, ``mutation`` and ``subscription`` are ``@strawberry.type``
    classes; their fields are merged into the property schema's root types.
    ``types`` lists types the schema must include although no field returns
    them directly (implementations of an interface, for example).

    ``variant``: for a plugin whose fields depend on what else a property
    runs (a till that charges rooms only where pms_rooms is enabled). Called
    with the property's enabled plugins, it returns the contribution that
    property's schema gets, built from a subset of this one's names; this one,
    the full contribution, is what the collision checks and schema.graphql see.
    """

    query: type | None = None
    mutation: type | None = None
    subscription: type | None = None
    types: tuple[type, ...] = ()
    variant: Callable[[frozenset[str]], GraphQLContribution] | None = None

    def for_plugins(self, enabled: frozenset[str]) -> GraphQLContribution:
        """What a property running ``enabled`` gets."""
        return self.variant(enabled) if self.variant is not None else self
