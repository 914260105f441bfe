"""Outlets, their devices (API keys that sell for one outlet) and webhook secrets."""

from __future__ import annotations

import re
from enum import Enum

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.apikeys import ApiKey, ApiKeyKind, create_api_key
from core.clock import Clock
from core.errors import DomainError
from core.signatures import new_secret
from plugins.pos_bridge.models import Outlet, OutletDevice
from plugins.pos_bridge.service.errors import PosErrorCode, invalid, not_found

SELL = "pos:sell"
CODE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,19}\Z")


class OutletKind(Enum):
    RESTAURANT = "restaurant"
    BAR = "bar"
    SPA = "spa"
    GIFT_SHOP = "gift_shop"
    OTHER = "other"


async def create_outlet(
    session: AsyncSession,
    *,
    code: str,
    name: str,
    kind: OutletKind,
    stock_location: str | None,
    clock: Clock,
) -> Outlet:
    code, name = code.strip(), name.strip()
    if not CODE.match(code):
        raise invalid("a code has 1 to 20 letters, digits, - or _", ["code"])
    if not name or len(name) > 120:
        raise invalid("a name has 1 to 120 characters", ["name"])
    location = (stock_location or "").strip() or None
    if location is not None and len(location) > 40:
        raise invalid("a stock location code has at most 40 characters", ["stockLocation"])
    if await session.scalar(select(Outlet.id).where(Outlet.code == code)):
        raise DomainError(PosErrorCode.CONFLICT, f"outlet {code} exists", field=["code"])
    outlet = Outlet(
        code=code, name=name, kind=kind.value, stock_location=location,
        webhook_secret=new_secret(), active=True, created_at=clock.now(),
    )  # fmt: skip
    session.add(outlet)
    await session.flush()
    return outlet


async def outlet_by_code(session: AsyncSession, code: str, field: list[str]) -> Outlet:
    outlet = await session.scalar(select(Outlet).where(Outlet.code == code.strip()))
    if outlet is None or not outlet.active:
        raise not_found(f"outlet {code.strip()}", field)
    return outlet


async def rotate_webhook_secret(session: AsyncSession, outlet: Outlet) -> Outlet:
    """A new secret; the old one stops verifying at once."""
    outlet.webhook_secret = new_secret()
    await session.flush()
    return outlet


async def create_device_key(
    session: AsyncSession,
    outlet: Outlet,
    *,
    name: str,
    grantable: frozenset[str],
    created_by_user_id: int | None,
    clock: Clock,
) -> tuple[OutletDevice, str]:
    """An API key that posts sales for ``outlet`` only; its secret is returned once."""
    key, secret = await create_api_key(
        session, name=f"{outlet.code}: {name.strip()}"[:100], kind=ApiKeyKind.SECRET,
        permissions=[SELL], grantable=grantable, created_by_user_id=created_by_user_id,
        clock=clock,
    )  # fmt: skip
    device = OutletDevice(
        outlet_id=outlet.id, api_key_id=key.id, name=name.strip()[:100], created_at=clock.now()
    )
    session.add(device)
    await session.flush()
    return device, secret


async def outlet_for_caller(
    session: AsyncSession, code: str, api_key_id: int | None, field: list[str]
) -> Outlet:
    """The outlet a sale names. A device may sell for its own outlet only; a person
    holding ``pos:sell`` (a cashier signed in at a till) for any of the property's."""
    outlet = await outlet_by_code(session, code, field)
    if api_key_id is None:
        return outlet
    device = await session.scalar(select(OutletDevice).where(OutletDevice.api_key_id == api_key_id))
    if device is None or device.outlet_id != outlet.id:
        raise DomainError(
            PosErrorCode.PERMISSION_DENIED,
            f"this key does not sell for outlet {outlet.code}", field=field,
        )  # fmt: skip
    return outlet


async def devices_of(session: AsyncSession, outlet_id: int) -> list[tuple[OutletDevice, ApiKey]]:
    rows = await session.execute(
        select(OutletDevice, ApiKey)
        .join(ApiKey, ApiKey.id == OutletDevice.api_key_id)
        .where(OutletDevice.outlet_id == outlet_id)
        .order_by(OutletDevice.id)
    )
    return [(device, key) for device, key in rows]
