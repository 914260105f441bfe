"""Demo data for oms_orders: orders in every stage, made through the service as staff would.

With oms_inventory enabled the orders take the demo catalog's SKUs and
allocate its stock (its demo data runs first: our hook is ``trylast``);
without it, the lines carry their own prices.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.plugins import HookRelay
from core.tenancy import Property
from plugins.oms_orders.channels import Channel
from plugins.oms_orders.service import fulfilment, lifecycle, payments, placement, returns
from plugins.oms_orders.service.common import OrderContext
from plugins.oms_orders.service.customers import AddressSpec

ADDRESS = AddressSpec(
    name="Ada Lovelace", line1="12 Harbour Road", city="Portsmouth", postal_code="PO1 3AX",
    country="GB",
)  # fmt: skip


async def fill_demo_data(
    session: AsyncSession, property: Property, clock: Clock, hooks: HookRelay
) -> None:
    ctx = OrderContext(session=session, hooks=hooks, clock=clock, actor="demo")
    prefix = property.slug.split("-")[-1][:6].upper()  # oms_inventory's demo SKUs
    catalog = await placement.call_prices(ctx, [f"{prefix}-SOAP"])
    with_catalog = bool(catalog)

    def line(sku: str, quantity: int, price: int) -> placement.LineSpec:
        return placement.LineSpec(
            f"{prefix}-{sku}", quantity, None if with_catalog else price,
            None if with_catalog else sku.title(),
        )  # fmt: skip

    async def place(key: str, email: str, name: str, lines: list[placement.LineSpec], **kw):
        spec = placement.OrderSpec(
            idempotency_key=f"demo-{key}", email=email, customer_name=name, lines=lines,
            shipping_address=ADDRESS, **kw,
        )  # fmt: skip
        order, _ = await placement.place_order(ctx, spec, currency=property.currency)
        return order

    # Paid online, shipped and delivered.
    delivered = await place(
        "1", "ada@example.com", "Ada Lovelace", [line("SOAP", 2, 650), line("BEANS", 1, 1290)],
        shipping_minor=495,
    )  # fmt: skip
    await payments.record_payment(
        ctx, delivered.id, amount_minor=delivered.total_minor, method="card", reference="demo-1"
    )
    _, shipment = await fulfilment.fulfill_order(
        ctx, delivered.id, None,
        fulfilment.Shipment(carrier="DHL", tracking_number="00340434161094000001"),
    )  # fmt: skip
    await fulfilment.mark_delivered(ctx, shipment.id)

    # Taken on the phone, half shipped.
    partial = await place(
        "2", "grace@example.com", "Grace Hopper", [line("TOTE-N", 2, 2400)],
        channel=Channel.PHONE, confirm=True,
    )  # fmt: skip
    await fulfilment.fulfill_order(
        ctx, partial.id, [fulfilment.FulfillLine(f"{prefix}-TOTE-N", 1)],
        fulfilment.Shipment(carrier="UPS", tracking_number="1Z999AA10123456784"),
    )  # fmt: skip

    # Placed online, not paid yet: expires unless paid or confirmed.
    await place("3", "alan@example.com", "Alan Turing", [line("SOAP", 1, 650)])

    # From a marketplace, canceled by the customer.
    canceled = await place(
        "4", "barbara@example.com", "Barbara Liskov", [line("BEANS", 2, 1290)],
        channel=Channel.MARKETPLACE, channel_reference="MKT-558-2201", confirm=True,
    )  # fmt: skip
    await lifecycle.cancel_order(ctx, canceled.id, reason="customer changed their mind")

    # Delivered, one unit sent back, restocked and refunded.
    returned = await place(
        "5", "ada@example.com", "Ada Lovelace", [line("SOAP", 3, 650)], confirm=True
    )
    await payments.record_payment(
        ctx, returned.id, amount_minor=returned.total_minor, method="card", reference="demo-5"
    )
    await fulfilment.fulfill_order(ctx, returned.id, None, fulfilment.Shipment(carrier="DHL"))
    _, order_return = await returns.request_return(
        ctx, returned.id, [returns.ReturnLineSpec(f"{prefix}-SOAP", 1)], reason="arrived broken"
    )
    await returns.receive_return(
        ctx, order_return.id, [returns.ReceivedLine(f"{prefix}-SOAP", restock=False)],
        location="MAIN" if returned.stock_allocated else None, refund_minor=650,
    )  # fmt: skip
