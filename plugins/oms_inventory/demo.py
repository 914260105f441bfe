"""Demo data for oms_inventory: a small catalog, two locations, stock, a reorder rule."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.tenancy import Property
from plugins.oms_inventory.service import catalog, reorder, stock

ACTOR = "demo"


async def fill_demo_data(session: AsyncSession, property: Property, clock: Clock) -> None:
    prefix = property.slug.split("-")[-1][:6].upper()
    currency = property.currency
    await catalog.create_location(session, code="BACK", name="Back store", priority=20, clock=clock)
    products = [
        ("Sea salt soap", [(f"{prefix}-SOAP", "6.50", "4006381333931")]),
        ("Linen tote", [(f"{prefix}-TOTE-N", "24.00", None), (f"{prefix}-TOTE-S", "24.00", None)]),
        ("Espresso beans 250 g", [(f"{prefix}-BEANS", "12.90", "4006381333948")]),
    ]
    for name, variants in products:
        await catalog.create_product(
            session,
            name=name,
            description="",
            variants=[
                catalog.VariantSpec(sku=sku, price=price, currency=currency, barcode=barcode)
                for sku, price, barcode in variants
            ],
            clock=clock,
        )
    for sku, location, quantity in (
        (f"{prefix}-SOAP", "MAIN", 40), (f"{prefix}-SOAP", "BACK", 120),
        (f"{prefix}-TOTE-N", "MAIN", 12), (f"{prefix}-TOTE-S", "MAIN", 3),
        (f"{prefix}-BEANS", "MAIN", 18),
    ):  # fmt: skip
        await stock.receive_stock(
            session, sku=sku, location_code=location, quantity=quantity,
            reference="demo opening stock", actor=ACTOR, clock=clock,
        )  # fmt: skip
    # Below its minimum: raises a draft purchase order straight away.
    await reorder.set_reorder_rule(
        session, sku=f"{prefix}-TOTE-S", location_code="MAIN", minimum=5, maximum=20,
        multiple=6, clock=clock,
    )  # fmt: skip
