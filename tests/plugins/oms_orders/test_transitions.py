"""The order status table: every status has a row, ends are final, payment follows amounts."""

from __future__ import annotations

import pytest

from plugins.oms_orders.transitions import (
    ORDER_TRANSITIONS,
    PAYMENT_TRANSITIONS,
    OrderStatus,
    PaymentStatus,
    can_change,
    payment_status_for,
)


def test_every_status_has_a_row_and_no_row_names_an_unknown_status() -> None:
    assert set(ORDER_TRANSITIONS) == set(OrderStatus)
    assert set(PAYMENT_TRANSITIONS) == set(PaymentStatus)
    for targets in ORDER_TRANSITIONS.values():
        assert targets <= set(OrderStatus)


@pytest.mark.parametrize(
    "status", [OrderStatus.RETURNED, OrderStatus.CANCELED, OrderStatus.EXPIRED]
)
def test_ends_are_final(status: OrderStatus) -> None:
    assert not any(can_change(status, target) for target in OrderStatus)


@pytest.mark.parametrize(
    ("current", "target", "allowed"),
    [
        (OrderStatus.UNCONFIRMED, OrderStatus.CONFIRMED, True),
        (OrderStatus.UNCONFIRMED, OrderStatus.EXPIRED, True),
        (OrderStatus.CONFIRMED, OrderStatus.EXPIRED, False),  # only unconfirmed orders expire
        (OrderStatus.FULFILLED, OrderStatus.CANCELED, False),  # shipped goods are returned
        (OrderStatus.PARTIALLY_FULFILLED, OrderStatus.CANCELED, False),  # a line shipped
        (OrderStatus.UNCONFIRMED, OrderStatus.FULFILLED, False),
    ],
)
def test_transitions(current: OrderStatus, target: OrderStatus, allowed: bool) -> None:
    assert can_change(current, target) is allowed


@pytest.mark.parametrize(
    ("total", "paid", "refunded", "status"),
    [
        (1000, 0, 0, PaymentStatus.NOT_PAID),
        (0, 0, 0, PaymentStatus.PAID),  # a free order
        (1000, 400, 0, PaymentStatus.PARTIALLY_PAID),
        (1000, 1000, 0, PaymentStatus.PAID),
        (1000, 1000, 300, PaymentStatus.PARTIALLY_REFUNDED),
        (1000, 1000, 1000, PaymentStatus.REFUNDED),
    ],
)
def test_payment_status_follows_the_amounts(
    total: int, paid: int, refunded: int, status: PaymentStatus
) -> None:
    assert payment_status_for(total, paid, refunded) is status
