"""The POS schema, built for what the property runs: charging rooms appears only where
pms_rooms is enabled, SKUs and orders only where oms_orders is. ``build`` makes each
variant once (its classes are that variant's); the full one, everything included,
is what the core checks and what schema.graphql shows.

No ``from __future__ import annotations`` here: the types are made inside ``build``
and strawberry must see the classes themselves, not names it cannot look up.
"""

import datetime as dt
import functools
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable, Iterable
from contextlib import asynccontextmanager
from decimal import Decimal
from typing import Any, ClassVar, TypeVar

import strawberry
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.dataloader import DataLoader
from strawberry.types import Info

from core.errors import DomainError
from core.graphql import Connection, Error, GraphQLContribution, Money, load_nodes, paginate
from core.graphql.loaders import grouped_by, one_by, request_loader
from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires
from core.graphql.subscriptions import changed_rows
from core.money import decimal_to_minor
from plugins.pos_bridge import models
from plugins.pos_bridge.service import outlets as outlet_service
from plugins.pos_bridge.service import sales as sale_service
from plugins.pos_bridge.service.common import PosContext
from plugins.pos_bridge.service.errors import PosErrorCode
from plugins.pos_bridge.service.outlets import OutletKind
from plugins.pos_bridge.service.sales import PaymentMethod, Settlement
from plugins.pos_bridge.service.summary import daily_summary

PosErrorCodeEnum = strawberry.enum(PosErrorCode, name="PosErrorCode")
OutletKindEnum = strawberry.enum(OutletKind, name="OutletKind")
PaymentMethodEnum = strawberry.enum(PaymentMethod, name="PosPaymentMethod")
SettlementEnum = strawberry.enum(Settlement, name="PosSettlement")
P = TypeVar("P")


@strawberry.type(description="A failure of a POS operation.")
class PosError(Error):
    code: PosErrorCodeEnum  # type: ignore[valid-type]


def _errors() -> Any:
    return strawberry.field(default_factory=list)


def _currency(info: Info) -> str:
    return info.context.property.currency


def context_of(info: Info, session: AsyncSession) -> PosContext:
    principal = info.context.principal
    prop = info.context.property
    return PosContext(
        session=session, hooks=info.context.hooks, clock=info.context.clock,
        actor=principal.subject if principal else "anonymous", plugins=prop.plugins,
        currency=prop.currency, time_zone=prop.time_zone,
        api_key_id=principal.api_key_id if principal else None,
    )  # fmt: skip


async def run(info: Info, work: Callable[[PosContext], Awaitable[P]], payload: type[P]) -> P:
    """One transaction; a DomainError rolls it back and becomes typed payload errors."""

    async def in_session(session: AsyncSession) -> P:
        return await work(context_of(info, session))

    return await in_transaction(info, in_session, payload, PosError, PosErrorCode)


@asynccontextmanager
async def reading(info: Info) -> AsyncIterator[PosContext]:
    async with info.context.db() as session:
        yield context_of(info, session)


def _minor(info: Info, amount: Decimal, field: list[str]) -> int:
    return decimal_to_minor(amount, _currency(info), field=field)


def _outlets(info: Info) -> DataLoader[int, Any]:
    return request_loader(info, "pos_bridge.outlet", one_by(models.Outlet))


def _sales(info: Info) -> DataLoader[int, Any]:
    return request_loader(info, "pos_bridge.sale", one_by(models.PosSale))


def _lines(info: Info) -> DataLoader[int, list[Any]]:
    return request_loader(
        info,
        "pos_bridge.lines_of_sale",
        grouped_by(models.PosSaleLine, "sale_id", models.PosSaleLine.position),
    )


@strawberry.type(description="A till allowed to post sales for an outlet.")
class OutletDevice:
    name: str
    key_name: str
    revoked: bool
    last_used_at: dt.datetime | None


@strawberry.type(description="How much was settled one way.")
class PosMethodTotal:
    method: PaymentMethodEnum  # type: ignore[valid-type]
    amount: Money


@functools.cache
def build(rooms: bool, retail: bool) -> GraphQLContribution:
    """The contribution for a property that charges rooms (pms_rooms) and/or sells from
    stock (oms_orders)."""

    @strawberry.type(description="A place that sells: restaurant, bar, spa, gift shop.")
    class Outlet(relay.Node):
        read_permission: ClassVar[str | None] = "pos:read"

        id: relay.NodeID[int]
        code: str
        name: str
        kind: OutletKindEnum  # type: ignore[valid-type]
        active: bool
        created_at: dt.datetime
        if retail:
            stock_location: str | None = strawberry.field(
                description="The stock location its goods leave from (null: wherever "
                "they are allocated)."
            )

        @classmethod
        def from_row(cls, row: models.Outlet) -> "Outlet":
            extra = {"stock_location": row.stock_location} if retail else {}
            return cls(
                id=row.id, code=row.code, name=row.name, kind=OutletKind(row.kind),
                active=row.active, created_at=row.created_at, **extra,
            )  # fmt: skip

        @strawberry.field(permission_classes=requires("pos:manage"))
        async def devices(self, info: Info) -> list[OutletDevice]:
            async with info.context.db() as session:
                rows = await outlet_service.devices_of(session, self.id)
            return [
                OutletDevice(name=d.name, key_name=k.name, revoked=k.revoked_at is not None,
                             last_used_at=k.last_used_at)
                for d, k in rows
            ]  # fmt: skip

        @classmethod
        async def resolve_nodes(
            cls, *, info: Info, node_ids: Iterable[str], required: bool = False
        ) -> list[Any]:
            return await load_nodes(info, models.Outlet, node_ids, cls.from_row)

    @strawberry.type(description="A line of a sale (negative quantities on a void).")
    class PosSaleLine:
        position: int
        description: str
        quantity: int
        unit_price: Money
        total: Money
        if retail:
            sku: str | None = strawberry.field(description="Set on goods sold from stock.")

        @classmethod
        def from_row(cls, row: models.PosSaleLine, currency: str) -> "PosSaleLine":
            extra = {"sku": row.sku} if retail else {}
            return cls(
                position=row.position, description=row.description, quantity=row.quantity,
                unit_price=Money.from_minor(row.unit_price_minor, currency),
                total=Money.from_minor(row.total_minor, currency), **extra,
            )  # fmt: skip

    @strawberry.type(description="The guest a sale was charged to.")
    class PosRoomCharge:
        room_number: str
        guest_name: str
        reservation_number: str

    @strawberry.type(description="A bill settled at an outlet, or a void (negative) of one.")
    class PosSale(relay.Node):
        read_permission: ClassVar[str | None] = "pos:read"

        id: relay.NodeID[int]
        sale_id: str = strawberry.field(description="The POS vendor's id of the sale.")
        is_void: bool
        settlement: SettlementEnum  # type: ignore[valid-type]
        payment_method: PaymentMethodEnum | None  # type: ignore[valid-type]
        total: Money
        business_date: dt.date
        source: str = strawberry.field(description="graphql or webhook.")
        actor: str
        created_at: dt.datetime
        row: strawberry.Private[models.PosSale]
        currency: strawberry.Private[str]
        if rooms:
            room_charge: PosRoomCharge | None
        if retail:
            retail_total: Money = strawberry.field(description="The part sold from stock.")
            order_number: str | None = strawberry.field(
                description="The order on the POS channel that holds the goods."
            )

        @classmethod
        def from_row(cls, row: models.PosSale, currency: str) -> "PosSale":
            extra: dict[str, Any] = {}
            if rooms:
                extra["room_charge"] = (
                    PosRoomCharge(
                        room_number=row.room_number or "",
                        guest_name=row.guest_name or "",
                        reservation_number=row.reservation_number or "",
                    )
                    if row.settlement == Settlement.ROOM_CHARGE.value
                    else None
                )
            if retail:
                extra["retail_total"] = Money.from_minor(row.retail_minor, currency)
                extra["order_number"] = row.order_number
            return cls(
                id=row.id, sale_id=row.external_id, is_void=row.kind == "void",
                settlement=Settlement(row.settlement),
                payment_method=PaymentMethod(row.payment_method) if row.payment_method else None,
                total=Money.from_minor(row.total_minor, currency),
                business_date=row.business_date, source=row.source, actor=row.actor,
                created_at=row.created_at, row=row, currency=currency, **extra,
            )  # fmt: skip

        @strawberry.field
        async def outlet(self, info: Info) -> Outlet:
            return Outlet.from_row(await _outlets(info).load(self.row.outlet_id))

        @strawberry.field
        async def lines(self, info: Info) -> list[PosSaleLine]:
            rows = await _lines(info).load(self.id)
            return [PosSaleLine.from_row(r, self.currency) for r in rows]

        @strawberry.field(description="On a void: the sale id it takes back.")
        async def voids_sale_id(self, info: Info) -> str | None:
            if self.row.voids_sale_id is None:
                return None
            row = await _sales(info).load(self.row.voids_sale_id)
            return row.external_id if row else None

        @classmethod
        async def resolve_nodes(
            cls, *, info: Info, node_ids: Iterable[str], required: bool = False
        ) -> list[Any]:
            currency = _currency(info)
            return await load_nodes(
                info, models.PosSale, node_ids, lambda row: cls.from_row(row, currency)
            )

    @strawberry.type(description="An outlet's business day, and whether the other side agrees.")
    class PosOutletDay:
        outlet: Outlet
        business_date: dt.date
        sales: int
        voids: int
        gross: Money
        voided: Money = strawberry.field(description="The voids' total, negative.")
        net: Money
        paid_at_outlet: Money
        paid_by_method: list[PosMethodTotal]
        reconciled: bool = strawberry.field(
            description="The folios and the orders hold exactly what the outlet reports."
        )
        if rooms:
            charged_to_rooms: Money
            folio_posted: Money = strawberry.field(
                description="What the guests' folios hold for these sales (pms_rooms)."
            )
        if retail:
            retail_net: Money = strawberry.field(
                name="retail", description="Sold from stock, net of voids."
            )
            orders_total: Money = strawberry.field(
                description="What the POS orders hold for these sales: subtotals less refunds."
            )

        @classmethod
        def of(cls, day: Any, currency: str) -> "PosOutletDay":
            def money(minor: int | None) -> Money:
                return Money.from_minor(minor or 0, currency)

            extra: dict[str, Any] = {}
            if rooms:
                extra["charged_to_rooms"] = money(day.charged_to_rooms_minor)
                extra["folio_posted"] = money(day.folio_posted_minor)
            if retail:
                extra["retail_net"] = money(day.retail_minor)
                extra["orders_total"] = money(day.orders_minor)
            return cls(
                outlet=Outlet.from_row(day.outlet), business_date=day.business_date,
                sales=day.sales, voids=day.voids, gross=money(day.gross_minor),
                voided=money(day.voided_minor), net=money(day.net_minor),
                paid_at_outlet=money(day.paid_at_outlet_minor),
                paid_by_method=[
                    PosMethodTotal(method=PaymentMethod(m), amount=money(a))
                    for m, a in sorted(day.paid_by_method.items())
                ],
                reconciled=day.reconciled, **extra,
            )  # fmt: skip

    # -- inputs ---------------------------------------------------------------------------

    @strawberry.input
    class CreateOutletInput:
        code: str
        name: str
        kind: OutletKindEnum  # type: ignore[valid-type]
        if retail:
            stock_location: str | None = strawberry.field(
                default=None, description="A stock location's code."
            )

    @strawberry.input
    class OutletInput:
        outlet: str = strawberry.field(description="The outlet's code.")

    @strawberry.input
    class CreateOutletDeviceKeyInput:
        outlet: str = strawberry.field(description="The outlet's code.")
        name: str = strawberry.field(description="Which till, e.g. 'Bar till 1'.")

    @strawberry.input
    class PosSaleLineInput:
        description: str
        quantity: int
        unit_price: Decimal
        if retail:
            sku: str | None = strawberry.field(
                default=None, description="Goods sold from stock: taken through the orders."
            )

    @strawberry.input(description="The in-house guest to charge: room and last name.")
    class RoomChargeInput:
        room_number: str
        last_name: str

    @strawberry.input
    class PostPosSaleInput:
        outlet: str = strawberry.field(description="The outlet's code.")
        sale_id: str = strawberry.field(
            description="The POS vendor's id: sent again, the sale is not posted twice."
        )
        lines: list[PosSaleLineInput]
        payment: PaymentMethodEnum | None = strawberry.field(  # type: ignore[valid-type]
            default=None, description="Paid at the outlet" + (", or roomCharge." if rooms else ".")
        )
        if rooms:
            room_charge: RoomChargeInput | None = None

    @strawberry.input
    class PosVoidLineInput:
        line: int = strawberry.field(description="The line's position on the sale, from 0.")
        quantity: int

    @strawberry.input
    class VoidPosSaleInput:
        outlet: str
        sale_id: str = strawberry.field(description="The void's own id (idempotent).")
        voids: str = strawberry.field(description="The sale id to take back.")
        lines: list[PosVoidLineInput] | None = strawberry.field(
            default=None, description="Some lines only; left out: everything not voided yet."
        )
        reason: str = ""

    @strawberry.input(description="Every given condition must hold.")
    class PosSaleFilter:
        outlet: str | None = None
        business_date: dt.date | None = None

    # -- payloads -------------------------------------------------------------------------

    @strawberry.type
    class OutletPayload:
        outlet: Outlet | None = None
        webhook_secret: str | None = strawberry.field(
            default=None,
            description="The key the POS vendor signs webhooks with: shown once.",
        )
        errors: list[PosError] = _errors()

    @strawberry.type
    class OutletDeviceKeyPayload:
        secret: str | None = strawberry.field(
            default=None, description="The device's API key: shown once."
        )
        outlet: Outlet | None = None
        errors: list[PosError] = _errors()

    @strawberry.type
    class PosSalePayload:
        sale: PosSale | None = None
        created: bool = strawberry.field(
            default=False, description="False when this sale id was posted before."
        )
        errors: list[PosError] = _errors()

    def _sale_spec(info: Info, input: PostPosSaleInput) -> sale_service.SaleSpec:
        lines = [
            sale_service.SaleLineSpec(
                description=ln.description,
                quantity=ln.quantity,
                unit_price_minor=_minor(info, ln.unit_price, ["lines", str(i), "unitPrice"]),
                sku=getattr(ln, "sku", None),
            )
            for i, ln in enumerate(input.lines)
        ]
        charge = getattr(input, "room_charge", None)
        return sale_service.SaleSpec(
            sale_id=input.sale_id, lines=lines,
            payment_method=PaymentMethod(input.payment.value) if input.payment else None,
            room_charge=sale_service.RoomChargeSpec(charge.room_number, charge.last_name)
            if charge else None,
        )  # fmt: skip

    @strawberry.type
    class PosQuery:
        @strawberry.field(permission_classes=requires("pos:read"))
        async def outlets(self, info: Info) -> list[Outlet]:
            async with info.context.db() as session:
                rows = await session.scalars(select(models.Outlet).order_by(models.Outlet.code))
                return [Outlet.from_row(r) for r in rows]

        @strawberry.field(permission_classes=requires("pos:read"), description="Newest first.")
        async def pos_sales(
            self,
            info: Info,
            first: int | None = None,
            after: str | None = None,
            filter: PosSaleFilter | None = None,
        ) -> Connection[PosSale]:
            s = models.PosSale
            statement = select(s)
            if filter is not None and filter.outlet is not None:
                statement = statement.where(
                    s.outlet_id.in_(
                        select(models.Outlet.id).where(models.Outlet.code == filter.outlet)
                    )
                )
            if filter is not None and filter.business_date is not None:
                statement = statement.where(s.business_date == filter.business_date)
            page = await paginate(
                info, statement, sort_key=s.id, pk=s.id, first=first, after=after,
                descending=True,
            )  # fmt: skip
            currency = _currency(info)
            return page.to_connection(lambda row: PosSale.from_row(row, currency))

        @strawberry.field(
            permission_classes=requires("pos:read"),
            description="Each outlet's day (today's by default, the property's local date).",
        )
        async def pos_daily_summary(
            self, info: Info, date: dt.date | None = None, outlet: str | None = None
        ) -> list[PosOutletDay]:
            async with reading(info) as ctx:
                chosen = None
                if outlet is not None:
                    chosen = await ctx.session.scalar(
                        select(models.Outlet).where(models.Outlet.code == outlet)
                    )
                    if chosen is None:
                        return []
                days = await daily_summary(ctx, date or ctx.local_today(), chosen)
            return [PosOutletDay.of(d, _currency(info)) for d in days]

    @strawberry.type
    class PosMutation:
        @strawberry.mutation(permission_classes=requires("pos:manage"))
        async def create_outlet(self, info: Info, input: CreateOutletInput) -> OutletPayload:
            async def work(ctx: PosContext) -> OutletPayload:
                row = await outlet_service.create_outlet(
                    ctx.session, code=input.code, name=input.name,
                    kind=OutletKind(input.kind.value),
                    stock_location=getattr(input, "stock_location", None), clock=ctx.clock,
                )  # fmt: skip
                return OutletPayload(outlet=Outlet.from_row(row), webhook_secret=row.webhook_secret)

            return await run(info, work, OutletPayload)

        @strawberry.mutation(
            permission_classes=requires("pos:manage"),
            description="A new webhook secret for the outlet; the old one stops at once.",
        )
        async def rotate_outlet_webhook_secret(
            self, info: Info, input: OutletInput
        ) -> OutletPayload:
            async def work(ctx: PosContext) -> OutletPayload:
                outlet = await outlet_service.outlet_by_code(ctx.session, input.outlet, ["outlet"])
                row = await outlet_service.rotate_webhook_secret(ctx.session, outlet)
                return OutletPayload(outlet=Outlet.from_row(row), webhook_secret=row.webhook_secret)

            return await run(info, work, OutletPayload)

        @strawberry.mutation(
            permission_classes=requires("pos:manage"),
            description="An API key (pos:sell) for a till that sells for this outlet only.",
        )
        async def create_outlet_device_key(
            self, info: Info, input: CreateOutletDeviceKeyInput
        ) -> OutletDeviceKeyPayload:
            async def work(ctx: PosContext) -> OutletDeviceKeyPayload:
                outlet = await outlet_service.outlet_by_code(ctx.session, input.outlet, ["outlet"])
                principal = info.context.principal
                _, secret = await outlet_service.create_device_key(
                    ctx.session, outlet, name=input.name, grantable=info.context.permissions,
                    created_by_user_id=principal.user_id if principal else None, clock=ctx.clock,
                )  # fmt: skip
                return OutletDeviceKeyPayload(secret=secret, outlet=Outlet.from_row(outlet))

            return await run(info, work, OutletDeviceKeyPayload)

        @strawberry.mutation(
            permission_classes=requires("pos:sell"),
            description="Post a bill: paid at the outlet"
            + (", or charged to an in-house guest's room" if rooms else "")
            + ("; lines with a SKU take stock and make a POS order" if retail else "")
            + ". Idempotent by saleId.",
        )
        async def post_pos_sale(self, info: Info, input: PostPosSaleInput) -> PosSalePayload:
            async def work(ctx: PosContext) -> PosSalePayload:
                outlet = await outlet_service.outlet_for_caller(
                    ctx.session, input.outlet, ctx.api_key_id, ["outlet"]
                )
                posted = await sale_service.post_sale(
                    ctx, outlet, _sale_spec(info, input), source="graphql"
                )
                return PosSalePayload(
                    sale=PosSale.from_row(posted.sale, ctx.currency), created=posted.created
                )

            return await run(info, work, PosSalePayload)

        @strawberry.mutation(
            permission_classes=requires("pos:sell"),
            description="Take back a sale, or some of its lines: a negative sale naming it.",
        )
        async def void_pos_sale(self, info: Info, input: VoidPosSaleInput) -> PosSalePayload:
            async def work(ctx: PosContext) -> PosSalePayload:
                outlet = await outlet_service.outlet_for_caller(
                    ctx.session, input.outlet, ctx.api_key_id, ["outlet"]
                )
                spec = sale_service.VoidSpec(
                    sale_id=input.sale_id, voids=input.voids, reason=input.reason,
                    lines=[sale_service.VoidLineSpec(ln.line, ln.quantity) for ln in input.lines]
                    if input.lines is not None else None,
                )  # fmt: skip
                posted = await sale_service.void_sale(ctx, outlet, spec, source="graphql")
                return PosSalePayload(
                    sale=PosSale.from_row(posted.sale, ctx.currency), created=posted.created
                )

            return await run(info, work, PosSalePayload)

    @strawberry.type
    class PosSubscription:
        @strawberry.subscription(
            permission_classes=requires("pos:read"),
            description="Sales and voids as the outlets post them. `outlet` follows one.",
        )
        async def pos_sale_posted(
            self, info: Info, outlet: str | None = None
        ) -> AsyncGenerator[PosSale, None]:
            names = ("pos_bridge.sale_posted", "pos_bridge.sale_voided")
            rows = changed_rows(
                info, names, models.PosSale, "pos_sale_id", match={"outlet": outlet}
            )
            async for row in rows:
                yield PosSale.from_row(row, _currency(info))

    return GraphQLContribution(query=PosQuery, mutation=PosMutation, subscription=PosSubscription)


def full_contribution() -> GraphQLContribution:
    full = build(True, True)
    return GraphQLContribution(
        query=full.query,
        mutation=full.mutation,
        subscription=full.subscription,
        variant=lambda enabled: build("pms_rooms" in enabled, "oms_orders" in enabled),
    )


__all__ = ["DomainError", "build", "full_contribution"]
