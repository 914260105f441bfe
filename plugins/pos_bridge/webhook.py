"""The signed webhook a POS vendor posts sales and voids to:
``POST /plugins/pos_bridge/webhooks/{property}/{outlet}`` (see service/signing.py).

Answers: 200 with the sale (``created`` false when its sale id was posted
before); 401 for a missing, bad or stale signature; 409 for a replay of a
request already received; 404 for an unknown property or outlet, or a property
without pos_bridge; 413 for a body over 64 KiB; 400 for a body that is not a
sale; 422 with ``errors: [{code, message, field}]`` when the sale is refused
(nothing posted). The signature is checked before the body is read as JSON.
"""

from __future__ import annotations

from typing import Any

import orjson
from sqlalchemy import select
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core.db import Scope
from core.errors import DomainError
from core.money import decimal_to_minor, minor_to_decimal
from core.tenancy import enabled_plugins, get_property_by_slug
from plugins.pos_bridge.models import Outlet, PosSale
from plugins.pos_bridge.service import outlets, sales, signing
from plugins.pos_bridge.service.common import PosContext

MAX_BODY = 64 * 1024
PLUGIN = "pos_bridge"


class Reply(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status, self.message = status, message

    def response(self) -> JSONResponse:
        return JSONResponse({"error": self.message}, status_code=self.status)


async def _body(request: Request) -> bytes:
    declared = request.headers.get("content-length")
    if declared is not None and declared.isdigit() and int(declared) > MAX_BODY:
        raise Reply(413, f"a sale is at most {MAX_BODY} bytes")
    body = b""
    async for chunk in request.stream():
        body += chunk
        if len(body) > MAX_BODY:
            raise Reply(413, f"a sale is at most {MAX_BODY} bytes")
    return body


def _text(data: dict[str, Any], key: str, *, required: bool = True) -> str | None:
    value = data.get(key)
    if value is None and not required:
        return None
    if not isinstance(value, str):
        raise Reply(400, f"{key!r} must be a string")
    if "\x00" in value:  # PostgreSQL can neither store nor compare it
        raise Reply(400, f"{key!r} may not contain the NUL character")
    return value


def _int(data: dict[str, Any], key: str) -> int:
    value = data.get(key)
    if not isinstance(value, int) or isinstance(value, bool):
        raise Reply(400, f"{key!r} must be an integer")
    return value


def _sale_spec(data: dict[str, Any], currency: str) -> sales.SaleSpec:
    lines = data.get("lines")
    if not isinstance(lines, list):
        raise Reply(400, "'lines' must be a list")
    specs = []
    for index, line in enumerate(lines):
        if not isinstance(line, dict):
            raise Reply(400, "each line is an object")
        price = line.get("unitPrice")
        if not isinstance(price, str | int):
            raise Reply(400, "'unitPrice' is a decimal string, such as \"12.50\"")
        specs.append(
            sales.SaleLineSpec(
                description=_text(line, "description") or "",
                quantity=_int(line, "quantity"),
                # A string that is no number is refused there (422), like a bad amount.
                unit_price_minor=decimal_to_minor(
                    str(price), currency, field=["lines", str(index), "unitPrice"]
                ),
                sku=_text(line, "sku", required=False),
            )
        )
    method = _text(data, "payment", required=False)
    charge = data.get("roomCharge")
    if charge is not None and not isinstance(charge, dict):
        raise Reply(400, "'roomCharge' is an object with roomNumber and lastName")
    try:
        payment = sales.PaymentMethod(method.lower()) if method else None
    except ValueError:
        raise Reply(400, "'payment' is cash, card or other") from None
    return sales.SaleSpec(
        sale_id=_text(data, "saleId") or "", lines=specs, payment_method=payment,
        room_charge=sales.RoomChargeSpec(
            _text(charge, "roomNumber") or "", _text(charge, "lastName") or ""
        ) if charge else None,
    )  # fmt: skip


def _void_spec(data: dict[str, Any]) -> sales.VoidSpec:
    lines = data.get("lines")
    if lines is not None and not isinstance(lines, list):
        raise Reply(400, "'lines' must be a list")
    return sales.VoidSpec(
        sale_id=_text(data, "saleId") or "", voids=_text(data, "voids") or "",
        reason=_text(data, "reason", required=False) or "",
        lines=[sales.VoidLineSpec(_int(ln, "line"), _int(ln, "quantity")) for ln in lines]
        if lines is not None else None,
    )  # fmt: skip


def _sale_json(outlet: Outlet, sale: PosSale, currency: str, created: bool) -> dict[str, Any]:
    return {
        "created": created,
        "sale": {
            "saleId": sale.external_id, "outlet": outlet.code, "isVoid": sale.kind == "void",
            "settlement": sale.settlement, "paymentMethod": sale.payment_method,
            "total": str(minor_to_decimal(sale.total_minor, currency)), "currency": currency,
            "roomNumber": sale.room_number, "reservationNumber": sale.reservation_number,
            "orderNumber": sale.order_number, "businessDate": sale.business_date.isoformat(),
        },
    }  # fmt: skip


async def receive_sale(request: Request) -> JSONResponse:
    runtime = request.app.state.runtime
    try:
        body = await _body(request)
        async with runtime.db.session(Scope.system(), write=False) as session:
            prop = await get_property_by_slug(session, request.path_params["property"])
            enabled = await enabled_plugins(session, prop.id) if prop else frozenset()
        if prop is None or PLUGIN not in enabled:
            raise Reply(404, "no such property")
        scope = Scope.tenant(prop.tenant_id, prop.id)
        code = request.path_params["outlet"]
        async with runtime.events.transaction(scope) as session:
            # No outlet has a code off the pattern (nor one PostgreSQL could not compare).
            outlet = (
                await session.scalar(select(Outlet).where(Outlet.code == code))
                if outlets.CODE.match(code)
                else None
            )
            if outlet is None or not outlet.active:
                raise Reply(404, "no such outlet")
            try:
                digest = signing.verify(
                    outlet.webhook_secret, request.headers.get("x-concierge-timestamp"),
                    request.headers.get("x-concierge-signature"), body, runtime.clock,
                )  # fmt: skip
            except signing.SignatureError as exc:
                raise Reply(401, str(exc)) from None
            if not await signing.first_sight(session, outlet, digest, runtime.clock):
                raise Reply(409, "this signed request was received before (a replay)")
            try:
                data = orjson.loads(body)
            except orjson.JSONDecodeError:
                raise Reply(400, "the body is not JSON") from None
            if not isinstance(data, dict):
                raise Reply(400, "the body is a JSON object")
            ctx = PosContext(
                session=session, hooks=runtime.host.relay(enabled), clock=runtime.clock,
                actor=f"webhook:{outlet.code}", plugins=enabled, currency=prop.currency,
                time_zone=prop.time_zone,
            )  # fmt: skip
            if "voids" in data:
                posted = await sales.void_sale(ctx, outlet, _void_spec(data), source="webhook")
            else:
                spec = _sale_spec(data, prop.currency)
                posted = await sales.post_sale(ctx, outlet, spec, source="webhook")
            answer = _sale_json(outlet, posted.sale, prop.currency, posted.created)
    except Reply as reply:
        return reply.response()
    except DomainError as exc:
        error = {"code": exc.code.name, "message": exc.message, "field": exc.field}
        return JSONResponse({"errors": [error]}, status_code=422)
    return JSONResponse(answer)


ROUTES = [Route("/webhooks/{property}/{outlet}", receive_sale, methods=["POST"])]
