"""Root query fields of oms_inventory."""

from __future__ import annotations

import strawberry
from sqlalchemy import and_, select
from strawberry.types import Info

from core.db import contains_pattern
from core.graphql import Connection, paginate
from core.graphql.permissions import requires
from plugins.oms_inventory import models
from plugins.oms_inventory.graphql.types import (
    AllocationStrategy,
    InventorySettings,
    Location,
    Product,
    PurchaseOrder,
    PurchaseOrderStatus,
    ReorderRule,
    StockLevel,
    StockMovement,
    Variant,
)
from plugins.oms_inventory.service.catalog import search_condition


@strawberry.input
class ProductFilter:
    search: str | None = strawberry.field(default=None, description="In name, SKU or barcode.")
    active: bool | None = None


@strawberry.input
class VariantFilter:
    search: str | None = strawberry.field(default=None, description="In SKU, name or barcode.")
    sku: str | None = None
    barcode: str | None = None
    active: bool | None = None


@strawberry.input
class StockLevelFilter:
    sku: str | None = None
    location: str | None = strawberry.field(default=None, description="A location code.")
    only_available: bool | None = strawberry.field(
        default=None, description="Only levels with units available."
    )


@strawberry.input
class StockMovementFilter:
    sku: str | None = None
    location: str | None = None
    reference: str | None = None


@strawberry.input
class PurchaseOrderFilter:
    status: PurchaseOrderStatus | None = None


def _variant_ids(sku: str):  # a subquery: the SKU's variant, in this tenant
    return select(models.Variant.id).where(models.Variant.sku == sku).scalar_subquery()


def _location_ids(code: str):
    return select(models.Location.id).where(models.Location.code == code).scalar_subquery()


@strawberry.type
class InventoryQuery:
    @strawberry.field(permission_classes=requires("catalog:read"))
    async def products(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: ProductFilter | None = None,
    ) -> Connection[Product]:
        statement = select(models.Product)
        if filter and filter.active is not None:
            statement = statement.where(models.Product.active.is_(filter.active))
        if filter and filter.search:
            matching = select(models.Variant.product_id).where(search_condition(filter.search))
            statement = statement.where(
                models.Product.name.ilike(contains_pattern(filter.search), escape="\\")
                | models.Product.id.in_(matching)
            )
        page = await paginate(
            info, statement, sort_key=models.Product.name, pk=models.Product.id,
            first=first, after=after,
        )  # fmt: skip
        return page.to_connection(Product.from_row)

    @strawberry.field(permission_classes=requires("catalog:read"))
    async def variants(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: VariantFilter | None = None,
    ) -> Connection[Variant]:
        statement = select(models.Variant)
        if filter:
            if filter.search:
                statement = statement.where(search_condition(filter.search))
            if filter.sku:
                statement = statement.where(models.Variant.sku == filter.sku.strip())
            if filter.barcode:
                statement = statement.where(models.Variant.barcode == filter.barcode.strip())
            if filter.active is not None:
                statement = statement.where(models.Variant.active.is_(filter.active))
        page = await paginate(
            info, statement, sort_key=models.Variant.sku, pk=models.Variant.id,
            first=first, after=after,
        )  # fmt: skip
        return page.to_connection(Variant.from_row)

    @strawberry.field(permission_classes=requires("inventory:read"))
    async def locations(self, info: Info) -> list[Location]:
        async with info.context.db() as session:
            rows = await session.scalars(
                select(models.Location).order_by(models.Location.priority, models.Location.id)
            )
            return [Location.from_row(r) for r in rows]

    @strawberry.field(permission_classes=requires("inventory:read"))
    async def stock_levels(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: StockLevelFilter | None = None,
    ) -> Connection[StockLevel]:
        statement = select(models.StockLevel)
        if filter:
            if filter.sku:
                statement = statement.where(
                    models.StockLevel.variant_id == _variant_ids(filter.sku)
                )
            if filter.location:
                statement = statement.where(
                    models.StockLevel.location_id == _location_ids(filter.location)
                )
            if filter.only_available:
                level = models.StockLevel
                statement = statement.where(level.on_hand - level.allocated - level.held > 0)
        page = await paginate(
            info, statement, sort_key=models.StockLevel.id, pk=models.StockLevel.id,
            first=first, after=after,
        )  # fmt: skip
        return page.to_connection(StockLevel.from_row)

    @strawberry.field(
        description="The stock ledger, newest first.",
        permission_classes=requires("inventory:read"),
    )
    async def stock_movements(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: StockMovementFilter | None = None,
    ) -> Connection[StockMovement]:
        movement = models.StockMovement
        statement = select(movement)
        if filter:
            conditions = []
            if filter.sku:
                conditions.append(movement.variant_id == _variant_ids(filter.sku))
            if filter.location:
                conditions.append(movement.location_id == _location_ids(filter.location))
            if filter.reference:
                conditions.append(movement.reference == filter.reference)
            if conditions:
                statement = statement.where(and_(*conditions))
        page = await paginate(
            info, statement, sort_key=movement.id, pk=movement.id, first=first, after=after,
            descending=True,
        )  # fmt: skip
        return page.to_connection(StockMovement.from_row)

    @strawberry.field(permission_classes=requires("purchasing:read"))
    async def reorder_rules(self, info: Info) -> list[ReorderRule]:
        async with info.context.db() as session:
            rows = await session.scalars(select(models.ReorderRule).order_by(models.ReorderRule.id))
            return [ReorderRule.from_row(r) for r in rows]

    @strawberry.field(permission_classes=requires("purchasing:read"))
    async def purchase_orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: PurchaseOrderFilter | None = None,
    ) -> Connection[PurchaseOrder]:
        statement = select(models.PurchaseOrder)
        if filter and filter.status is not None:
            statement = statement.where(models.PurchaseOrder.status == filter.status.value)
        page = await paginate(
            info, statement, sort_key=models.PurchaseOrder.id, pk=models.PurchaseOrder.id,
            first=first, after=after, descending=True,
        )  # fmt: skip
        return page.to_connection(PurchaseOrder.from_row)

    @strawberry.field(permission_classes=requires("inventory:read"))
    async def inventory_settings(self, info: Info) -> InventorySettings:
        async with info.context.db() as session:
            row = await session.scalar(select(models.InventorySettings))
        if row is None:  # seeded on enable; a read session must not create it
            return InventorySettings(
                strategy=AllocationStrategy.PRIORITY, allow_split=True, hold_minutes=15
            )
        return InventorySettings(
            strategy=AllocationStrategy(row.strategy), allow_split=row.allow_split,
            hold_minutes=row.hold_minutes,
        )  # fmt: skip
