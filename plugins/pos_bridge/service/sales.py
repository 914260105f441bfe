"""Sales and voids at an outlet.

A sale is settled at the outlet (cash, card) or charged to a guest's room. Its
lines with SKUs are retail: they become an order on the POS channel (stock
taken through oms_inventory) in the sale's own transaction, so an outlet
never sells what the shop does not have. A void is a negative sale that names
the one it takes back (all of it, or some lines): the folio gets a correction,
the goods go back on hand, the order refunds them.

Every sale is idempotent by the vendor's sale id (per outlet): sent again, the
first result comes back and nothing is posted twice; the same id with other
content is SALE_ID_REUSED. Whatever fails, nothing is written: the folio
charge, the order and the sale commit together or not at all.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from sqlalchemy import func, select

from core.db import advisory_xact_lock
from core.errors import DomainError
from core.events import record_event
from core.idempotency import request_hash
from plugins.pos_bridge.models import Outlet, PosSale, PosSaleLine
from plugins.pos_bridge.service.common import PosContext
from plugins.pos_bridge.service.errors import PosErrorCode, invalid, not_found

MAX_LINES = 100
MAX_QUANTITY = 10_000
MAX_AMOUNT = 10**12  # minor units, per line and per sale


class Settlement(Enum):
    PAID_AT_OUTLET = "paid_at_outlet"
    ROOM_CHARGE = "room_charge"


class PaymentMethod(Enum):
    CASH = "cash"
    CARD = "card"
    OTHER = "other"


@dataclass(frozen=True)
class SaleLineSpec:
    description: str
    quantity: int
    unit_price_minor: int
    sku: str | None = None


@dataclass(frozen=True)
class RoomChargeSpec:
    room_number: str
    last_name: str


@dataclass(frozen=True)
class SaleSpec:
    sale_id: str
    lines: list[SaleLineSpec]
    payment_method: PaymentMethod | None = None
    room_charge: RoomChargeSpec | None = None


@dataclass(frozen=True)
class VoidLineSpec:
    line: int  # the position of the line on the sale voided, from 0
    quantity: int


@dataclass(frozen=True)
class VoidSpec:
    sale_id: str
    voids: str
    lines: list[VoidLineSpec] | None = None  # None: everything not voided yet
    reason: str = ""


@dataclass
class Posted:
    sale: PosSale
    lines: list[PosSaleLine] = field(default_factory=list)
    created: bool = True


def reference(outlet: Outlet, sale_id: str) -> str:
    """The sale's reference on the folio and as the order's idempotency key."""
    return f"pos:{outlet.code}:{sale_id}"


def _sale_id(value: str, path: str) -> str:
    value = value.strip()
    if not value or len(value) > 80:
        raise invalid("a sale id has 1 to 80 characters", [path])
    return value


async def _previous(ctx: PosContext, outlet: Outlet, sale_id: str, digest: str) -> Posted | None:
    """The sale already posted under this id, if the same request; SALE_ID_REUSED if not."""
    await advisory_xact_lock(ctx.session, f"pos_bridge.sale:{outlet.id}:{sale_id}")
    sale = await ctx.session.scalar(
        select(PosSale).where(PosSale.outlet_id == outlet.id, PosSale.external_id == sale_id)
    )
    if sale is None:
        return None
    if sale.request_hash != digest:
        raise DomainError(
            PosErrorCode.SALE_ID_REUSED,
            f"sale {sale_id} of outlet {outlet.code} was posted with other content",
            field=["saleId"],
        )  # fmt: skip
    return Posted(sale, await lines_of(ctx, sale.id), created=False)


async def lines_of(ctx: PosContext, sale_id: int) -> list[PosSaleLine]:
    return list(
        await ctx.session.scalars(
            select(PosSaleLine).where(PosSaleLine.sale_id == sale_id).order_by(PosSaleLine.position)
        )
    )


def _checked_lines(ctx: PosContext, spec: SaleSpec) -> list[SaleLineSpec]:
    if not spec.lines:
        raise invalid("a sale has at least one line", ["lines"])
    if len(spec.lines) > MAX_LINES:
        raise invalid(f"a sale has at most {MAX_LINES} lines", ["lines"])
    checked = []
    for index, line in enumerate(spec.lines):
        path = ["lines", str(index)]
        description = line.description.strip()
        if not description or len(description) > 200:
            raise invalid("a line's description has 1 to 200 characters", [*path, "description"])
        if not 1 <= line.quantity <= MAX_QUANTITY:
            raise invalid(f"a quantity is 1 to {MAX_QUANTITY}", [*path, "quantity"])
        if not 0 <= line.unit_price_minor <= MAX_AMOUNT:
            raise invalid("a unit price is not negative", [*path, "unitPrice"])
        sku = (line.sku or "").strip() or None
        if sku is not None and not ctx.sells_retail:
            raise DomainError(
                PosErrorCode.PLUGIN_REQUIRED,
                "this property keeps no retail stock (oms_orders is not enabled): sell it "
                "without a SKU", field=[*path, "sku"],
            )  # fmt: skip
        checked.append(SaleLineSpec(description, line.quantity, line.unit_price_minor, sku))
    skus = [line.sku for line in checked if line.sku]
    if len(skus) != len(set(skus)):
        raise invalid("each SKU once per sale: add up the quantities", ["lines"])
    return checked


async def post_sale(ctx: PosContext, outlet: Outlet, spec: SaleSpec, *, source: str) -> Posted:
    sale_id = _sale_id(spec.sale_id, "saleId")
    digest = request_hash(spec, key_field="sale_id")
    previous = await _previous(ctx, outlet, sale_id, digest)
    if previous is not None:
        return previous
    lines = _checked_lines(ctx, spec)
    total = sum(line.quantity * line.unit_price_minor for line in lines)
    if total > MAX_AMOUNT:
        raise invalid("the sale's total is too large", ["lines"])
    if (spec.payment_method is None) == (spec.room_charge is None):
        raise invalid("settle a sale one way: a payment method, or a charge to a room", ["payment"])
    if spec.room_charge is not None and not ctx.charges_rooms:
        raise DomainError(
            PosErrorCode.PLUGIN_REQUIRED,
            "this property has no hotel (pms_rooms is not enabled): nothing to charge to",
            field=["roomCharge"],
        )  # fmt: skip
    if spec.room_charge is not None and total == 0:
        raise invalid("a charge to a room is more than 0", ["lines"])
    ref = reference(outlet, sale_id)
    sale = PosSale(
        outlet_id=outlet.id, external_id=sale_id, request_hash=digest, kind="sale",
        settlement=(
            Settlement.ROOM_CHARGE if spec.room_charge else Settlement.PAID_AT_OUTLET
        ).value,
        payment_method=spec.payment_method.value if spec.payment_method else None,
        total_minor=total,
        retail_minor=sum(ln.quantity * ln.unit_price_minor for ln in lines if ln.sku),
        business_date=ctx.local_today(), source=source, actor=ctx.actor[:80],
        created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(sale)
    await ctx.session.flush()
    rows = [
        PosSaleLine(
            sale_id=sale.id,
            position=i,
            description=ln.description,
            sku=ln.sku,
            quantity=ln.quantity,
            unit_price_minor=ln.unit_price_minor,
            total_minor=ln.quantity * ln.unit_price_minor,
        )
        for i, ln in enumerate(lines)
    ]
    ctx.session.add_all(rows)
    if spec.room_charge is not None:
        await _charge_room(ctx, outlet, sale, spec.room_charge, ref)
    retail = [(ln.sku, ln.quantity, ln.unit_price_minor) for ln in lines if ln.sku]
    if retail:
        order: Any = await ctx.call(
            "oms_orders_place_pos_order", reference=ref, outlet=outlet.name, lines=retail,
            payment_method=sale.payment_method or "room_charge",
            location=outlet.stock_location, currency=ctx.currency, actor=ctx.actor,
            clock=ctx.clock, hooks=ctx.hooks,
        )  # fmt: skip
        sale.order_number = order["order_number"]
    await ctx.session.flush()
    record_event(ctx.session, "pos_bridge.sale_posted", _payload(outlet, sale), clock=ctx.clock)
    return Posted(sale, rows)


async def _charge_room(
    ctx: PosContext, outlet: Outlet, sale: PosSale, charge: RoomChargeSpec, ref: str
) -> None:
    room, name = charge.room_number.strip(), charge.last_name.strip()
    if not room or not name:
        raise invalid("a charge to a room names the room and the guest's last name",
                      ["roomCharge"])  # fmt: skip
    guest: Any = await ctx.call("pms_rooms_find_in_house_guest", room_number=room, last_name=name)
    if guest is None:
        # One answer for an unknown room, another name and a guest gone: the till learns
        # nothing about who stays where.
        raise DomainError(
            PosErrorCode.GUEST_NOT_FOUND,
            f"no guest named {name!r} is in house in room {room}", field=["roomCharge"],
        )  # fmt: skip
    posted: Any = await ctx.call(
        "pms_rooms_post_charge", reservation_id=guest["reservation_id"],
        amount_minor=sale.total_minor, description=f"{outlet.name}, bill {sale.external_id}"[:200],
        reference=ref, source=f"pos:{outlet.code}"[:40], actor=ctx.actor, clock=ctx.clock,
        hooks=ctx.hooks,
    )  # fmt: skip
    sale.room_number, sale.guest_name = room, guest["guest_name"]
    sale.reservation_id = guest["reservation_id"]
    sale.reservation_number = guest["reservation_number"]
    sale.folio_line_id = posted["line_id"]


async def void_sale(ctx: PosContext, outlet: Outlet, spec: VoidSpec, *, source: str) -> Posted:
    """Take back a sale, or some of its lines: a negative sale that names it."""
    sale_id = _sale_id(spec.sale_id, "saleId")
    digest = request_hash(spec, key_field="sale_id")
    previous = await _previous(ctx, outlet, sale_id, digest)
    if previous is not None:
        return previous
    if len(spec.reason) > 200:
        raise invalid("a reason has at most 200 characters", ["reason"])
    original = await ctx.session.scalar(
        select(PosSale)
        .where(
            PosSale.outlet_id == outlet.id,
            PosSale.external_id == spec.voids.strip(),
            PosSale.kind == "sale",
        )
        .with_for_update()
    )
    if original is None:
        raise not_found(f"sale {spec.voids.strip()} of outlet {outlet.code}", ["voids"])
    lines = await lines_of(ctx, original.id)
    left = await _left_to_void(ctx, lines)
    wanted = _chosen(spec, lines, left)
    if not wanted:
        raise DomainError(
            PosErrorCode.INVALID_TRANSITION, f"sale {original.external_id} is voided already",
            field=["voids"],
        )  # fmt: skip
    total = -sum(line.unit_price_minor * qty for line, qty in wanted)
    void = PosSale(
        outlet_id=outlet.id, external_id=sale_id, request_hash=digest, kind="void",
        voids_sale_id=original.id, settlement=original.settlement,
        payment_method=original.payment_method, total_minor=total,
        retail_minor=-sum(line.unit_price_minor * qty for line, qty in wanted if line.sku),
        room_number=original.room_number, guest_name=original.guest_name,
        reservation_id=original.reservation_id,
        reservation_number=original.reservation_number, order_number=original.order_number,
        business_date=ctx.local_today(), source=source, actor=ctx.actor[:80],
        created_at=ctx.clock.now(),
    )  # fmt: skip
    ctx.session.add(void)
    await ctx.session.flush()
    rows = [
        PosSaleLine(
            sale_id=void.id,
            position=i,
            description=line.description[:200],
            sku=line.sku,
            quantity=-qty,
            unit_price_minor=line.unit_price_minor,
            total_minor=-qty * line.unit_price_minor,
            voids_line_id=line.id,
        )
        for i, (line, qty) in enumerate(wanted)
    ]
    ctx.session.add_all(rows)
    ref, voided = reference(outlet, sale_id), reference(outlet, original.external_id)
    if original.settlement == Settlement.ROOM_CHARGE.value and total < 0:
        if not ctx.charges_rooms:
            raise DomainError(
                PosErrorCode.PLUGIN_REQUIRED, "pms_rooms is no longer enabled here: refund "
                "the guest at the outlet", field=["voids"],
            )  # fmt: skip
        posted: Any = await ctx.call(
            "pms_rooms_void_charge", reservation_id=original.reservation_id,
            amount_minor=-total, description=f"{outlet.name}, void of bill "
            f"{original.external_id}"[:200], reference=ref, voids_reference=voided,
            source=f"pos:{outlet.code}"[:40], actor=ctx.actor, clock=ctx.clock, hooks=ctx.hooks,
        )  # fmt: skip
        void.folio_line_id = posted["line_id"]
    retail = [(line.sku, qty) for line, qty in wanted if line.sku]
    if retail and original.order_number is not None:
        await ctx.call(
            "oms_orders_return_pos_order", reference=ref, voids_reference=voided,
            lines=retail, refund_minor=-void.retail_minor, location=outlet.stock_location,
            actor=ctx.actor, clock=ctx.clock, hooks=ctx.hooks,
        )  # fmt: skip
    await ctx.session.flush()
    payload = {**_payload(outlet, void), "voids_sale_id": original.external_id}
    record_event(ctx.session, "pos_bridge.sale_voided", payload, clock=ctx.clock)
    return Posted(void, rows)


async def _left_to_void(ctx: PosContext, lines: list[PosSaleLine]) -> dict[int, int]:
    """Per line of a sale: the quantity not voided yet."""
    voided: dict[int, int] = defaultdict(int)
    rows = await ctx.session.execute(
        select(PosSaleLine.voids_line_id, func.sum(PosSaleLine.quantity))
        .where(PosSaleLine.voids_line_id.in_([line.id for line in lines]))
        .group_by(PosSaleLine.voids_line_id)
    )
    for line_id, quantity in rows:
        voided[line_id] = -int(quantity)
    return {line.id: line.quantity - voided[line.id] for line in lines}


def _chosen(
    spec: VoidSpec, lines: list[PosSaleLine], left: dict[int, int]
) -> list[tuple[PosSaleLine, int]]:
    if spec.lines is None:
        return [(line, left[line.id]) for line in lines if left[line.id] > 0]
    if not spec.lines:
        raise invalid("name the lines to void, or leave them out to void everything", ["lines"])
    chosen: dict[int, int] = {}
    for index, item in enumerate(spec.lines):
        path = ["lines", str(index)]
        if not 0 <= item.line < len(lines):
            raise invalid(f"the sale has lines 0 to {len(lines) - 1}", [*path, "line"])
        if item.quantity < 1:
            raise invalid("a quantity to void is at least 1", [*path, "quantity"])
        chosen[item.line] = chosen.get(item.line, 0) + item.quantity
    wanted = []
    for position, quantity in sorted(chosen.items()):
        line = lines[position]
        if quantity > left[line.id]:
            raise DomainError(
                PosErrorCode.OVER_VOID,
                f"line {position} ({line.description}) has {left[line.id]} left to void, "
                f"{quantity} asked", field=["lines"],
            )  # fmt: skip
        wanted.append((line, quantity))
    return wanted


def _payload(outlet: Outlet, sale: PosSale) -> dict[str, object]:
    return {
        "sale_id": sale.external_id, "pos_sale_id": sale.id, "outlet": outlet.code,
        "kind": sale.kind, "settlement": sale.settlement, "payment_method": sale.payment_method,
        "total_minor": sale.total_minor, "retail_minor": sale.retail_minor,
        "room_number": sale.room_number, "reservation_number": sale.reservation_number,
        "order_number": sale.order_number, "business_date": sale.business_date.isoformat(),
    }  # fmt: skip
