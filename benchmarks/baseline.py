"""The baseline: plain Starlette endpoints, no GraphQL, answering what the suite's GraphQL
requests ask with the same SQL and the same JSON.

Each endpoint authenticates as ``/graphql/{property}`` does (``core.auth.authenticate``
on the Authorization header, then ``core.app.load_property``: the same statements), then
runs what the resolvers run: for the reads the same statements in one read session, as
``Context.db`` holds one per request (the orders page's count, page, lines and customers
as ``paginate`` and the DataLoaders write them; the services the availability and board
resolvers call, and the users the board's assignees load); for the mutations the same
service in one write transaction whose events are delivered after the commit
(``runtime.events.transaction``, as ``Context.transaction``), then what the payload
reads. It answers ``{"data": {...}}`` shaped as the GraphQL response (the suite compares
the two before it measures), serialised with orjson as the GraphQL view does.

What it leaves out is GraphQL itself: parsing, validation, the schema's permission
classes, field resolution and the strawberry types. Routes, all POST with a JSON body
(the GraphQL request's variables), under ``/_baseline/{property}/``: ``orders``,
``availability``, ``housekeeping-board``, ``place-order``, ``pos-sale``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

import orjson
from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from strawberry.relay import to_base64

from core.app import load_property
from core.auth import AuthenticationError, Principal, authenticate
from core.context import PropertyInfo
from core.db import Scope
from core.errors import DomainError
from core.graphql.relay import encode_cursor
from core.money import decimal_to_minor, minor_to_decimal
from core.runtime import Runtime
from core.users import User

Json = dict[str, Any]


def _json(payload: Any, status: int = 200) -> Response:
    return Response(orjson.dumps(payload), status_code=status, media_type="application/json")


def _error(status: int, message: str, code: str) -> Response:
    return _json({"errors": [{"message": message, "extensions": {"code": code}}]}, status)


def _payload_error(exc: DomainError) -> Json:
    return {"code": getattr(exc.code, "name", str(exc.code)), "message": exc.message}


class Caller:
    """Who asks, where, with the request's scope: what the GraphQL context would hold."""

    def __init__(self, runtime: Runtime, principal: Principal, prop: PropertyInfo) -> None:
        self.runtime = runtime
        self.principal = principal
        self.prop = prop
        self.scope = Scope.tenant(principal.tenant_id, prop.id)
        self.hooks = runtime.host.relay(prop.plugins)
        self.clock = runtime.clock

    def amount(self, minor: int) -> str:
        return str(minor_to_decimal(minor, self.prop.currency))


Handler = Callable[[Caller, Json], Awaitable[Response]]


def endpoint(permission: str | None, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
    """Authenticate and find the property as graphql_http does, check ``permission`` (in
    memory, as the schema's permission classes; None: public), then call ``handler``."""

    async def respond(request: Request) -> Response:
        runtime: Runtime = request.app.state.runtime
        try:
            principal = await authenticate(runtime, request.headers.get("authorization"))
        except AuthenticationError as exc:
            return _error(401, str(exc), "UNAUTHENTICATED")
        if principal is None:
            return _error(401, "authentication required", "UNAUTHENTICATED")
        slug = request.path_params["property"]
        prop = await load_property(runtime, slug)
        if (
            prop is None
            or prop.tenant_id != principal.tenant_id
            or not principal.may_use_property(prop.id)
        ):
            return _error(404, f"unknown property {slug!r}", "PROPERTY_NOT_FOUND")
        if permission is not None and permission not in principal.permissions_on(prop.id):
            return _error(403, f"needs {permission}", "PERMISSION_DENIED")
        body = orjson.loads(await request.body() or b"{}")
        try:
            return await handler(Caller(runtime, principal, prop), body)
        except DomainError as exc:  # what as_client_error makes a top-level error
            return _json({"data": None, "errors": [{"message": exc.message}]})

    return respond


# ---------------------------------------------------------------------------
# Orders page
# ---------------------------------------------------------------------------


async def orders_page(caller: Caller, variables: Json) -> Response:
    """``orders(first, filter: {status, channel})`` with totalCount, pageInfo, totals,
    lines and customer: count, page, lines by order, customers by id."""
    from plugins.oms_orders.channels import Channel
    from plugins.oms_orders.models import Customer, Order, OrderLine
    from plugins.oms_orders.transitions import OrderStatus, PaymentStatus

    limits = caller.runtime.settings.limits
    first = min(max(int(variables.get("first") or limits.default_page_size), 1),
                limits.max_page_size)  # fmt: skip
    where = variables.get("filter") or {}
    statement = select(Order)
    if where.get("status"):
        statement = statement.where(
            Order.status.in_([OrderStatus[v].value for v in where["status"]])
        )
    if where.get("channel"):
        statement = statement.where(Order.channel.in_([Channel[v].value for v in where["channel"]]))
    count_statement = select(func.count()).select_from(statement.order_by(None).subquery())
    ordered = statement.order_by(Order.placed_at.desc(), Order.id.desc()).limit(first + 1)
    async with caller.runtime.db.session(caller.scope, write=False) as session:
        total = int(await session.scalar(count_statement) or 0)
        rows = list((await session.scalars(ordered)).all())
        page = rows[:first]
        lines: dict[int, list[OrderLine]] = defaultdict(list)
        customers: dict[int, Customer] = {}
        if page:
            for line in await session.scalars(
                select(OrderLine)
                .where(OrderLine.order_id.in_([o.id for o in page]))
                .order_by(OrderLine.position)
            ):
                lines[line.order_id].append(line)
            wanted = list(dict.fromkeys(o.customer_id for o in page if o.customer_id is not None))
            if wanted:
                customers = {
                    c.id: c
                    for c in await session.scalars(select(Customer).where(Customer.id.in_(wanted)))
                }

    def node(o: Order) -> Json:
        amount = caller.amount
        customer = customers.get(o.customer_id) if o.customer_id is not None else None
        return {
            "id": to_base64("Order", o.id), "number": o.number,
            "status": OrderStatus(o.status).name,
            "paymentStatus": PaymentStatus(o.payment_status).name,
            "channel": Channel(o.channel).name, "email": o.email,
            "placedAt": o.placed_at.isoformat(),
            "subtotal": {"amount": amount(o.subtotal_minor), "currency": o.currency},
            "discount": {"amount": amount(o.discount_minor)},
            "shipping": {"amount": amount(o.shipping_minor)},
            "tax": {"amount": amount(o.tax_minor)}, "total": {"amount": amount(o.total_minor)},
            "paid": {"amount": amount(o.paid_minor)},
            "balance": {"amount": amount(o.total_minor - o.paid_minor + o.refunded_minor)},
            "lines": [
                {"sku": ln.sku, "name": ln.name, "quantity": ln.quantity,
                 "unitPrice": {"amount": amount(ln.unit_price_minor)}}
                for ln in lines[o.id]
            ],
            "customer": {"name": customer.name, "email": customer.email} if customer else None,
        }  # fmt: skip

    last = page[-1] if page else None
    return _json({"data": {"orders": {
        "totalCount": total,
        "pageInfo": {
            "hasNextPage": len(rows) > first,
            "endCursor": encode_cursor(last.placed_at, last.id) if last else None,
        },
        "edges": [{"node": node(o)} for o in page],
    }}})  # fmt: skip


# ---------------------------------------------------------------------------
# Availability
# ---------------------------------------------------------------------------


async def availability(caller: Caller, variables: Json) -> Response:
    """``availability(arrival, departure, adults)``: pms_rooms' availability service."""
    from plugins.pms_rooms.service import availability as service
    from plugins.pms_rooms.service.common import RoomsContext

    arrival = dt.date.fromisoformat(variables["arrival"])
    departure = dt.date.fromisoformat(variables["departure"])
    adults, children = int(variables.get("adults", 1)), int(variables.get("children", 0))
    async with caller.runtime.db.session(caller.scope, write=False) as session:
        ctx = RoomsContext(
            session=session, hooks=caller.hooks, clock=caller.clock,
            actor=caller.principal.subject,
        )  # fmt: skip
        offers = await service.availability(ctx, arrival, departure, adults, children)
    currency, amount = caller.prop.currency, caller.amount
    return _json({"data": {"availability": [
        {
            "roomTypeCode": o.room_type.code, "roomTypeName": o.room_type.name,
            "capacity": o.room_type.capacity, "freeRooms": o.free_rooms,
            "rates": [
                {
                    "ratePlanCode": r.plan.code, "bookable": not r.quote.broken,
                    "restrictions": r.quote.broken,
                    "freeCancellationDays": r.plan.free_cancellation_days,
                    "total": {"amount": amount(r.quote.total), "currency": currency},
                    "nights": [
                        {"date": day.isoformat(), "price": {"amount": amount(price)}}
                        for day, price in sorted(r.quote.prices.items())
                    ],
                }
                for r in o.rates
            ],
        }
        for o in offers
    ]}})  # fmt: skip


# ---------------------------------------------------------------------------
# Housekeeping board
# ---------------------------------------------------------------------------


async def housekeeping_board(caller: Caller, variables: Json) -> Response:
    """``housekeepingBoard``: pms_housekeeping's board service, then the assignees' names
    (one query, as the user DataLoader batches them)."""
    from plugins.pms_housekeeping.service import board as service
    from plugins.pms_housekeeping.service.blocks import BlockKind
    from plugins.pms_housekeeping.transitions import Condition, TaskKind, TaskStatus

    async with caller.runtime.db.session(caller.scope, write=False) as session:
        day, entries = await service.board(session, caller.clock)
        wanted = list(dict.fromkeys(
            t.assignee_user_id for e in entries for t in e.open_tasks if t.assignee_user_id
        ))  # fmt: skip
        names: dict[int, str] = {}
        if wanted:
            names = {
                u.id: u.name for u in await session.scalars(select(User).where(User.id.in_(wanted)))
            }

    def person(user_id: int | None) -> Json | None:
        return {"name": names[user_id]} if user_id is not None and user_id in names else None

    def room(e: service.BoardRoom) -> Json:
        assigned = [t.assignee_user_id for t in e.open_tasks if t.assignee_user_id]
        return {
            "number": e.room.number, "floor": e.room.floor, "condition": e.condition.name,
            "occupancy": "OCCUPIED" if e.occupied else "VACANT",
            "arrivalToday": e.arrival is not None, "departureToday": e.departure is not None,
            "block": {"kind": BlockKind(e.block.kind).name, "reason": e.block.reason}
            if e.block else None,
            "assignee": person(assigned[0] if assigned else None),
            "openTasks": [
                {"id": to_base64("HousekeepingTask", t.id), "kind": TaskKind(t.kind).name,
                 "status": TaskStatus(t.status).name, "note": t.note,
                 "assignee": person(t.assignee_user_id)}
                for t in e.open_tasks
            ],
        }  # fmt: skip

    def count(test: Callable[[service.BoardRoom], object]) -> int:
        return sum(1 for e in entries if test(e))

    def blocked(kind: BlockKind) -> Callable[[service.BoardRoom], object]:
        return lambda e: e.block is not None and e.block.kind == kind.value

    counts = {
        "dirty": count(lambda e: e.condition is Condition.DIRTY),
        "clean": count(lambda e: e.condition is Condition.CLEAN),
        "inspected": count(lambda e: e.condition is Condition.INSPECTED),
        "vacant": count(lambda e: not e.occupied), "occupied": count(lambda e: e.occupied),
        "outOfOrder": count(blocked(BlockKind.OUT_OF_ORDER)),
        "outOfService": count(blocked(BlockKind.OUT_OF_SERVICE)),
        "arrivals": count(lambda e: e.arrival), "departures": count(lambda e: e.departure),
    }  # fmt: skip
    return _json({"data": {"housekeepingBoard": {
        "businessDate": day.isoformat(), "counts": counts, "rooms": [room(e) for e in entries],
    }}})  # fmt: skip


# ---------------------------------------------------------------------------
# Mutations: placeOrder, postPosSale
# ---------------------------------------------------------------------------


async def place_order(caller: Caller, variables: Json) -> Response:
    """``placeOrder``: oms_orders' placement in one write transaction, then the order's
    lines in a new read session (the payload's lines DataLoader)."""
    from plugins.oms_orders.channels import Channel
    from plugins.oms_orders.models import OrderLine
    from plugins.oms_orders.service import placement
    from plugins.oms_orders.service.common import OrderContext
    from plugins.oms_orders.transitions import OrderStatus

    given = variables["input"]
    spec = placement.OrderSpec(
        idempotency_key=given["idempotencyKey"], email=given["email"],
        lines=[placement.LineSpec(sku=ln["sku"], quantity=int(ln["quantity"]))
               for ln in given["lines"]],
        channel=Channel[given.get("channel", "WEB")], customer_name=given.get("customerName", ""),
    )  # fmt: skip
    try:
        async with caller.runtime.events.transaction(caller.scope) as session:
            ctx = OrderContext(
                session=session, hooks=caller.hooks, clock=caller.clock,
                actor=caller.principal.subject,
            )  # fmt: skip
            order, created = await placement.place_order(ctx, spec, currency=caller.prop.currency)
    except DomainError as exc:
        return _json({"data": {"placeOrder": {"created": False, "order": None,
                                              "errors": [_payload_error(exc)]}}})  # fmt: skip
    async with caller.runtime.db.session(caller.scope, write=False) as session:
        lines = list(
            await session.scalars(
                select(OrderLine)
                .where(OrderLine.order_id.in_([order.id]))
                .order_by(OrderLine.position)
            )
        )
    return _json({"data": {"placeOrder": {
        "created": created,
        "order": {
            "id": to_base64("Order", order.id), "number": order.number,
            "status": OrderStatus(order.status).name,
            "total": {"amount": caller.amount(order.total_minor)},
            "lines": [{"sku": ln.sku, "quantity": ln.quantity} for ln in lines],
        },
        "errors": [],
    }}})  # fmt: skip


async def pos_sale(caller: Caller, variables: Json) -> Response:
    """``postPosSale``: the outlet the caller's key sells for, pos_bridge's sale (with its
    charge to the room through pms_rooms' hooks) in one write transaction."""
    from plugins.pos_bridge.service import outlets, sales
    from plugins.pos_bridge.service.common import PosContext

    given = variables["input"]
    currency = caller.prop.currency
    charge = given.get("roomCharge")
    spec = sales.SaleSpec(
        sale_id=given["saleId"],
        lines=[
            sales.SaleLineSpec(
                description=ln["description"], quantity=int(ln["quantity"]),
                unit_price_minor=decimal_to_minor(Decimal(str(ln["unitPrice"])), currency,
                                                  field=["lines", str(i), "unitPrice"]),
                sku=ln.get("sku"),
            )
            for i, ln in enumerate(given["lines"])
        ],
        payment_method=sales.PaymentMethod[given["payment"]] if given.get("payment") else None,
        room_charge=sales.RoomChargeSpec(charge["roomNumber"], charge["lastName"])
        if charge else None,
    )  # fmt: skip
    try:
        async with caller.runtime.events.transaction(caller.scope) as session:
            ctx = PosContext(
                session=session, hooks=caller.hooks, clock=caller.clock,
                actor=caller.principal.subject, plugins=caller.prop.plugins, currency=currency,
                time_zone=caller.prop.time_zone, api_key_id=caller.principal.api_key_id,
            )  # fmt: skip
            outlet = await outlets.outlet_for_caller(
                session, given["outlet"], ctx.api_key_id, ["outlet"]
            )
            posted = await sales.post_sale(ctx, outlet, spec, source="baseline")
    except DomainError as exc:
        return _json({"data": {"postPosSale": {"created": False, "sale": None,
                                               "errors": [_payload_error(exc)]}}})  # fmt: skip
    sale = posted.sale
    room_charge = None
    if sale.settlement == sales.Settlement.ROOM_CHARGE.value:
        room_charge = {
            "roomNumber": sale.room_number or "", "guestName": sale.guest_name or "",
            "reservationNumber": sale.reservation_number or "",
        }  # fmt: skip
    return _json({"data": {"postPosSale": {
        "created": posted.created,
        "sale": {
            "saleId": sale.external_id, "settlement": sales.Settlement(sale.settlement).name,
            "total": {"amount": caller.amount(sale.total_minor)}, "roomCharge": room_charge,
        },
        "errors": [],
    }}})  # fmt: skip


def routes() -> list[Route]:
    def route(path: str, permission: str | None, handler: Handler) -> Route:
        return Route(f"/{{property}}/{path}", endpoint(permission, handler), methods=["POST"])

    return [
        route("orders", "orders:read", orders_page),
        route("availability", None, availability),  # public, as the resolver
        route("housekeeping-board", "housekeeping:read", housekeeping_board),
        route("place-order", "orders:write", place_order),
        route("pos-sale", "pos:sell", pos_sale),
    ]
