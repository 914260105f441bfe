"""Demo data for pos_bridge: outlets with a few sales. At the shop, a counter selling soap
from stock; at the resort, a restaurant whose bills are paid or charged to the guest
in house, and a gift shop selling from the shop's catalog."""

from __future__ import annotations

import contextlib

from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import DomainError
from core.plugins import HookRelay, call_first_optional
from core.tenancy import Property, enabled_plugins
from plugins.pos_bridge.service import outlets, sales
from plugins.pos_bridge.service.common import PosContext
from plugins.pos_bridge.service.outlets import OutletKind
from plugins.pos_bridge.service.sales import PaymentMethod, RoomChargeSpec, SaleLineSpec, SaleSpec

# pms_rooms' demo puts this guest in house in the first double.
IN_HOUSE_ROOM, IN_HOUSE_NAME = "101", "Lovelace"


async def fill_demo_data(
    session: AsyncSession, property: Property, clock: Clock, hooks: HookRelay
) -> None:
    plugins = await enabled_plugins(session, property.id)
    ctx = PosContext(
        session=session, hooks=hooks, clock=clock, actor="demo", plugins=plugins,
        currency=property.currency, time_zone=property.time_zone,
    )  # fmt: skip
    soap = f"{property.slug.split('-')[-1][:6].upper()}-SOAP"
    catalog = await call_first_optional(hooks, "oms_inventory_prices", session=session, skus=[soap])
    soap_price = (catalog or {}).get(soap, {}).get("price_minor")
    if ctx.charges_rooms:
        restaurant = await outlets.create_outlet(
            session, code="RESTAURANT", name="Harbour Restaurant", kind=OutletKind.RESTAURANT,
            stock_location=None, clock=clock,
        )  # fmt: skip
        dinner = [SaleLineSpec("Grilled sea bass", 2, 2_400), SaleLineSpec("Vinho verde", 1, 2_800)]
        await sales.post_sale(
            ctx, restaurant, SaleSpec("R-1001", dinner, payment_method=PaymentMethod.CARD),
            source="demo",
        )  # fmt: skip
        breakfast = SaleSpec(
            "R-1002", [SaleLineSpec("Breakfast for two", 1, 3_600)],
            room_charge=RoomChargeSpec(IN_HOUSE_ROOM, IN_HOUSE_NAME),
        )  # fmt: skip
        # No such guest in this property's demo: nothing charged, nothing half-written.
        with contextlib.suppress(DomainError):
            async with session.begin_nested():
                await sales.post_sale(ctx, restaurant, breakfast, source="demo")
    if ctx.sells_retail and soap_price is not None:
        shop = await outlets.create_outlet(
            session, code="GIFTSHOP" if ctx.charges_rooms else "COUNTER",
            name="Gift shop" if ctx.charges_rooms else "Shop counter",
            kind=OutletKind.GIFT_SHOP, stock_location="MAIN", clock=clock,
        )  # fmt: skip
        await sales.post_sale(ctx, shop, SaleSpec(
            "G-1", [SaleLineSpec("Sea salt soap", 2, soap_price, sku=soap)],
            payment_method=PaymentMethod.CASH,
        ), source="demo")  # fmt: skip
