"""The core's own root fields on property endpoints (``/graphql/{property}``)."""

from __future__ import annotations

import strawberry
from strawberry import relay
from strawberry.types import Info

from core.graphql.errors import ClientError
from core.graphql.permissions import public, requires
from core.graphql.relay import resolve_global_ids
from core.graphql.reports import Reports


@strawberry.type(description="The shop, hotel or resort this endpoint serves.")
class PropertyDetails:
    name: str
    slug: str
    time_zone: str
    currency: str
    locale: str
    enabled_plugins: list[str]


@strawberry.type
class PropertyQuery:
    @strawberry.field(
        description="Any object by its global ID; null when not found or not yours to see.",
        permission_classes=public(),
    )
    async def node(self, info: Info, id: strawberry.ID) -> relay.Node | None:
        return (await resolve_global_ids(info, [id]))[0]

    @strawberry.field(
        description="Objects by global ID, in order; null for each not found.",
        permission_classes=public(),
    )
    async def nodes(self, info: Info, ids: list[strawberry.ID]) -> list[relay.Node | None]:
        if len(ids) > info.context.settings.limits.max_page_size:
            raise ClientError(
                f"at most {info.context.settings.limits.max_page_size} ids per call",
                code="TOO_MANY_IDS",
            )
        return await resolve_global_ids(info, ids)

    @strawberry.field(
        description="Reports of the plugins this property runs.",
        permission_classes=requires("reports:read"),
    )
    def reports(self) -> Reports:
        return Reports()

    @strawberry.field(description="The property this endpoint serves.", permission_classes=public())
    def current_property(self, info: Info) -> PropertyDetails:
        prop = info.context.property
        return PropertyDetails(
            name=prop.name,
            slug=prop.slug,
            time_zone=prop.time_zone,
            currency=prop.currency,
            locale=prop.locale,
            enabled_plugins=sorted(prop.plugins),
        )
