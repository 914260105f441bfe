"""GraphQL types of oms_orders. Children load through loaders.py, never one query per row."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

import strawberry
from sqlalchemy import select
from strawberry import relay
from strawberry.types import Info

from core.graphql import Connection, Error, Money, load_nodes, paginate
from core.graphql.loaders import now_or_later
from core.graphql.permissions import requires
from plugins.oms_orders import models
from plugins.oms_orders.channels import Channel
from plugins.oms_orders.graphql import loaders
from plugins.oms_orders.service.errors import OrderErrorCode
from plugins.oms_orders.service.fulfilment import FulfillmentStatus
from plugins.oms_orders.service.payments import PaymentKind
from plugins.oms_orders.service.returns import ReturnStatus, suggested_refund
from plugins.oms_orders.transitions import OrderStatus, PaymentStatus

OrderErrorCodeEnum = strawberry.enum(OrderErrorCode, name="OrderErrorCode")
OrderStatusEnum = strawberry.enum(OrderStatus, name="OrderStatus")
PaymentStatusEnum = strawberry.enum(PaymentStatus, name="PaymentStatus")
OrderChannelEnum = strawberry.enum(Channel, name="OrderChannel")
FulfillmentStatusEnum = strawberry.enum(FulfillmentStatus, name="FulfillmentStatus")
ReturnStatusEnum = strawberry.enum(ReturnStatus, name="ReturnStatus")
PaymentKindEnum = strawberry.enum(PaymentKind, name="OrderPaymentKind")


@strawberry.type(description="A failure of an order operation.")
class OrderError(Error):
    code: OrderErrorCodeEnum  # type: ignore[valid-type]
    sku: str | None = strawberry.field(default=None, description="The SKU at fault, if one is.")
    requested_quantity: int | None = None
    available_quantity: int | None = strawberry.field(
        default=None, description="With INSUFFICIENT_STOCK: how many units there are."
    )


@strawberry.type(description="A postal address.")
class Address:
    name: str
    line1: str
    line2: str
    city: str
    postal_code: str
    region: str
    country: str = strawberry.field(description="ISO 3166 two-letter code.")
    phone: str

    @classmethod
    def from_dict(cls, data: dict[str, Any] | None) -> Address | None:
        if not data:
            return None
        return cls(**{k: data.get(k, "") for k in (
            "name", "line1", "line2", "city", "postal_code", "region", "country", "phone"
        )})  # fmt: skip


@strawberry.type(description="Someone who orders from this shop, found again by e-mail.")
class Customer(relay.Node):
    read_permission: ClassVar[str | None] = "customers:read"

    id: relay.NodeID[int]
    email: str
    name: str
    phone: str
    addresses: list[Address]
    note: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.Customer) -> Customer:
        return cls(
            id=row.id, email=row.email, name=row.name, phone=row.phone,
            addresses=[a for a in map(Address.from_dict, row.addresses) if a is not None],
            note=row.note, created_at=row.created_at,
        )  # fmt: skip

    @strawberry.field(
        description="The customer's orders, newest first (needs orders:read).",
        permission_classes=requires("orders:read"),
    )
    async def orders(
        self, info: Info, first: int | None = None, after: str | None = None
    ) -> Connection[Order]:
        statement = select(models.Order).where(models.Order.customer_id == self.id)
        page = await paginate(
            info, statement, sort_key=models.Order.placed_at, pk=models.Order.id,
            first=first, after=after, descending=True,
        )  # fmt: skip
        return page.to_connection(Order.from_row)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Customer, node_ids, cls.from_row)


@strawberry.type(description="One SKU on an order; each SKU is on one line only.")
class OrderLine:
    position: int
    sku: str
    name: str
    quantity: int
    unit_price: Money
    line_total: Money
    fulfilled_quantity: int
    returned_quantity: int
    quantity_to_fulfill: int = strawberry.field(description="Ordered and not yet shipped.")

    @classmethod
    def from_row(cls, row: models.OrderLine, currency: str) -> OrderLine:
        return cls(
            position=row.position, sku=row.sku, name=row.name, quantity=row.quantity,
            unit_price=Money.from_minor(row.unit_price_minor, currency),
            line_total=Money.from_minor(row.line_total_minor, currency),
            fulfilled_quantity=row.fulfilled_quantity, returned_quantity=row.returned_quantity,
            quantity_to_fulfill=row.quantity - row.fulfilled_quantity,
        )  # fmt: skip


@strawberry.type(description="One entry of an order's timeline: who did what, when.")
class OrderTimelineEntry:
    kind: str = strawberry.field(
        description="placed, status_changed, payment, refund, fulfilled, delivered, "
        "tracking_updated, return_requested, return_received, return_canceled, note."
    )
    from_status: OrderStatusEnum | None  # type: ignore[valid-type]
    to_status: OrderStatusEnum | None  # type: ignore[valid-type]
    detail: str
    actor: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.OrderEvent) -> OrderTimelineEntry:
        return cls(
            kind=row.kind,
            from_status=OrderStatus(row.from_status) if row.from_status else None,
            to_status=OrderStatus(row.to_status) if row.to_status else None,
            detail=row.detail, actor=row.actor, created_at=row.created_at,
        )  # fmt: skip


@strawberry.type(description="Units of one SKU in a shipment or a return.")
class ItemQuantity:
    sku: str
    name: str
    quantity: int


@strawberry.type(description="A shipment of some of an order's units.")
class Fulfillment(relay.Node):
    read_permission: ClassVar[str | None] = "orders:read"

    id: relay.NodeID[int]
    number: int = strawberry.field(description="1, 2, ... within the order.")
    status: FulfillmentStatusEnum  # type: ignore[valid-type]
    location: str | None = strawberry.field(
        description="Code of the location it left from (several, comma-joined, when the "
        "units came from more than one)."
    )
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    order_id: strawberry.Private[int]

    @classmethod
    def from_row(cls, row: models.Fulfillment) -> Fulfillment:
        return cls(
            id=row.id, number=row.number, status=FulfillmentStatus(row.status),
            location=row.location, carrier=row.carrier, tracking_number=row.tracking_number,
            tracking_url=row.tracking_url, shipped_at=row.shipped_at,
            delivered_at=row.delivered_at, order_id=row.order_id,
        )  # fmt: skip

    @strawberry.field
    async def lines(self, info: Info) -> list[ItemQuantity]:
        rows = await loaders.lines_of_fulfillment(info).load(self.id)
        return [ItemQuantity(sku=line.sku, name=line.name, quantity=r.quantity) for r, line in rows]

    @strawberry.field
    async def order(self, info: Info) -> Order:
        return Order.from_row(await loaders.order(info).load(self.order_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Fulfillment, node_ids, cls.from_row)


@strawberry.type(description="Money taken for an order, or given back (kind REFUND).")
class OrderPayment(relay.Node):
    read_permission: ClassVar[str | None] = "orders:read"

    id: relay.NodeID[int]
    kind: PaymentKindEnum  # type: ignore[valid-type]
    amount: Money
    method: str
    gateway: str | None = strawberry.field(description="The payment plugin that took it, if one.")
    reference: str | None = strawberry.field(description="The gateway's transaction id.")
    note: str
    actor: str
    created_at: dt.datetime

    @classmethod
    def from_row(cls, row: models.Payment) -> OrderPayment:
        return cls(
            id=row.id, kind=PaymentKind(row.kind),
            amount=Money.from_minor(row.amount_minor, row.currency),
            method=row.method, gateway=row.gateway, reference=row.reference, note=row.note,
            actor=row.actor, created_at=row.created_at,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Payment, node_ids, cls.from_row)


@strawberry.type(description="A return line: units sent back and, once received, their fate.")
class ReturnItem:
    sku: str
    name: str
    quantity: int
    restocked: bool | None = strawberry.field(
        description="True: back on hand; False: written off; null: not received yet."
    )


@strawberry.type(description="Lines a customer sends back: requested, then received.")
class OrderReturn(relay.Node):
    read_permission: ClassVar[str | None] = "orders:read"

    id: relay.NodeID[int]
    number: int
    status: ReturnStatusEnum  # type: ignore[valid-type]
    reason: str
    location: str | None
    requested_at: dt.datetime
    received_at: dt.datetime | None
    order_id: strawberry.Private[int]
    refund_payment_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.OrderReturn) -> OrderReturn:
        return cls(
            id=row.id, number=row.number, status=ReturnStatus(row.status), reason=row.reason,
            location=row.location, requested_at=row.requested_at, received_at=row.received_at,
            order_id=row.order_id, refund_payment_id=row.refund_payment_id,
        )  # fmt: skip

    @strawberry.field
    async def lines(self, info: Info) -> list[ReturnItem]:
        rows = await loaders.lines_of_return(info).load(self.id)
        return [
            ReturnItem(sku=line.sku, name=line.name, quantity=r.quantity, restocked=r.restock)
            for r, line in rows
        ]

    @strawberry.field(description="The refund given when it was received, if one was.")
    async def refund(self, info: Info) -> OrderPayment | None:
        if self.refund_payment_id is None:
            return None
        return OrderPayment.from_row(await loaders.payment(info).load(self.refund_payment_id))

    @strawberry.field(
        description="What the returned goods are owed back: their line prices less their share "
        "of the discount, plus tax when prices exclude it; shipping is not refunded."
    )
    async def suggested_refund(self, info: Info) -> Money:
        order = await loaders.order(info).load(self.order_id)
        value = sum(
            r.quantity * line.unit_price_minor
            for r, line in await loaders.lines_of_return(info).load(self.id)
        )
        return Money.from_minor(suggested_refund(order, value), order.currency)

    @strawberry.field
    async def order(self, info: Info) -> Order:
        return Order.from_row(await loaders.order(info).load(self.order_id))

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.OrderReturn, node_ids, cls.from_row)


@strawberry.type(description="An order from any channel, with its lines and its history.")
class Order(relay.Node):
    read_permission: ClassVar[str | None] = "orders:read"

    id: relay.NodeID[int]
    number: str
    channel: OrderChannelEnum  # type: ignore[valid-type]
    channel_reference: str | None = strawberry.field(
        description="The order's id on a marketplace or another system."
    )
    status: OrderStatusEnum  # type: ignore[valid-type]
    payment_status: PaymentStatusEnum  # type: ignore[valid-type]
    email: str
    subtotal: Money
    discount: Money
    shipping: Money
    tax: Money
    total: Money
    paid: Money
    refunded: Money
    balance: Money = strawberry.field(description="Still owed: total - paid + refunded.")
    prices_include_tax: bool
    tax_rate: int = strawberry.field(description="In basis points: 1900 is 19 %.")
    stock_allocated: bool = strawberry.field(
        description="Whether oms_inventory allocated its stock (false without inventory)."
    )
    shipping_address: Address | None
    note: str
    placed_by: str
    placed_at: dt.datetime
    expires_at: dt.datetime | None = strawberry.field(
        description="When it expires unless confirmed or paid."
    )
    closed_at: dt.datetime | None = strawberry.field(description="When canceled or expired.")
    customer_id: strawberry.Private[int | None]

    @classmethod
    def from_row(cls, row: models.Order) -> Order:
        def money(minor: int) -> Money:
            return Money.from_minor(minor, row.currency)

        return cls(
            id=row.id, number=row.number, channel=Channel(row.channel),
            channel_reference=row.channel_reference, status=OrderStatus(row.status),
            payment_status=PaymentStatus(row.payment_status), email=row.email,
            subtotal=money(row.subtotal_minor), discount=money(row.discount_minor),
            shipping=money(row.shipping_minor), tax=money(row.tax_minor),
            total=money(row.total_minor), paid=money(row.paid_minor),
            refunded=money(row.refunded_minor),
            balance=money(row.total_minor - row.paid_minor + row.refunded_minor),
            prices_include_tax=row.prices_include_tax, tax_rate=row.tax_rate_basis_points,
            stock_allocated=row.stock_allocated,
            shipping_address=Address.from_dict(row.shipping_address), note=row.note,
            placed_by=row.placed_by, placed_at=row.placed_at, expires_at=row.expires_at,
            closed_at=row.closed_at, customer_id=row.customer_id,
        )  # fmt: skip

    # Plain `def`: at once when the page loaded them ahead (queries.orders), else an
    # awaitable graphql-core waits for (core.graphql.loaders.now_or_later).
    @strawberry.field
    def lines(self, info: Info) -> list[OrderLine]:
        currency = self.total.currency
        return now_or_later(  # type: ignore[no-any-return]
            loaders.lines_of_order(info), self.id,
            lambda rows: [OrderLine.from_row(r, currency) for r in rows],
        )  # fmt: skip

    @strawberry.field(
        description="Needs customers:read (null otherwise).",
        permission_classes=requires("customers:read"),
    )
    def customer(self, info: Info) -> Customer | None:
        if self.customer_id is None:
            return None
        return now_or_later(  # type: ignore[no-any-return]
            loaders.customer(info), self.customer_id,
            lambda row: Customer.from_row(row) if row is not None else None,
        )  # fmt: skip

    @strawberry.field(description="Every change, oldest first.")
    async def timeline(self, info: Info) -> list[OrderTimelineEntry]:
        rows = await loaders.timeline_of_order(info).load(self.id)
        return [OrderTimelineEntry.from_row(r) for r in rows]

    @strawberry.field
    async def fulfillments(self, info: Info) -> list[Fulfillment]:
        rows = await loaders.fulfillments_of_order(info).load(self.id)
        return [Fulfillment.from_row(r) for r in rows]

    @strawberry.field(description="Payments and refunds, oldest first.")
    async def payments(self, info: Info) -> list[OrderPayment]:
        rows = await loaders.payments_of_order(info).load(self.id)
        return [OrderPayment.from_row(r) for r in rows]

    @strawberry.field
    async def returns(self, info: Info) -> list[OrderReturn]:
        rows = await loaders.returns_of_order(info).load(self.id)
        return [OrderReturn.from_row(r) for r in rows]

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        return await load_nodes(info, models.Order, node_ids, cls.from_row)


@strawberry.type(description="How this property numbers, taxes and expires its orders.")
class OrderSettings:
    number_prefix: str
    next_number: int
    tax_rate: int = strawberry.field(description="In basis points: 1900 is 19 %.")
    prices_include_tax: bool
    unpaid_expiry_minutes: int = strawberry.field(
        description="Unconfirmed unpaid orders expire after this; 0: never."
    )

    @classmethod
    def from_row(cls, row: models.OrderSettings) -> OrderSettings:
        return cls(
            number_prefix=row.number_prefix, next_number=row.next_number,
            tax_rate=row.tax_rate_basis_points, prices_include_tax=row.prices_include_tax,
            unpaid_expiry_minutes=row.unpaid_expiry_minutes,
        )  # fmt: skip


@strawberry.type(description="A shipment as its customer sees it.")
class TrackedShipment:
    number: int
    status: FulfillmentStatusEnum  # type: ignore[valid-type]
    carrier: str
    tracking_number: str
    tracking_url: str
    shipped_at: dt.datetime
    delivered_at: dt.datetime | None
    lines: list[ItemQuantity]


@strawberry.type(description="An order as its customer may see it, by number and e-mail.")
class OrderTracking:
    number: str
    status: OrderStatusEnum  # type: ignore[valid-type]
    placed_at: dt.datetime
    total: Money
    lines: list[ItemQuantity]
    shipments: list[TrackedShipment]
