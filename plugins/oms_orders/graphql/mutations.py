"""Root mutation fields of oms_orders: thin, each one service call in one transaction."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any, TypeVar

import strawberry
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry.types import Info

from core.errors import DomainError
from core.graphql import pk_of
from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires
from core.money import decimal_to_minor
from plugins.oms_orders.channels import Channel
from plugins.oms_orders.graphql.types import (
    Customer,
    Fulfillment,
    Order,
    OrderChannelEnum,
    OrderError,
    OrderPayment,
    OrderReturn,
    OrderSettings,
)
from plugins.oms_orders.service import (
    customers,
    fulfilment,
    lifecycle,
    payments,
    placement,
    returns,
)
from plugins.oms_orders.service.common import OrderContext
from plugins.oms_orders.service.errors import OrderErrorCode

P = TypeVar("P")


def _errors() -> Any:
    return strawberry.field(default_factory=list)


async def run(info: Info, work: Callable[[OrderContext], Awaitable[P]], payload: type[P]) -> P:
    """One transaction; a DomainError rolls it back and becomes typed payload errors."""

    async def in_session(session: AsyncSession) -> P:
        principal = info.context.principal
        ctx = OrderContext(
            session=session, hooks=info.context.hooks, clock=info.context.clock,
            actor=principal.subject if principal else "anonymous",
        )  # fmt: skip
        return await work(ctx)

    return await in_transaction(info, in_session, payload, OrderError, OrderErrorCode)


def _currency(info: Info) -> str:
    return info.context.property.currency


def _minor(info: Info, amount: Decimal | None, field: list[str]) -> int | None:
    return None if amount is None else decimal_to_minor(amount, _currency(info), field=field)


# -- inputs -----------------------------------------------------------------------


@strawberry.input
class AddressInput:
    line1: str
    city: str
    country: str = strawberry.field(description="ISO 3166 two-letter code.")
    name: str = ""
    line2: str = ""
    postal_code: str = ""
    region: str = ""
    phone: str = ""

    def spec(self) -> customers.AddressSpec:
        return customers.AddressSpec(
            line1=self.line1, city=self.city, country=self.country, name=self.name,
            line2=self.line2, postal_code=self.postal_code, region=self.region, phone=self.phone,
        )  # fmt: skip


@strawberry.input
class OrderLineInput:
    sku: str
    quantity: int
    unit_price: Decimal | None = strawberry.field(
        default=None,
        description="Required on a property without a catalog (oms_inventory). With one, the "
        "catalog's price applies and a different price given here is refused (PRICE_CHANGED).",
    )
    name: str | None = strawberry.field(default=None, description="Without a catalog only.")


@strawberry.input
class PlaceOrderInput:
    idempotency_key: str = strawberry.field(
        description="The client's id for this order: a retry returns the first order."
    )
    email: str
    lines: list[OrderLineInput]
    channel: OrderChannelEnum = Channel.WEB  # type: ignore[valid-type]
    channel_reference: str | None = None
    customer_name: str = ""
    phone: str = ""
    discount: Decimal = strawberry.field(default=Decimal(0), description="Off the subtotal.")
    shipping: Decimal = Decimal(0)
    shipping_address: AddressInput | None = None
    note: str = ""
    confirm: bool = strawberry.field(
        default=False, description="Place it confirmed (staff orders); otherwise it expires "
        "unless paid or confirmed in time.",
    )  # fmt: skip
    hold_key: str | None = strawberry.field(
        default=None, description="A cart whose stock holds (oms_inventory) become this order."
    )


@strawberry.input
class OrderInput:
    order: strawberry.ID


@strawberry.input
class CancelOrderInput:
    order: strawberry.ID
    reason: str = ""


@strawberry.input
class AddOrderNoteInput:
    order: strawberry.ID
    text: str


@strawberry.input
class ItemQuantityInput:
    sku: str
    quantity: int


@strawberry.input
class FulfillOrderInput:
    order: strawberry.ID
    lines: list[ItemQuantityInput] | None = strawberry.field(
        default=None, description="Leave out to ship everything left to ship."
    )
    location: str | None = strawberry.field(
        default=None, description="Code of the location it ships from (oms_inventory)."
    )
    carrier: str = ""
    tracking_number: str = ""
    tracking_url: str = ""


@strawberry.input
class FulfillmentInput:
    fulfillment: strawberry.ID


@strawberry.input
class UpdateFulfillmentTrackingInput:
    fulfillment: strawberry.ID
    carrier: str
    tracking_number: str
    tracking_url: str = ""


@strawberry.input
class RecordOrderPaymentInput:
    order: strawberry.ID
    amount: Decimal
    method: str = strawberry.field(description="card, cash, bank_transfer, gift_card, ...")
    idempotency_key: str | None = None
    reference: str | None = strawberry.field(default=None, description="A receipt number.")
    note: str = ""


@strawberry.input
class RefundOrderInput:
    order: strawberry.ID
    amount: Decimal
    payment: strawberry.ID | None = strawberry.field(
        default=None, description="The payment to give back on; through its gateway if it had one."
    )
    method: str = "original"
    idempotency_key: str | None = None
    note: str = ""


@strawberry.input
class RequestReturnInput:
    order: strawberry.ID
    lines: list[ItemQuantityInput]
    reason: str = ""


@strawberry.input
class ReturnedItemInput:
    sku: str
    restock: bool = strawberry.field(description="False writes the units off.")


@strawberry.input
class ReceiveReturnInput:
    order_return: strawberry.ID
    lines: list[ReturnedItemInput] = strawberry.field(
        default_factory=list, description="Lines left out are restocked."
    )
    location: str | None = strawberry.field(
        default=None, description="Where the goods come back (a location code; with inventory)."
    )
    refund: Decimal | None = strawberry.field(
        default=None, description="Refund this much at once (needs payments:write)."
    )


@strawberry.input
class OrderReturnInput:
    order_return: strawberry.ID


@strawberry.input
class CreateCustomerInput:
    email: str
    name: str = ""
    phone: str = ""
    addresses: list[AddressInput] = strawberry.field(default_factory=list)
    note: str = ""


@strawberry.input
class UpdateCustomerInput:
    customer: strawberry.ID
    email: str | None = None
    name: str | None = None
    phone: str | None = None
    addresses: list[AddressInput] | None = None
    note: str | None = None


@strawberry.input
class UpdateOrderSettingsInput:
    tax_rate: int | None = strawberry.field(default=None, description="Basis points: 1900 = 19 %.")
    prices_include_tax: bool | None = None
    unpaid_expiry_minutes: int | None = None
    number_prefix: str | None = None


# -- payloads ---------------------------------------------------------------------


@strawberry.type
class PlaceOrderPayload:
    order: Order | None = None
    created: bool = strawberry.field(
        default=False, description="False when the idempotency key returned an earlier order."
    )
    errors: list[OrderError] = _errors()


@strawberry.type
class OrderPayload:
    order: Order | None = None
    errors: list[OrderError] = _errors()


@strawberry.type
class FulfillmentPayload:
    order: Order | None = None
    fulfillment: Fulfillment | None = None
    errors: list[OrderError] = _errors()


@strawberry.type
class OrderPaymentPayload:
    order: Order | None = None
    payment: OrderPayment | None = None
    errors: list[OrderError] = _errors()


@strawberry.type
class OrderReturnPayload:
    order: Order | None = None
    order_return: OrderReturn | None = None
    errors: list[OrderError] = _errors()


@strawberry.type
class CustomerPayload:
    customer: Customer | None = None
    errors: list[OrderError] = _errors()


@strawberry.type
class OrderSettingsPayload:
    settings: OrderSettings | None = None
    errors: list[OrderError] = _errors()


def _order_id(value: str) -> int:
    return pk_of(value, "Order")


@strawberry.type
class OrderMutation:
    @strawberry.mutation(permission_classes=requires("orders:write"))
    async def place_order(self, info: Info, input: PlaceOrderInput) -> PlaceOrderPayload:
        async def work(ctx: OrderContext) -> PlaceOrderPayload:
            spec = placement.OrderSpec(
                idempotency_key=input.idempotency_key, email=input.email,
                lines=[
                    placement.LineSpec(
                        sku=line.sku, quantity=line.quantity, name=line.name,
                        unit_price_minor=_minor(
                            info, line.unit_price, ["lines", str(i), "unitPrice"]
                        ),
                    )
                    for i, line in enumerate(input.lines)
                ],
                channel=Channel(input.channel.value), channel_reference=input.channel_reference,
                customer_name=input.customer_name, phone=input.phone,
                discount_minor=_minor(info, input.discount, ["discount"]) or 0,
                shipping_minor=_minor(info, input.shipping, ["shipping"]) or 0,
                shipping_address=input.shipping_address.spec() if input.shipping_address else None,
                note=input.note, confirm=input.confirm, hold_key=input.hold_key,
            )  # fmt: skip
            order, created = await placement.place_order(ctx, spec, currency=_currency(info))
            return PlaceOrderPayload(order=Order.from_row(order), created=created)

        return await run(info, work, PlaceOrderPayload)

    @strawberry.mutation(permission_classes=requires("orders:write"))
    async def confirm_order(self, info: Info, input: OrderInput) -> OrderPayload:
        async def work(ctx: OrderContext) -> OrderPayload:
            order = await lifecycle.confirm_order(ctx, _order_id(input.order))
            return OrderPayload(order=Order.from_row(order))

        return await run(info, work, OrderPayload)

    @strawberry.mutation(
        description="Cancel an order nothing of which has shipped; its stock is released.",
        permission_classes=requires("orders:write"),
    )
    async def cancel_order(self, info: Info, input: CancelOrderInput) -> OrderPayload:
        async def work(ctx: OrderContext) -> OrderPayload:
            order = await lifecycle.cancel_order(ctx, _order_id(input.order), reason=input.reason)
            return OrderPayload(order=Order.from_row(order))

        return await run(info, work, OrderPayload)

    @strawberry.mutation(permission_classes=requires("orders:write"))
    async def add_order_note(self, info: Info, input: AddOrderNoteInput) -> OrderPayload:
        async def work(ctx: OrderContext) -> OrderPayload:
            order = await lifecycle.add_note(ctx, _order_id(input.order), text=input.text)
            return OrderPayload(order=Order.from_row(order))

        return await run(info, work, OrderPayload)

    @strawberry.mutation(
        description="Ship some or all of what is left to ship; the ledger records the shipment.",
        permission_classes=requires("fulfilments:write"),
    )
    async def fulfill_order(self, info: Info, input: FulfillOrderInput) -> FulfillmentPayload:
        async def work(ctx: OrderContext) -> FulfillmentPayload:
            lines = (
                None if input.lines is None
                else [fulfilment.FulfillLine(line.sku, line.quantity) for line in input.lines]
            )  # fmt: skip
            shipment = fulfilment.Shipment(
                carrier=input.carrier, tracking_number=input.tracking_number,
                tracking_url=input.tracking_url, location=input.location,
            )  # fmt: skip
            order, row = await fulfilment.fulfill_order(
                ctx, _order_id(input.order), lines, shipment
            )
            return FulfillmentPayload(
                order=Order.from_row(order), fulfillment=Fulfillment.from_row(row)
            )

        return await run(info, work, FulfillmentPayload)

    @strawberry.mutation(permission_classes=requires("fulfilments:write"))
    async def mark_fulfillment_delivered(
        self, info: Info, input: FulfillmentInput
    ) -> FulfillmentPayload:
        async def work(ctx: OrderContext) -> FulfillmentPayload:
            order, row = await fulfilment.mark_delivered(
                ctx, pk_of(input.fulfillment, "Fulfillment")
            )
            return FulfillmentPayload(
                order=Order.from_row(order), fulfillment=Fulfillment.from_row(row)
            )

        return await run(info, work, FulfillmentPayload)

    @strawberry.mutation(permission_classes=requires("fulfilments:write"))
    async def update_fulfillment_tracking(
        self, info: Info, input: UpdateFulfillmentTrackingInput
    ) -> FulfillmentPayload:
        async def work(ctx: OrderContext) -> FulfillmentPayload:
            shipment = fulfilment.Shipment(
                carrier=input.carrier, tracking_number=input.tracking_number,
                tracking_url=input.tracking_url,
            )  # fmt: skip
            order, row = await fulfilment.update_tracking(
                ctx, pk_of(input.fulfillment, "Fulfillment"), shipment
            )
            return FulfillmentPayload(
                order=Order.from_row(order), fulfillment=Fulfillment.from_row(row)
            )

        return await run(info, work, FulfillmentPayload)

    @strawberry.mutation(
        description="Record money received by hand (cash, card terminal, bank transfer).",
        permission_classes=requires("payments:write"),
    )
    async def record_order_payment(
        self, info: Info, input: RecordOrderPaymentInput
    ) -> OrderPaymentPayload:
        async def work(ctx: OrderContext) -> OrderPaymentPayload:
            order, payment = await payments.record_payment(
                ctx, _order_id(input.order),
                amount_minor=_minor(info, input.amount, ["amount"]) or 0, method=input.method,
                reference=input.reference, idempotency_key=input.idempotency_key, note=input.note,
            )  # fmt: skip
            return OrderPaymentPayload(
                order=Order.from_row(order), payment=OrderPayment.from_row(payment)
            )

        return await run(info, work, OrderPaymentPayload)

    @strawberry.mutation(
        description="Give money back; never more than was paid and not yet refunded.",
        permission_classes=requires("payments:write"),
    )
    async def refund_order(self, info: Info, input: RefundOrderInput) -> OrderPaymentPayload:
        async def work(ctx: OrderContext) -> OrderPaymentPayload:
            order, refund = await payments.record_refund(
                ctx, _order_id(input.order),
                amount_minor=_minor(info, input.amount, ["amount"]) or 0, method=input.method,
                payment_id=None if input.payment is None else pk_of(input.payment, "OrderPayment"),
                idempotency_key=input.idempotency_key, note=input.note,
            )  # fmt: skip
            return OrderPaymentPayload(
                order=Order.from_row(order), payment=OrderPayment.from_row(refund)
            )

        return await run(info, work, OrderPaymentPayload)

    @strawberry.mutation(permission_classes=requires("returns:write"))
    async def request_return(self, info: Info, input: RequestReturnInput) -> OrderReturnPayload:
        async def work(ctx: OrderContext) -> OrderReturnPayload:
            order, row = await returns.request_return(
                ctx, _order_id(input.order),
                [returns.ReturnLineSpec(line.sku, line.quantity) for line in input.lines],
                reason=input.reason,
            )  # fmt: skip
            return OrderReturnPayload(
                order=Order.from_row(order), order_return=OrderReturn.from_row(row)
            )

        return await run(info, work, OrderReturnPayload)

    @strawberry.mutation(
        description="Receive a requested return: restock or write off each line, optionally "
        "refund at once.",
        permission_classes=requires("returns:write"),
    )
    async def receive_return(self, info: Info, input: ReceiveReturnInput) -> OrderReturnPayload:
        async def work(ctx: OrderContext) -> OrderReturnPayload:
            refund = _minor(info, input.refund, ["refund"])
            if refund and "payments:write" not in info.context.permissions:
                raise DomainError(
                    OrderErrorCode.PERMISSION_DENIED, "a refund needs the permission "
                    "payments:write: receive the return without it", field=["refund"],
                )  # fmt: skip
            order, row = await returns.receive_return(
                ctx, pk_of(input.order_return, "OrderReturn"),
                [returns.ReceivedLine(line.sku, line.restock) for line in input.lines],
                location=input.location, refund_minor=refund,
            )  # fmt: skip
            return OrderReturnPayload(
                order=Order.from_row(order), order_return=OrderReturn.from_row(row)
            )

        return await run(info, work, OrderReturnPayload)

    @strawberry.mutation(permission_classes=requires("returns:write"))
    async def cancel_return(self, info: Info, input: OrderReturnInput) -> OrderReturnPayload:
        async def work(ctx: OrderContext) -> OrderReturnPayload:
            order, row = await returns.cancel_return(ctx, pk_of(input.order_return, "OrderReturn"))
            return OrderReturnPayload(
                order=Order.from_row(order), order_return=OrderReturn.from_row(row)
            )

        return await run(info, work, OrderReturnPayload)

    @strawberry.mutation(permission_classes=requires("customers:write"))
    async def create_customer(self, info: Info, input: CreateCustomerInput) -> CustomerPayload:
        async def work(ctx: OrderContext) -> CustomerPayload:
            row = await customers.create_customer(
                ctx.session, email=input.email, name=input.name, phone=input.phone,
                addresses=[a.spec() for a in input.addresses], note=input.note, clock=ctx.clock,
            )  # fmt: skip
            return CustomerPayload(customer=Customer.from_row(row))

        return await run(info, work, CustomerPayload)

    @strawberry.mutation(permission_classes=requires("customers:write"))
    async def update_customer(self, info: Info, input: UpdateCustomerInput) -> CustomerPayload:
        async def work(ctx: OrderContext) -> CustomerPayload:
            row = await customers.update_customer(
                ctx.session, pk_of(input.customer, "Customer"), name=input.name,
                phone=input.phone, email=input.email,
                addresses=None if input.addresses is None else [a.spec() for a in input.addresses],
                note=input.note,
            )  # fmt: skip
            return CustomerPayload(customer=Customer.from_row(row))

        return await run(info, work, CustomerPayload)

    @strawberry.mutation(permission_classes=requires("orders:configure"))
    async def update_order_settings(
        self, info: Info, input: UpdateOrderSettingsInput
    ) -> OrderSettingsPayload:
        async def work(ctx: OrderContext) -> OrderSettingsPayload:
            row = await lifecycle.update_settings(
                ctx.session, tax_rate_basis_points=input.tax_rate,
                prices_include_tax=input.prices_include_tax,
                unpaid_expiry_minutes=input.unpaid_expiry_minutes,
                number_prefix=input.number_prefix,
            )  # fmt: skip
            return OrderSettingsPayload(settings=OrderSettings.from_row(row))

        return await run(info, work, OrderSettingsPayload)
