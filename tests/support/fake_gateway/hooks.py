"""The fake gateway's one hook. Every call is recorded in ``CALLS`` (reset by the tests'
fixture); a refund of exactly ``DECLINED_AMOUNT_MINOR`` is declined by the "provider"."""

from __future__ import annotations

from dataclasses import dataclass

from core import hookimpl
from core.errors import DomainError
from plugins.oms_orders.service.errors import OrderErrorCode

GATEWAY = "fake"
DECLINED_AMOUNT_MINOR = 13


@dataclass(frozen=True)
class RefundCall:
    order_number: str
    payment_id: int
    payment_reference: str | None
    amount_minor: int
    idempotency_key: str
    refund_reference: str | None  # None when declined


CALLS: list[RefundCall] = []


# Async like a real gateway's HTTP call: oms_orders awaits every implementation before
# taking the first answer that is not None.
@hookimpl
async def oms_orders_refund_payment(order, payment, amount_minor, idempotency_key) -> str | None:
    if payment.gateway != GATEWAY:
        return None
    declined = amount_minor == DECLINED_AMOUNT_MINOR
    reference = None if declined else f"re_{sum(c.refund_reference is not None for c in CALLS) + 1}"
    CALLS.append(
        RefundCall(
            order_number=order.number, payment_id=payment.id,
            payment_reference=payment.reference, amount_minor=amount_minor,
            idempotency_key=idempotency_key, refund_reference=reference,
        )
    )  # fmt: skip
    if declined:
        raise DomainError(OrderErrorCode.INVALID_INPUT, "declined", field=["payment"])
    return reference
