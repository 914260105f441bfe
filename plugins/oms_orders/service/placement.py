"""Placing an order: validated input, server-side totals, stock allocated, all or nothing.

The idempotency key is checked first, under an advisory lock on the key: the
same request sent twice (even at once) makes one order and returns it both
times; the same key with another payload is refused. Everything else runs in
the caller's transaction, so an order is written whole or not at all.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from core.db import advisory_xact_lock, session_scope
from core.errors import DomainError
from core.events import record_event
from core.idempotency import request_hash
from core.money import MAX_MINOR_UNITS
from core.plugins import call_first_optional
from plugins.oms_orders.channels import Channel
from plugins.oms_orders.models import Order, OrderLine
from plugins.oms_orders.service.common import (
    OrderContext,
    add_timeline,
    change_status,
    settings_for,
    stock_reference,
)
from plugins.oms_orders.service.customers import AddressSpec, customer_for_order, normalized_email
from plugins.oms_orders.service.errors import OrderErrorCode, invalid, positive_quantity
from plugins.oms_orders.service.snapshots import OrderSnapshot
from plugins.oms_orders.transitions import OrderStatus, PaymentStatus, payment_status_for

MAX_LINES = 250
MAX_KEY_LENGTH = 120


@dataclass(frozen=True)
class LineSpec:
    sku: str
    quantity: int
    # Required without a catalog; with one, a check that the price did not change.
    unit_price_minor: int | None = None
    name: str | None = None


@dataclass(frozen=True)
class OrderSpec:
    idempotency_key: str
    email: str
    lines: list[LineSpec]
    channel: Channel = Channel.WEB
    channel_reference: str | None = None
    customer_name: str = ""
    phone: str = ""
    discount_minor: int = 0
    shipping_minor: int = 0
    shipping_address: AddressSpec | None = None
    note: str = ""
    confirm: bool = False
    hold_key: str | None = field(default=None)

    def request_hash(self) -> str:
        """A digest of everything but the key: a retry must send the same request."""
        return request_hash(self)


@dataclass(frozen=True)
class Totals:
    subtotal: int
    discount: int
    shipping: int
    tax: int
    total: int


def compute_totals(
    line_totals: list[int], *, discount: int, shipping: int, rate_bp: int, included: bool
) -> Totals:
    """Order totals in minor units. Tax applies to (subtotal - discount + shipping) at
    ``rate_bp`` basis points, rounded half up; ``included``: prices already contain it."""
    subtotal = sum(line_totals)
    taxable = subtotal - discount + shipping
    if included:
        denominator = 10_000 + rate_bp
        net = (2 * taxable * 10_000 + denominator) // (2 * denominator)
        tax = taxable - net
        total = taxable
    else:
        tax = (taxable * rate_bp + 5_000) // 10_000
        total = taxable + tax
    return Totals(subtotal, discount, shipping, tax, total)


def _check_amount(amount: int, field: list[str]) -> int:
    if amount < 0:
        raise invalid("the amount must not be negative", field)
    if amount > MAX_MINOR_UNITS:
        raise invalid("the amount is too large", field)
    return amount


def _validate_lines(spec: OrderSpec) -> list[LineSpec]:
    if not spec.lines:
        raise DomainError(
            OrderErrorCode.EMPTY_ORDER, "an order needs at least one line", field=["lines"]
        )
    if len(spec.lines) > MAX_LINES:
        raise invalid(f"an order has at most {MAX_LINES} lines", ["lines"])
    seen: set[str] = set()
    lines = []
    for index, line in enumerate(spec.lines):
        path = ["lines", str(index)]
        sku = line.sku.strip()
        if not sku or len(sku) > 64:
            raise invalid("a SKU has 1 to 64 characters", [*path, "sku"])
        if sku in seen:
            raise DomainError(
                OrderErrorCode.DUPLICATE_SKU, f"{sku} is on two lines: give it once with the "
                "whole quantity", field=[*path, "sku"], sku=sku,
            )  # fmt: skip
        seen.add(sku)
        positive_quantity(line.quantity, [*path, "quantity"])
        if line.quantity > 1_000_000:
            raise invalid("at most 1,000,000 units per line", [*path, "quantity"])
        if line.unit_price_minor is not None:
            _check_amount(line.unit_price_minor, [*path, "unitPrice"])
        if line.name is not None and len(line.name) > 200:
            raise invalid("a line's name has at most 200 characters", [*path, "name"])
        lines.append(LineSpec(sku, line.quantity, line.unit_price_minor, line.name))
    return lines


async def _priced_lines(
    ctx: OrderContext, lines: list[LineSpec], currency: str
) -> list[tuple[LineSpec, str, int]]:
    """(line, name, unit price) for each line: from the catalog when oms_inventory is
    enabled here, from the request otherwise."""
    catalog: Any = await call_prices(ctx, [line.sku for line in lines])
    priced = []
    for index, line in enumerate(lines):
        path = ["lines", str(index)]
        if catalog is None:
            if line.unit_price_minor is None:
                raise invalid(
                    "this property has no catalog (oms_inventory): give each line its unitPrice",
                    [*path, "unitPrice"],
                )
            priced.append(
                (line, (line.name or line.sku).strip() or line.sku, line.unit_price_minor)
            )
            continue
        item = catalog.get(line.sku)
        if item is None or not item["active"]:
            raise DomainError(
                OrderErrorCode.UNKNOWN_SKU,
                f"{line.sku} is not in the catalog" if item is None else f"{line.sku} is no "
                "longer sold", field=[*path, "sku"], sku=line.sku,
            )  # fmt: skip
        if item["currency"] != currency:
            raise DomainError(
                OrderErrorCode.CURRENCY_MISMATCH,
                f"{line.sku} is priced in {item['currency']}, this shop sells in {currency}",
                field=[*path, "sku"], sku=line.sku,
            )  # fmt: skip
        if line.unit_price_minor is not None and line.unit_price_minor != item["price_minor"]:
            raise DomainError(
                OrderErrorCode.PRICE_CHANGED,
                f"{line.sku} now costs {item['price_minor']} (minor units), not "
                f"{line.unit_price_minor}", field=[*path, "unitPrice"], sku=line.sku,
            )  # fmt: skip
        priced.append((line, item["name"], item["price_minor"]))
    return priced


async def call_prices(ctx: OrderContext, skus: list[str]) -> dict[str, dict[str, Any]] | None:
    """The catalog's data for ``skus``; None on a property without oms_inventory."""
    return await call_first_optional(
        ctx.hooks, "oms_inventory_prices", session=ctx.session, skus=skus
    )


async def existing_order(ctx: OrderContext, key: str) -> Order | None:
    return await ctx.session.scalar(select(Order).where(Order.idempotency_key == key))


async def place_order(ctx: OrderContext, spec: OrderSpec, *, currency: str) -> tuple[Order, bool]:
    """Place the order ``spec`` describes; returns (order, created).

    A retry with the same key and request returns the first order (created
    False) and changes nothing.
    """
    key = spec.idempotency_key.strip()
    if not key or len(key) > MAX_KEY_LENGTH:
        raise invalid(
            f"the idempotency key has 1 to {MAX_KEY_LENGTH} characters", ["idempotencyKey"]
        )
    scope = session_scope(ctx.session)
    await advisory_xact_lock(ctx.session, f"oms_orders.place:{scope.property_id}:{key}")
    request_hash = spec.request_hash()
    previous = await existing_order(ctx, key)
    if previous is not None:
        if previous.request_hash != request_hash:
            raise DomainError(
                OrderErrorCode.IDEMPOTENCY_KEY_REUSED,
                f"idempotency key {key!r} was used for order {previous.number} with another "
                "request", field=["idempotencyKey"],
            )  # fmt: skip
        return previous, False

    email = normalized_email(spec.email, ["email"])
    lines = _validate_lines(spec)
    discount = _check_amount(spec.discount_minor, ["discount"])
    shipping = _check_amount(spec.shipping_minor, ["shipping"])
    if spec.channel_reference is not None and len(spec.channel_reference) > 120:
        raise invalid("a channel reference has at most 120 characters", ["channelReference"])
    if len(spec.note) > 2000 or len(spec.customer_name) > 200 or len(spec.phone) > 40:
        raise invalid("note, name or phone too long (2000, 200, 40 characters)", ["note"])
    address = (
        spec.shipping_address.validated(["shippingAddress"]) if spec.shipping_address else None
    )
    priced = await _priced_lines(ctx, lines, currency)
    line_totals = [line.quantity * price for line, _, price in priced]
    settings = await settings_for(ctx.session, for_update=True)
    if discount > sum(line_totals):
        raise invalid("the discount is larger than the lines' subtotal", ["discount"])
    totals = compute_totals(
        line_totals, discount=discount, shipping=shipping,
        rate_bp=settings.tax_rate_basis_points, included=settings.prices_include_tax,
    )  # fmt: skip
    if totals.total > MAX_MINOR_UNITS:
        raise invalid("the order total is too large", ["lines"])

    # The counter row stays locked until commit: numbers are sequential with no gaps.
    number = f"{settings.number_prefix}{settings.next_number}"
    settings.next_number += 1
    now = ctx.clock.now()
    customer = await customer_for_order(
        ctx.session, email=email, name=spec.customer_name.strip(), phone=spec.phone.strip(),
        clock=ctx.clock,
    )  # fmt: skip
    payment_status = payment_status_for(totals.total, 0, 0)
    expires_at = None
    if (
        not spec.confirm
        and payment_status is PaymentStatus.NOT_PAID
        and settings.unpaid_expiry_minutes > 0
    ):
        expires_at = now + dt.timedelta(minutes=settings.unpaid_expiry_minutes)
    order = Order(
        number=number, idempotency_key=key, request_hash=request_hash,
        channel=spec.channel.value, channel_reference=spec.channel_reference,
        status=OrderStatus.UNCONFIRMED.value, payment_status=payment_status.value,
        customer_id=customer.id, email=email, currency=currency,
        subtotal_minor=totals.subtotal, discount_minor=totals.discount,
        shipping_minor=totals.shipping, tax_minor=totals.tax, total_minor=totals.total,
        paid_minor=0, refunded_minor=0, prices_include_tax=settings.prices_include_tax,
        tax_rate_basis_points=settings.tax_rate_basis_points, stock_allocated=False,
        shipping_address=address, note=spec.note.strip(),
        search_text=" ".join(
            filter(None, [number, email, customer.name, (address or {}).get("name")])
        ).lower(),
        placed_by=ctx.actor[:80], placed_at=now, expires_at=expires_at, closed_at=None,
    )  # fmt: skip
    ctx.session.add(order)
    await ctx.session.flush()
    for position, ((line, name, price), line_total) in enumerate(
        zip(priced, line_totals, strict=True)
    ):
        ctx.session.add(
            OrderLine(
                order_id=order.id, position=position, sku=line.sku, name=name[:200],
                quantity=line.quantity, unit_price_minor=price, line_total_minor=line_total,
                fulfilled_quantity=0, returned_quantity=0,
            )
        )  # fmt: skip
    allocated = await ctx.inventory(
        "oms_inventory_allocate", reference=stock_reference(order),
        lines=[(line.sku, line.quantity) for line in lines], hold_key=spec.hold_key,
        actor=ctx.actor,
    )  # fmt: skip
    order.stock_allocated = allocated is not None
    channel = spec.channel.value.replace("_", " ")
    add_timeline(ctx, order, "placed", f"placed on the {channel} channel", to_status=order.status)
    await ctx.session.flush()
    snapshot = OrderSnapshot.of(order)
    record_event(ctx.session, "oms_orders.order_placed", snapshot.payload(), clock=ctx.clock)
    await ctx.announce("oms_orders_order_placed", order=snapshot)
    if spec.confirm:
        await change_status(ctx, order, OrderStatus.CONFIRMED, "confirmed when placed")
    elif payment_status is PaymentStatus.PAID:
        await change_status(ctx, order, OrderStatus.CONFIRMED, "nothing to pay")
    await ctx.session.flush()
    return order, True
