"""Products, variants (SKUs), locations and the property's inventory settings."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import contains_pattern
from core.errors import DomainError
from core.money import decimal_to_minor
from plugins.oms_inventory.models import InventorySettings, Location, Product, Variant
from plugins.oms_inventory.service.errors import InventoryErrorCode, invalid, not_found

SKU_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._/-]{0,63}\Z")
CODE_PATTERN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,31}\Z")
STRATEGIES = ("priority", "most_stock")


@dataclass(frozen=True)
class VariantSpec:
    sku: str
    price: str  # a decimal amount in the property's currency
    currency: str
    name: str | None = None
    barcode: str | None = None
    attributes: dict[str, Any] = field(default_factory=dict)


def _check_sku(sku: str, field: list[str]) -> str:
    sku = sku.strip()
    if not SKU_PATTERN.match(sku):
        raise invalid("a SKU is 1 to 64 letters, digits and . _ / -", field)
    return sku


async def _sku_taken(session: AsyncSession, sku: str) -> bool:
    return await session.scalar(select(Variant.id).where(Variant.sku == sku)) is not None


async def create_product(
    session: AsyncSession,
    *,
    name: str,
    description: str,
    variants: Sequence[VariantSpec],
    clock: Clock,
) -> Product:
    """A product with its variants; all or nothing (one bad or duplicate SKU refuses all)."""
    if not name.strip() or len(name.strip()) > 200:
        raise invalid("a product's name is 1 to 200 characters", ["name"])
    if not variants:
        raise invalid("a product needs at least one variant", ["variants"])
    seen: set[str] = set()
    for index, spec in enumerate(variants):
        sku = _check_sku(spec.sku, ["variants", str(index), "sku"])
        if sku in seen or await _sku_taken(session, sku):
            raise DomainError(
                InventoryErrorCode.DUPLICATE_SKU,
                f"SKU {sku} is already used",
                field=["variants", str(index), "sku"],
                sku=sku,
            )
        seen.add(sku)
    product = Product(
        name=name.strip(), description=description.strip(), active=True, created_at=clock.now()
    )
    session.add(product)
    await session.flush()
    for index, spec in enumerate(variants):
        await _add_variant(session, product, spec, clock, ["variants", str(index)])
    return product


async def add_variant(
    session: AsyncSession, product_id: int, spec: VariantSpec, clock: Clock
) -> Variant:
    product = await session.get(Product, product_id)
    if product is None:
        raise not_found("product", ["product"])
    sku = _check_sku(spec.sku, ["sku"])
    if await _sku_taken(session, sku):
        raise DomainError(
            InventoryErrorCode.DUPLICATE_SKU, f"SKU {sku} is already used", field=["sku"], sku=sku
        )
    return await _add_variant(session, product, spec, clock, [])


async def _add_variant(
    session: AsyncSession, product: Product, spec: VariantSpec, clock: Clock, path: list[str]
) -> Variant:
    if spec.name is not None and len(spec.name.strip()) > 200:
        raise invalid("a variant's name has at most 200 characters", [*path, "name"])
    if spec.barcode is not None and len(spec.barcode.strip()) > 64:
        raise invalid("a barcode has at most 64 characters", [*path, "barcode"])
    price_minor = decimal_to_minor(spec.price, spec.currency, field=[*path, "price"])
    if price_minor < 0:
        raise invalid("a price cannot be negative", [*path, "price"])
    variant = Variant(
        product_id=product.id,
        sku=spec.sku.strip(),
        name=(spec.name or product.name).strip(),
        price_minor=price_minor,
        currency=spec.currency,
        barcode=(spec.barcode or "").strip() or None,
        attributes=dict(spec.attributes),
        active=True,
        created_at=clock.now(),
    )
    try:
        async with session.begin_nested():
            session.add(variant)
            await session.flush()
    except IntegrityError as exc:
        if "sku" not in str(exc.orig).lower():
            raise
        # Another request took the SKU between the check above and this insert.
        raise DomainError(
            InventoryErrorCode.DUPLICATE_SKU, f"SKU {variant.sku} is already used",
            field=[*path, "sku"], sku=variant.sku,
        ) from None  # fmt: skip
    return variant


async def update_variant(
    session: AsyncSession,
    sku: str,
    *,
    name: str | None = None,
    price: str | None = None,
    barcode: str | None = None,
    active: bool | None = None,
    attributes: dict[str, Any] | None = None,
) -> Variant:
    variant = await variant_by_sku(session, sku, field=["sku"], active_only=False)
    if name is not None:
        if not name.strip() or len(name.strip()) > 200:
            raise invalid("a variant's name is 1 to 200 characters", ["name"])
        variant.name = name.strip()
    if price is not None:
        minor = decimal_to_minor(price, variant.currency, field=["price"])
        if minor < 0:
            raise invalid("a price cannot be negative", ["price"])
        variant.price_minor = minor
    if barcode is not None:
        variant.barcode = barcode.strip() or None
    if active is not None:
        variant.active = active
    if attributes is not None:
        variant.attributes = dict(attributes)
    await session.flush()
    return variant


async def variant_by_sku(
    session: AsyncSession, sku: str, *, field: list[str], active_only: bool = True
) -> Variant:
    variant = await session.scalar(select(Variant).where(Variant.sku == sku.strip()))
    if variant is None or (active_only and not variant.active):
        raise DomainError(
            InventoryErrorCode.NOT_FOUND, f"no SKU {sku.strip()!r}", field=field, sku=sku
        )
    return variant


def search_condition(text: str) -> Any:
    """Variants whose SKU, name or barcode contains ``text`` (case-insensitive)."""
    pattern = contains_pattern(text)
    return or_(
        Variant.sku.ilike(pattern, escape="\\"),
        Variant.name.ilike(pattern, escape="\\"),
        Variant.barcode.ilike(pattern, escape="\\"),
    )


async def create_location(
    session: AsyncSession, *, code: str, name: str, priority: int, clock: Clock
) -> Location:
    code = code.strip()
    if not CODE_PATTERN.match(code):
        raise invalid("a location code is 1 to 32 letters, digits and . _ -", ["code"])
    if not name.strip() or len(name.strip()) > 120:
        raise invalid("a location's name is 1 to 120 characters", ["name"])
    if await session.scalar(select(Location.id).where(Location.code == code)) is not None:
        raise DomainError(InventoryErrorCode.CONFLICT, f"location {code} exists", field=["code"])
    location = Location(
        code=code, name=name.strip(), priority=priority, active=True, created_at=clock.now()
    )
    session.add(location)
    await session.flush()
    return location


async def location_by_code(session: AsyncSession, code: str, *, field: list[str]) -> Location:
    location = await session.scalar(select(Location).where(Location.code == code.strip()))
    if location is None or not location.active:
        raise not_found(f"location {code.strip()!r}", field)
    return location


async def settings_for(session: AsyncSession) -> InventorySettings:
    """The property's settings, created with defaults on first use."""
    settings = await session.scalar(select(InventorySettings))
    if settings is None:
        settings = InventorySettings(strategy="priority", allow_split=True, hold_minutes=15)
        session.add(settings)
        await session.flush()
    return settings


async def update_settings(
    session: AsyncSession,
    *,
    strategy: str | None,
    allow_split: bool | None,
    hold_minutes: int | None,
) -> InventorySettings:
    settings = await settings_for(session)
    if strategy is not None:
        if strategy not in STRATEGIES:
            raise invalid(f"strategy is one of {', '.join(STRATEGIES)}", ["strategy"])
        settings.strategy = strategy
    if allow_split is not None:
        settings.allow_split = allow_split
    if hold_minutes is not None:
        if not 1 <= hold_minutes <= 7 * 24 * 60:
            raise invalid("a hold lasts 1 minute to 7 days", ["holdMinutes"])
        settings.hold_minutes = hold_minutes
    await session.flush()
    return settings
