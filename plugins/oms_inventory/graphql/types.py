"""GraphQL types of oms_inventory, with the DataLoaders that keep lists free of N+1."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from enum import Enum
from typing import Any, ClassVar

import strawberry
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.graphql import Error, Money, load_nodes
from core.graphql.loaders import Load, grouped_by, one_by, request_loader
from core.graphql.permissions import requires
from plugins.oms_inventory import models
from plugins.oms_inventory.service.errors import InventoryErrorCode
from plugins.oms_inventory.service.ledger import MovementKind

InventoryErrorCodeEnum = strawberry.enum(InventoryErrorCode, name="InventoryErrorCode")
MovementKindEnum = strawberry.enum(MovementKind, name="StockMovementKind")


@strawberry.enum
class AllocationStrategy(Enum):
    PRIORITY = "priority"
    MOST_STOCK = "most_stock"


@strawberry.enum
class PurchaseOrderStatus(Enum):
    DRAFT = "draft"
    ORDERED = "ordered"
    PARTIALLY_RECEIVED = "partially_received"
    RECEIVED = "received"
    CANCELED = "canceled"


@strawberry.type(description="A failure of an inventory operation.")
class InventoryError(Error):
    code: InventoryErrorCodeEnum  # type: ignore[valid-type]
    sku: str | None = None
    requested_quantity: int | None = None
    available_quantity: int | None = strawberry.field(
        default=None, description="With INSUFFICIENT_STOCK: how many units there are."
    )


@strawberry.type
class Attribute:
    name: str
    value: str


@strawberry.input
class AttributeInput:
    name: str
    value: str


# -- loaders ----------------------------------------------------------------------


def _loader(info: Info, key: str, load: Load) -> DataLoader[Any, Any]:
    return request_loader(info, f"oms_inventory.{key}", load)


def product_loader(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "product", one_by(models.Product))


def variant_loader(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "variant", one_by(models.Variant))


def location_loader(info: Info) -> DataLoader[int, Any]:
    return _loader(info, "location", one_by(models.Location))


def variants_of_product(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info, "variants_of_product", grouped_by(models.Variant, "product_id", models.Variant.id)
    )


def levels_of_variant(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "levels_of_variant",
        grouped_by(models.StockLevel, "variant_id", models.StockLevel.location_id),
    )


def lines_of_order(info: Info) -> DataLoader[int, list[Any]]:
    return _loader(
        info,
        "lines_of_order",
        grouped_by(models.PurchaseOrderLine, "purchase_order_id", models.PurchaseOrderLine.id),
    )


# -- node types ------------------------------------------------------------------


@strawberry.type(description="A sellable thing; its variants carry SKUs and prices.")
class Product(relay.Node):
    read_permission: ClassVar[str | None] = "catalog:read"

    id: relay.NodeID[int]
    name: str
    description: str
    active: bool
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.Product) -> Product:
        return cls(
            id=row.id, name=row.name, description=row.description, active=row.active,
            created_at=row.created_at,
        )  # fmt: skip

    @strawberry.field
    async def variants(self, info: Info) -> list[Variant]:
        rows = await variants_of_product(info).load(self.id)
        return [Variant.from_row(r) for r in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Product, node_ids, cls.from_row)


@strawberry.type(description="A variant of a product: one SKU with its price.")
class Variant(relay.Node):
    read_permission: ClassVar[str | None] = "catalog:read"

    id: relay.NodeID[int]
    sku: str
    name: str
    price: Money
    barcode: str | None
    attributes: list[Attribute]
    active: bool
    product_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Variant) -> Variant:
        return cls(
            id=row.id, sku=row.sku, name=row.name,
            price=Money.from_minor(row.price_minor, row.currency), barcode=row.barcode,
            attributes=[Attribute(name=k, value=str(v)) for k, v in sorted(row.attributes.items())],
            active=row.active, product_id=row.product_id,
        )  # fmt: skip

    @strawberry.field
    async def product(self, info: Info) -> Product:
        return Product.from_row(await product_loader(info).load(self.product_id))

    @strawberry.field(
        description="This SKU's stock at each of the property's locations (inventory:read).",
        permission_classes=requires("inventory:read"),
    )
    async def stock(self, info: Info) -> list[StockLevel]:
        rows = await levels_of_variant(info).load(self.id)
        return [StockLevel.from_row(r) for r in rows]

    @strawberry.field(
        description="Units available at all of the property's locations: what a till or a "
        "storefront may promise, so catalog:read sees it."
    )
    async def available(self, info: Info) -> int:
        rows = await levels_of_variant(info).load(self.id)
        return sum(r.on_hand - r.allocated - r.held for r in rows)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Variant, node_ids, cls.from_row)


@strawberry.type(description="A warehouse, shop floor or store room of this property.")
class Location(relay.Node):
    read_permission: ClassVar[str | None] = "inventory:read"

    id: relay.NodeID[int]
    code: str
    name: str
    priority: int = strawberry.field(description="Lower is tried first by the priority strategy.")
    active: bool

    @classmethod
    def from_row(cls, row: models.Location) -> Location:
        return cls(
            id=row.id, code=row.code, name=row.name, priority=row.priority, active=row.active
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Location, node_ids, cls.from_row)


@strawberry.type(description="One SKU at one location.")
class StockLevel(relay.Node):
    read_permission: ClassVar[str | None] = "inventory:read"

    id: relay.NodeID[int]
    on_hand: int
    allocated: int
    held: int = strawberry.field(description="Held for carts until their holds expire.")
    available: int = strawberry.field(description="on hand - allocated - held; never below 0.")
    variant_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.StockLevel) -> StockLevel:
        return cls(
            id=row.id, on_hand=row.on_hand, allocated=row.allocated, held=row.held,
            available=row.on_hand - row.allocated - row.held, variant_id=row.variant_id,
            location_id=row.location_id,
        )  # fmt: skip

    @strawberry.field(
        description="Needs catalog:read (null otherwise).",
        permission_classes=requires("catalog:read"),
    )
    async def variant(self, info: Info) -> Variant | None:
        return Variant.from_row(await variant_loader(info).load(self.variant_id))

    @strawberry.field(
        description="Needs inventory:read (null otherwise).",
        permission_classes=requires("inventory:read"),
    )
    async def location(self, info: Info) -> Location | None:
        return Location.from_row(await location_loader(info).load(self.location_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.StockLevel, node_ids, cls.from_row)


@strawberry.type(description="One change to a stock level, in the ledger.")
class StockMovement(relay.Node):
    read_permission: ClassVar[str | None] = "inventory:read"

    id: relay.NodeID[int]
    kind: MovementKindEnum  # type: ignore[valid-type]
    on_hand_delta: int
    allocated_delta: int
    held_delta: int
    reference: str | None
    reason: str | None
    actor: str
    created_at: dt.datetime
    variant_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.StockMovement) -> StockMovement:
        return cls(
            id=row.id, kind=MovementKind(row.kind), on_hand_delta=row.on_hand_delta,
            allocated_delta=row.allocated_delta, held_delta=row.held_delta,
            reference=row.reference, reason=row.reason, actor=row.actor,
            created_at=row.created_at, variant_id=row.variant_id, location_id=row.location_id,
        )  # fmt: skip

    @strawberry.field(
        description="Needs catalog:read (null otherwise).",
        permission_classes=requires("catalog:read"),
    )
    async def variant(self, info: Info) -> Variant | None:
        return Variant.from_row(await variant_loader(info).load(self.variant_id))

    @strawberry.field(
        description="Needs inventory:read (null otherwise).",
        permission_classes=requires("inventory:read"),
    )
    async def location(self, info: Info) -> Location | None:
        return Location.from_row(await location_loader(info).load(self.location_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.StockMovement, node_ids, cls.from_row)


@strawberry.type(description="Below the minimum, a draft purchase order is raised.")
class ReorderRule(relay.Node):
    read_permission: ClassVar[str | None] = "purchasing:read"

    id: relay.NodeID[int]
    minimum: int
    maximum: int
    multiple: int
    variant_id: strawberry.Private[int]
    location_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.ReorderRule) -> ReorderRule:
        return cls(
            id=row.id, minimum=row.minimum, maximum=row.maximum, multiple=row.multiple,
            variant_id=row.variant_id, location_id=row.location_id,
        )  # fmt: skip

    @strawberry.field(
        description="Needs catalog:read (null otherwise).",
        permission_classes=requires("catalog:read"),
    )
    async def variant(self, info: Info) -> Variant | None:
        return Variant.from_row(await variant_loader(info).load(self.variant_id))

    @strawberry.field(
        description="Needs inventory:read (null otherwise).",
        permission_classes=requires("inventory:read"),
    )
    async def location(self, info: Info) -> Location | None:
        return Location.from_row(await location_loader(info).load(self.location_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.ReorderRule, node_ids, cls.from_row)


@strawberry.type
class PurchaseOrderLine:
    quantity: int
    received: int
    variant_id: strawberry.Private[int]

    @strawberry.field(
        description="Needs catalog:read (null otherwise).",
        permission_classes=requires("catalog:read"),
    )
    async def variant(self, info: Info) -> Variant | None:
        return Variant.from_row(await variant_loader(info).load(self.variant_id))


@strawberry.type(description="Stock to buy for one location; drafts come from reorder rules.")
class PurchaseOrder(relay.Node):
    read_permission: ClassVar[str | None] = "purchasing:read"

    id: relay.NodeID[int]
    number: str
    status: PurchaseOrderStatus
    created_at: dt.datetime
    ordered_at: dt.datetime | None
    received_at: dt.datetime | None
    location_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.PurchaseOrder) -> PurchaseOrder:
        return cls(
            id=row.id, number=row.number, status=PurchaseOrderStatus(row.status),
            created_at=row.created_at, ordered_at=row.ordered_at, received_at=row.received_at,
            location_id=row.location_id,
        )  # fmt: skip

    @strawberry.field(
        description="Needs inventory:read (null otherwise).",
        permission_classes=requires("inventory:read"),
    )
    async def location(self, info: Info) -> Location | None:
        return Location.from_row(await location_loader(info).load(self.location_id))

    @strawberry.field
    async def lines(self, info: Info) -> list[PurchaseOrderLine]:
        rows = await lines_of_order(info).load(self.id)
        return [
            PurchaseOrderLine(quantity=r.quantity, received=r.received, variant_id=r.variant_id)
            for r in rows
        ]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.PurchaseOrder, node_ids, cls.from_row)


@strawberry.type(description="How this property allocates across its locations.")
class InventorySettings:
    strategy: AllocationStrategy
    allow_split: bool = strawberry.field(description="May one line come from several locations.")
    hold_minutes: int = strawberry.field(description="How long a cart hold lasts by default.")


@strawberry.type(description="Units taken from one location for one SKU.")
class StockTaken:
    sku: str
    location: str = strawberry.field(description="The location's code.")
    quantity: int


@strawberry.type(description="Units held for a cart until it expires.")
class StockHold:
    key: str
    sku: str
    location: str
    quantity: int
    expires_at: dt.datetime
