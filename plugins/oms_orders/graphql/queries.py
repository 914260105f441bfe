"""Root query fields of oms_orders."""

from __future__ import annotations

import datetime as dt
from enum import Enum

import strawberry
from sqlalchemy import func, select
from strawberry.types import Info

from core.db import contains_pattern
from core.graphql import ClientError, Connection, Money, SortDirection, paginate, pk_of
from core.graphql.loaders import load_ahead
from core.graphql.permissions import public, requires
from core.graphql.selection import selects
from plugins.oms_orders import models
from plugins.oms_orders.graphql import loaders
from plugins.oms_orders.graphql.types import (
    Customer,
    ItemQuantity,
    Order,
    OrderChannelEnum,
    OrderSettings,
    OrderStatusEnum,
    OrderTracking,
    PaymentStatusEnum,
    TrackedShipment,
)
from plugins.oms_orders.service.fulfilment import FulfillmentStatus
from plugins.oms_orders.service.tracking import find_for_tracking
from plugins.oms_orders.transitions import OrderStatus


@strawberry.input(description="Every given condition must hold; lists inside match any value.")
class OrderFilter:
    status: list[OrderStatusEnum] | None = None  # type: ignore[valid-type]
    payment_status: list[PaymentStatusEnum] | None = None  # type: ignore[valid-type]
    channel: list[OrderChannelEnum] | None = None  # type: ignore[valid-type]
    customer: strawberry.ID | None = strawberry.field(default=None, description="A Customer ID.")
    placed_from: dt.datetime | None = strawberry.field(default=None, description="Inclusive.")
    placed_to: dt.datetime | None = strawberry.field(default=None, description="Exclusive.")
    search: str | None = strawberry.field(
        default=None, description="In the number, the e-mail and the customer's name."
    )


@strawberry.enum
class OrderSortField(Enum):
    PLACED_AT = "placed_at"
    TOTAL = "total"


@strawberry.input
class OrderSort:
    field: OrderSortField = OrderSortField.PLACED_AT
    direction: SortDirection = SortDirection.DESC


@strawberry.input
class CustomerFilter:
    search: str | None = strawberry.field(default=None, description="In e-mail and name.")


def _instant(value: dt.datetime, name: str) -> dt.datetime:
    """A filter's bound; one without a UTC offset names no instant (and the database
    refuses to compare it), so it is the client's malformed argument."""
    if value.tzinfo is None:
        raise ClientError(
            f"{name} needs a UTC offset, such as 2026-03-02T09:00:00Z", code="INVALID_INPUT"
        )
    return value


def order_statement(filter: OrderFilter | None):
    order = models.Order
    statement = select(order)
    if filter is None:
        return statement
    if filter.status:
        statement = statement.where(order.status.in_([s.value for s in filter.status]))
    if filter.payment_status:
        statement = statement.where(
            order.payment_status.in_([s.value for s in filter.payment_status])
        )
    if filter.channel:
        statement = statement.where(order.channel.in_([c.value for c in filter.channel]))
    if filter.customer is not None:
        statement = statement.where(order.customer_id == pk_of(filter.customer, "Customer"))
    if filter.placed_from is not None:
        statement = statement.where(order.placed_at >= _instant(filter.placed_from, "placedFrom"))
    if filter.placed_to is not None:
        statement = statement.where(order.placed_at < _instant(filter.placed_to, "placedTo"))
    if filter.search and filter.search.strip():
        statement = statement.where(
            order.search_text.like(contains_pattern(filter.search), escape="\\")
        )
    return statement


@strawberry.type
class OrderQuery:
    @strawberry.field(
        description="Orders, newest first unless sorted otherwise.",
        permission_classes=requires("orders:read"),
    )
    async def orders(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: OrderFilter | None = None,
        sort: OrderSort | None = None,
    ) -> Connection[Order]:
        sort = sort or OrderSort()
        key = (
            models.Order.total_minor
            if sort.field is OrderSortField.TOTAL
            else models.Order.placed_at
        )
        page = await paginate(
            info, order_statement(filter), sort_key=key, pk=models.Order.id, first=first,
            after=after, descending=sort.direction is SortDirection.DESC,
        )  # fmt: skip
        # The page's lines and customers, if asked for, in one query each now: each
        # order's `lines` and `customer` then answer without an await apiece.
        if selects(info, "edges", "node", "lines"):
            await load_ahead(loaders.lines_of_order(info), (row.id for row in page.rows))
        if selects(info, "edges", "node", "customer") and "customers:read" in (
            info.context.permissions
        ):
            customers = (row.customer_id for row in page.rows)
            await load_ahead(loaders.customer(info), customers)
        return page.to_connection(Order.from_row)

    @strawberry.field(
        description="The order with this number, if there is one.",
        permission_classes=requires("orders:read"),
    )
    async def order_by_number(self, info: Info, number: str) -> Order | None:
        async with info.context.db() as session:
            row = await session.scalar(
                select(models.Order).where(models.Order.number == number.strip())
            )
            return Order.from_row(row) if row is not None else None

    @strawberry.field(permission_classes=requires("customers:read"))
    async def customers(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        filter: CustomerFilter | None = None,
    ) -> Connection[Customer]:
        statement = select(models.Customer)
        if filter and filter.search and filter.search.strip():
            pattern = contains_pattern(filter.search)
            statement = statement.where(
                models.Customer.email.like(pattern, escape="\\")
                | func.lower(models.Customer.name).like(pattern, escape="\\")
            )
        page = await paginate(
            info, statement, sort_key=models.Customer.name, pk=models.Customer.id,
            first=first, after=after,
        )  # fmt: skip
        return page.to_connection(Customer.from_row)

    @strawberry.field(permission_classes=requires("orders:read"))
    async def order_settings(self, info: Info) -> OrderSettings:
        async with info.context.db() as session:
            row = await session.scalar(select(models.OrderSettings))
            if row is None:  # not seeded yet: what the first order will use
                return OrderSettings(
                    number_prefix="", next_number=1001, tax_rate=0, prices_include_tax=False,
                    unpaid_expiry_minutes=60,
                )  # fmt: skip
            return OrderSettings.from_row(row)

    @strawberry.field(
        description="An order's status and shipments for its customer, by number and the "
        "e-mail it was placed with; no account needed (a publishable key will do). Null "
        "when either does not match.",
        permission_classes=public(),
    )
    async def track_order(self, info: Info, number: str, email: str) -> OrderTracking | None:
        async with info.context.db() as session:
            found = await find_for_tracking(session, number=number, email=email)
        if found is None:
            return None
        order, lines, shipments = found
        names = {line.id: line for line in lines}
        return OrderTracking(
            number=order.number, status=OrderStatus(order.status), placed_at=order.placed_at,
            total=Money.from_minor(order.total_minor, order.currency),
            lines=[ItemQuantity(sku=ln.sku, name=ln.name, quantity=ln.quantity) for ln in lines],
            shipments=[
                TrackedShipment(
                    number=f.number, status=FulfillmentStatus(f.status), carrier=f.carrier,
                    tracking_number=f.tracking_number, tracking_url=f.tracking_url,
                    shipped_at=f.shipped_at, delivered_at=f.delivered_at,
                    lines=[
                        ItemQuantity(
                            sku=names[fl.order_line_id].sku, name=names[fl.order_line_id].name,
                            quantity=fl.quantity,
                        )
                        for fl in f_lines
                    ],
                )
                for f, f_lines in shipments
            ],
        )  # fmt: skip
