"""Root mutation fields of oms_inventory: thin, each one service call in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires, requires_tenant_wide
from core.graphql.relay import parse_pk
from plugins.oms_inventory import models
from plugins.oms_inventory.graphql.types import (
    AllocationStrategy,
    AttributeInput,
    InventoryError,
    InventorySettings,
    Location,
    Product,
    PurchaseOrder,
    ReorderRule,
    StockHold,
    StockLevel,
    StockTaken,
    Variant,
)
from plugins.oms_inventory.service import allocation, catalog, reorder, stock
from plugins.oms_inventory.service.errors import InventoryErrorCode

P = TypeVar("P")


def actor(info: Info) -> str:
    principal = info.context.principal
    return principal.subject if principal else "anonymous"


async def run(info: Info, work: Callable[[AsyncSession], Awaitable[P]], payload: type[P]) -> P:
    """One transaction; a DomainError rolls it back and becomes typed payload errors."""
    return await in_transaction(info, work, payload, InventoryError, InventoryErrorCode)


async def level_of(session: AsyncSession, level_id: int) -> StockLevel:
    row = await session.get(models.StockLevel, level_id, populate_existing=True)
    assert row is not None
    return StockLevel.from_row(row)


# -- inputs -----------------------------------------------------------------------


@strawberry.input
class VariantInput:
    sku: str
    price: Decimal = strawberry.field(description="In the property's currency.")
    name: str | None = None
    barcode: str | None = None
    attributes: list[AttributeInput] = strawberry.field(default_factory=list)


@strawberry.input
class CreateProductInput:
    name: str
    description: str = ""
    variants: list[VariantInput]


@strawberry.input
class AddVariantInput:
    product: strawberry.ID
    variant: VariantInput


@strawberry.input
class UpdateVariantInput:
    sku: str
    name: str | None = None
    price: Decimal | None = None
    barcode: str | None = None
    active: bool | None = None
    attributes: list[AttributeInput] | None = None


@strawberry.input
class CreateLocationInput:
    code: str
    name: str
    priority: int = 100


@strawberry.input
class ReceiveStockInput:
    sku: str
    location: str = strawberry.field(description="The location's code.")
    quantity: int
    reference: str | None = None


@strawberry.input
class AdjustStockInput:
    sku: str
    location: str
    quantity: int = strawberry.field(description="The change: negative to remove units.")
    reason: str


@strawberry.input
class TransferStockInput:
    sku: str
    from_location: str
    to_location: str
    quantity: int


@strawberry.input
class SetReorderRuleInput:
    sku: str
    location: str
    minimum: int
    maximum: int
    multiple: int = 1


@strawberry.input
class PurchaseOrderInput:
    number: str


@strawberry.input
class ReceivedLineInput:
    sku: str
    quantity: int


@strawberry.input
class ReceivePurchaseOrderInput:
    number: str
    lines: list[ReceivedLineInput]


@strawberry.input
class StockLineInput:
    sku: str
    quantity: int


@strawberry.input
class AllocateStockInput:
    reference: str = strawberry.field(description="What the units are for, e.g. an order number.")
    lines: list[StockLineInput]
    hold_key: str | None = strawberry.field(
        default=None, description="A cart whose holds turn into this allocation."
    )


@strawberry.input
class ReferenceInput:
    reference: str


@strawberry.input
class ShipStockInput:
    reference: str
    lines: list[StockLineInput] | None = strawberry.field(
        default=None, description="Leave out to ship everything still allocated."
    )
    location: str | None = None


@strawberry.input
class PlaceHoldInput:
    key: str = strawberry.field(description="The cart's id.")
    sku: str
    quantity: int
    minutes: int | None = None


@strawberry.input
class ReleaseHoldInput:
    key: str


@strawberry.input
class UpdateInventorySettingsInput:
    strategy: AllocationStrategy | None = None
    allow_split: bool | None = None
    hold_minutes: int | None = None


# -- payloads ---------------------------------------------------------------------


def _errors() -> Any:
    return strawberry.field(default_factory=list)


@strawberry.type
class ProductPayload:
    product: Product | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class VariantPayload:
    variant: Variant | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class LocationPayload:
    location: Location | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class StockLevelPayload:
    stock_level: StockLevel | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class TransferStockPayload:
    from_level: StockLevel | None = None
    to_level: StockLevel | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class ReorderRulePayload:
    reorder_rule: ReorderRule | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class PurchaseOrderPayload:
    purchase_order: PurchaseOrder | None = None
    errors: list[InventoryError] = _errors()


@strawberry.type
class StockTakenPayload:
    taken: list[StockTaken] = strawberry.field(default_factory=list)
    errors: list[InventoryError] = _errors()


@strawberry.type
class ReleasePayload:
    released: int = 0
    errors: list[InventoryError] = _errors()


@strawberry.type
class HoldPayload:
    holds: list[StockHold] = strawberry.field(default_factory=list)
    errors: list[InventoryError] = _errors()


@strawberry.type
class InventorySettingsPayload:
    settings: InventorySettings | None = None
    errors: list[InventoryError] = _errors()


def _spec(variant: VariantInput, currency: str) -> catalog.VariantSpec:
    return catalog.VariantSpec(
        sku=variant.sku,
        price=str(variant.price),
        currency=currency,
        name=variant.name,
        barcode=variant.barcode,
        attributes={a.name: a.value for a in variant.attributes},
    )


async def _taken(session: AsyncSession, taken: list[allocation.Taken]) -> list[StockTaken]:
    return [StockTaken(**part) for part in await allocation.describe_taken(session, taken)]


@strawberry.type
class InventoryMutation:
    # -- catalog ------------------------------------------------------------------

    @strawberry.mutation(permission_classes=requires_tenant_wide("catalog:write"))
    async def create_product(self, info: Info, input: CreateProductInput) -> ProductPayload:
        currency = info.context.property.currency

        async def work(session: AsyncSession) -> ProductPayload:
            product = await catalog.create_product(
                session, name=input.name, description=input.description,
                variants=[_spec(v, currency) for v in input.variants], clock=info.context.clock,
            )  # fmt: skip
            return ProductPayload(product=Product.from_row(product))

        return await run(info, work, ProductPayload)

    @strawberry.mutation(permission_classes=requires_tenant_wide("catalog:write"))
    async def add_variant(self, info: Info, input: AddVariantInput) -> VariantPayload:
        currency = info.context.property.currency

        async def work(session: AsyncSession) -> VariantPayload:
            from strawberry import relay

            try:
                gid = relay.GlobalID.from_id(input.product)
                product_id = (parse_pk(gid.node_id) if gid.type_name == "Product" else None) or 0
            except relay.GlobalIDValueError:
                product_id = 0
            variant = await catalog.add_variant(
                session, product_id, _spec(input.variant, currency), info.context.clock
            )
            return VariantPayload(variant=Variant.from_row(variant))

        return await run(info, work, VariantPayload)

    @strawberry.mutation(permission_classes=requires_tenant_wide("catalog:write"))
    async def update_variant(self, info: Info, input: UpdateVariantInput) -> VariantPayload:
        async def work(session: AsyncSession) -> VariantPayload:
            variant = await catalog.update_variant(
                session, input.sku, name=input.name,
                price=None if input.price is None else str(input.price), barcode=input.barcode,
                active=input.active,
                attributes=None if input.attributes is None
                else {a.name: a.value for a in input.attributes},
            )  # fmt: skip
            return VariantPayload(variant=Variant.from_row(variant))

        return await run(info, work, VariantPayload)

    # -- locations and settings --------------------------------------------------------

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def create_location(self, info: Info, input: CreateLocationInput) -> LocationPayload:
        async def work(session: AsyncSession) -> LocationPayload:
            location = await catalog.create_location(
                session, code=input.code, name=input.name, priority=input.priority,
                clock=info.context.clock,
            )  # fmt: skip
            return LocationPayload(location=Location.from_row(location))

        return await run(info, work, LocationPayload)

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def update_inventory_settings(
        self, info: Info, input: UpdateInventorySettingsInput
    ) -> InventorySettingsPayload:
        async def work(session: AsyncSession) -> InventorySettingsPayload:
            row = await catalog.update_settings(
                session, strategy=input.strategy.value if input.strategy else None,
                allow_split=input.allow_split, hold_minutes=input.hold_minutes,
            )  # fmt: skip
            return InventorySettingsPayload(
                settings=InventorySettings(
                    strategy=AllocationStrategy(row.strategy), allow_split=row.allow_split,
                    hold_minutes=row.hold_minutes,
                )
            )  # fmt: skip

        return await run(info, work, InventorySettingsPayload)

    # -- stock ---------------------------------------------------------------------

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def receive_stock(self, info: Info, input: ReceiveStockInput) -> StockLevelPayload:
        async def work(session: AsyncSession) -> StockLevelPayload:
            change = await stock.receive_stock(
                session, sku=input.sku, location_code=input.location, quantity=input.quantity,
                reference=input.reference, actor=actor(info), clock=info.context.clock,
            )  # fmt: skip
            return StockLevelPayload(stock_level=await level_of(session, change.level_id))

        return await run(info, work, StockLevelPayload)

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def adjust_stock(self, info: Info, input: AdjustStockInput) -> StockLevelPayload:
        async def work(session: AsyncSession) -> StockLevelPayload:
            change = await stock.adjust_stock(
                session, sku=input.sku, location_code=input.location, delta=input.quantity,
                reason=input.reason, actor=actor(info), clock=info.context.clock,
            )  # fmt: skip
            return StockLevelPayload(stock_level=await level_of(session, change.level_id))

        return await run(info, work, StockLevelPayload)

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def transfer_stock(self, info: Info, input: TransferStockInput) -> TransferStockPayload:
        async def work(session: AsyncSession) -> TransferStockPayload:
            out, into = await stock.transfer_stock(
                session, sku=input.sku, from_code=input.from_location,
                to_code=input.to_location, quantity=input.quantity, actor=actor(info),
                clock=info.context.clock,
            )  # fmt: skip
            return TransferStockPayload(
                from_level=await level_of(session, out.level_id),
                to_level=await level_of(session, into.level_id),
            )

        return await run(info, work, TransferStockPayload)

    # -- allocation and holds -------------------------------------------------------------

    @strawberry.mutation(
        description="Allocate all lines to a reference, or nothing.",
        permission_classes=requires("inventory:write"),
    )
    async def allocate_stock(self, info: Info, input: AllocateStockInput) -> StockTakenPayload:
        async def work(session: AsyncSession) -> StockTakenPayload:
            taken = await allocation.allocate(
                session, reference=input.reference,
                lines=[allocation.LineRequest(line.sku, line.quantity) for line in input.lines],
                hold_key=input.hold_key, actor=actor(info), clock=info.context.clock,
            )  # fmt: skip
            return StockTakenPayload(taken=await _taken(session, taken))

        return await run(info, work, StockTakenPayload)

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def release_allocation(self, info: Info, input: ReferenceInput) -> ReleasePayload:
        async def work(session: AsyncSession) -> ReleasePayload:
            released = await allocation.release(
                session, reference=input.reference, actor=actor(info), clock=info.context.clock
            )
            return ReleasePayload(released=released)

        return await run(info, work, ReleasePayload)

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def ship_stock(self, info: Info, input: ShipStockInput) -> StockTakenPayload:
        async def work(session: AsyncSession) -> StockTakenPayload:
            location_id = None
            if input.location:
                location = await catalog.location_by_code(
                    session, input.location, field=["location"]
                )
                location_id = location.id
            lines = None
            if input.lines is not None:
                lines = [allocation.LineRequest(line.sku, line.quantity) for line in input.lines]
            shipped = await allocation.ship(
                session, reference=input.reference, lines=lines, location_id=location_id,
                actor=actor(info), clock=info.context.clock,
            )  # fmt: skip
            return StockTakenPayload(taken=await _taken(session, shipped))

        return await run(info, work, StockTakenPayload)

    @strawberry.mutation(
        description="Hold units for a cart; they count against availability until they expire.",
        permission_classes=requires("inventory:write"),
    )
    async def place_hold(self, info: Info, input: PlaceHoldInput) -> HoldPayload:
        async def work(session: AsyncSession) -> HoldPayload:
            holds = await allocation.place_hold(
                session, hold_key=input.key,
                line=allocation.LineRequest(input.sku, input.quantity), minutes=input.minutes,
                actor=actor(info), clock=info.context.clock,
            )  # fmt: skip
            described = await _taken(
                session,
                [
                    allocation.Taken(input.sku, h.variant_id, h.location_id, h.quantity)
                    for h in holds
                ],
            )
            return HoldPayload(
                holds=[
                    StockHold(key=h.hold_key, sku=d.sku, location=d.location, quantity=h.quantity,
                              expires_at=h.expires_at)
                    for h, d in zip(holds, described, strict=True)
                ]
            )  # fmt: skip

        return await run(info, work, HoldPayload)

    @strawberry.mutation(permission_classes=requires("inventory:write"))
    async def release_hold(self, info: Info, input: ReleaseHoldInput) -> ReleasePayload:
        async def work(session: AsyncSession) -> ReleasePayload:
            released = await allocation.release_hold(
                session, hold_key=input.key, actor=actor(info), clock=info.context.clock
            )
            return ReleasePayload(released=released)

        return await run(info, work, ReleasePayload)

    # -- purchasing --------------------------------------------------------------------

    @strawberry.mutation(permission_classes=requires("purchasing:write"))
    async def set_reorder_rule(self, info: Info, input: SetReorderRuleInput) -> ReorderRulePayload:
        async def work(session: AsyncSession) -> ReorderRulePayload:
            rule = await reorder.set_reorder_rule(
                session, sku=input.sku, location_code=input.location, minimum=input.minimum,
                maximum=input.maximum, multiple=input.multiple, clock=info.context.clock,
            )  # fmt: skip
            return ReorderRulePayload(reorder_rule=ReorderRule.from_row(rule))

        return await run(info, work, ReorderRulePayload)

    @strawberry.mutation(
        description="Send a draft purchase order to the supplier.",
        permission_classes=requires("purchasing:write"),
    )
    async def place_purchase_order(
        self, info: Info, input: PurchaseOrderInput
    ) -> PurchaseOrderPayload:
        async def work(session: AsyncSession) -> PurchaseOrderPayload:
            order = await reorder.place_purchase_order(
                session, input.number, clock=info.context.clock
            )
            return PurchaseOrderPayload(purchase_order=PurchaseOrder.from_row(order))

        return await run(info, work, PurchaseOrderPayload)

    @strawberry.mutation(permission_classes=requires("purchasing:write"))
    async def cancel_purchase_order(
        self, info: Info, input: PurchaseOrderInput
    ) -> PurchaseOrderPayload:
        async def work(session: AsyncSession) -> PurchaseOrderPayload:
            order = await reorder.cancel_purchase_order(session, input.number)
            return PurchaseOrderPayload(purchase_order=PurchaseOrder.from_row(order))

        return await run(info, work, PurchaseOrderPayload)

    @strawberry.mutation(
        description="Book delivered units; they go on hand at the order's location.",
        permission_classes=requires("purchasing:write"),
    )
    async def receive_purchase_order(
        self, info: Info, input: ReceivePurchaseOrderInput
    ) -> PurchaseOrderPayload:
        async def work(session: AsyncSession) -> PurchaseOrderPayload:
            order = await reorder.receive_purchase_order(
                session, input.number, [(line.sku, line.quantity) for line in input.lines],
                actor=actor(info), clock=info.context.clock,
            )  # fmt: skip
            return PurchaseOrderPayload(purchase_order=PurchaseOrder.from_row(order))

        return await run(info, work, PurchaseOrderPayload)
