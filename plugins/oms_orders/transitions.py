"""An order's allowed status changes, in one table (as Vendure keeps them in one file).

Payment status is its own axis (PAYMENT_TRANSITIONS): an order can be
fulfilled and unpaid (invoice) or paid and unfulfilled. Anything not listed
here is an invalid transition and is refused with a typed error.
"""

from __future__ import annotations

from enum import Enum


class OrderStatus(Enum):
    UNCONFIRMED = "unconfirmed"
    CONFIRMED = "confirmed"
    PARTIALLY_FULFILLED = "partially_fulfilled"
    FULFILLED = "fulfilled"
    PARTIALLY_RETURNED = "partially_returned"
    RETURNED = "returned"
    CANCELED = "canceled"
    EXPIRED = "expired"


class PaymentStatus(Enum):
    NOT_PAID = "not_paid"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    PARTIALLY_REFUNDED = "partially_refunded"
    REFUNDED = "refunded"


S = OrderStatus
ORDER_TRANSITIONS: dict[OrderStatus, frozenset[OrderStatus]] = {
    S.UNCONFIRMED: frozenset({S.CONFIRMED, S.CANCELED, S.EXPIRED}),
    S.CONFIRMED: frozenset({S.PARTIALLY_FULFILLED, S.FULFILLED, S.CANCELED}),
    # Shipped lines cannot be canceled: once anything has shipped, the order runs to
    # FULFILLED and what comes back is a return.
    S.PARTIALLY_FULFILLED: frozenset({S.PARTIALLY_FULFILLED, S.FULFILLED}),
    S.FULFILLED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.PARTIALLY_RETURNED: frozenset({S.PARTIALLY_RETURNED, S.RETURNED}),
    S.RETURNED: frozenset(),
    S.CANCELED: frozenset(),
    S.EXPIRED: frozenset(),
}

P = PaymentStatus
PAYMENT_TRANSITIONS: dict[PaymentStatus, frozenset[PaymentStatus]] = {
    P.NOT_PAID: frozenset({P.PARTIALLY_PAID, P.PAID}),
    P.PARTIALLY_PAID: frozenset({P.PARTIALLY_PAID, P.PAID, P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.PAID: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.PARTIALLY_REFUNDED: frozenset({P.PARTIALLY_REFUNDED, P.REFUNDED}),
    P.REFUNDED: frozenset(),
}


def can_change(current: OrderStatus, target: OrderStatus) -> bool:
    return target in ORDER_TRANSITIONS[current]


def can_change_payment(current: PaymentStatus, target: PaymentStatus) -> bool:
    return target in PAYMENT_TRANSITIONS[current]


def payment_status_for(total: int, paid: int, refunded: int) -> PaymentStatus:
    """The payment status that the amounts (minor units) imply."""
    if refunded > 0:
        return PaymentStatus.REFUNDED if refunded >= paid else PaymentStatus.PARTIALLY_REFUNDED
    if paid >= total:
        return PaymentStatus.PAID  # a free order (total 0) has nothing left to pay
    return PaymentStatus.PARTIALLY_PAID if paid > 0 else PaymentStatus.NOT_PAID
