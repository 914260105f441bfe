"""Payments and refunds of oms_orders: by hand over GraphQL, reported by a payment plugin
through the service API, and refunded through that plugin's gateway (the test-only
``fake_gateway`` plugin); each refused request leaves every row as it was."""

from __future__ import annotations

from typing import Any

import pytest
from fake_gateway import hooks as fake_gateway
from orders_store import INVENTORY, ORDERS, Store, mutation_document

from core.errors import DomainError
from core.graphql import pk_of
from core.testing import ConciergeTestKit, GraphQLResult, UserRef
from plugins.oms_orders.service.common import OrderContext
from plugins.oms_orders.service.errors import OrderErrorCode
from plugins.oms_orders.service.payments import record_payment

GATEWAY_PLUGINS = {INVENTORY, ORDERS, "fake_gateway"}


async def staff(store: Store, email: str, role: str) -> tuple[UserRef, str]:
    """A user with ``role`` on the store's property, and an access token of theirs."""
    user = await store.kit.user(store.tenant, email, role=role, property=store.prop)
    return user, await store.kit.token_for(user)


def top_level_codes(result: GraphQLResult) -> list[str | None]:
    return [(e.get("extensions") or {}).get("code") for e in result.errors]


def amounts(order: dict[str, Any]) -> dict[str, str]:
    return {k: order[k]["amount"] for k in ("total", "paid", "refunded", "balance")}


async def pay(store: Store, order_id: str, amount: str, token: str, **fields: Any) -> Any:
    input = {"order": order_id, "amount": amount, "method": "cash", **fields}
    return await store.ok("recordOrderPayment", input, token=token)


async def report_gateway_payment(
    kit: ConciergeTestKit,
    store: Store,
    order_id: str,
    amount_minor: int,
    reference: str,
    *,
    plugins: set[str] = GATEWAY_PLUGINS,
    idempotency_key: str | None = None,
) -> int:
    """What a payment plugin does when its provider says money came in: the service API,
    in a transaction of the property, with the property's hooks. Returns the payment's pk."""
    async with kit.transaction(store.prop) as session:
        ctx = OrderContext(
            session=session, hooks=kit.runtime.host.relay(plugins), clock=kit.clock,
            actor="plugin:fake_gateway",
        )  # fmt: skip
        _, payment = await record_payment(
            ctx, pk_of(order_id, "Order"), amount_minor=amount_minor, method="card",
            gateway="fake", reference=reference, idempotency_key=idempotency_key,
        )  # fmt: skip
        return payment.id


# ---------------------------------------------------------------------------
# By hand
# ---------------------------------------------------------------------------


async def test_paying_in_parts_makes_it_partially_paid_then_paid_and_confirms_it(
    store: Store,
) -> None:
    manager, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2))
    assert (order["status"], order["paymentStatus"]) == ("UNCONFIRMED", "NOT_PAID")
    assert order["expiresAt"] is not None

    first = await pay(store, order["id"], "5.00", token, method="cash", reference="R-1")
    assert first["payment"]["kind"] == "PAYMENT"
    assert first["payment"]["amount"] == {"amount": "5.00"}
    assert first["payment"]["method"] == "cash"
    partly = first["order"]
    assert (partly["status"], partly["paymentStatus"]) == ("UNCONFIRMED", "PARTIALLY_PAID")
    assert amounts(partly) == {"total": "13.00", "paid": "5.00", "refunded": "0.00",
                               "balance": "8.00"}  # fmt: skip
    assert partly["expiresAt"] is None  # money came in: it no longer expires on its own

    second = await pay(store, order["id"], "8.00", token, method="card")
    paid = second["order"]
    assert (paid["status"], paid["paymentStatus"]) == ("CONFIRMED", "PAID")
    assert amounts(paid) == {"total": "13.00", "paid": "13.00", "refunded": "0.00",
                             "balance": "0.00"}  # fmt: skip

    seen = await store.order(order["id"])
    assert seen == paid
    listed = [
        (p["kind"], p["amount"]["amount"], p["method"], p["gateway"]) for p in seen["payments"]
    ]
    assert listed == [("PAYMENT", "5.00", "cash", None), ("PAYMENT", "8.00", "card", None)]
    actor = f"user:{manager.id}"
    assert [
        (e["kind"], e["fromStatus"], e["toStatus"], e["actor"]) for e in seen["timeline"][1:]
    ] == [
        ("payment", None, None, actor),
        ("payment", None, None, actor),
        ("status_changed", "UNCONFIRMED", "CONFIRMED", actor),
    ]
    assert "cash" in seen["timeline"][1]["detail"] and "card" in seen["timeline"][2]["detail"]
    assert seen["timeline"][3]["detail"] == "paid in full"
    recorded = await store.events("oms_orders.payment_recorded")
    assert [(e["amount_minor"], e["method"], e["gateway"]) for e in recorded] == [
        (500, "cash", None), (800, "card", None),
    ]  # fmt: skip
    assert [e["payment_status"] for e in recorded] == ["partially_paid", "paid"]


async def test_the_same_idempotency_key_twice_records_one_payment(store: Store) -> None:
    _, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2))
    input = {"order": order["id"], "amount": "4.00", "method": "card", "idempotencyKey": "tap-1"}
    first = await store.ok("recordOrderPayment", input, token=token)
    before = await store.snapshot()

    again = await store.ok("recordOrderPayment", input, token=token)
    assert again["payment"] == first["payment"]
    assert again["order"]["paid"]["amount"] == "4.00"
    assert await store.snapshot() == before
    assert len((await store.order(order["id"]))["payments"]) == 1

    # The key with another amount is not a retry: refused, nothing recorded.
    error = await store.fails(
        "recordOrderPayment", {**input, "amount": "5.00"}, "IDEMPOTENCY_KEY_REUSED", token=token
    )
    assert error["field"] == ["idempotencyKey"]
    assert await store.snapshot() == before


async def test_paying_more_than_is_owed_is_refused(store: Store) -> None:
    _, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2))  # 13.00
    before = await store.snapshot()
    error = await store.fails(
        "recordOrderPayment",
        {"order": order["id"], "amount": "13.01", "method": "cash"},
        "OVERPAYMENT",
        token=token,
    )
    assert error["field"] == ["amount"]
    assert await store.snapshot() == before

    await pay(store, order["id"], "10.00", token)
    before = await store.snapshot()
    await store.fails(
        "recordOrderPayment",
        {"order": order["id"], "amount": "3.01", "method": "cash"},
        "OVERPAYMENT",
        token=token,
    )
    assert await store.snapshot() == before
    assert (await store.order(order["id"]))["paymentStatus"] == "PARTIALLY_PAID"


async def test_refunds_never_exceed_what_was_paid(store: Store) -> None:
    manager, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2), confirm=True)
    await pay(store, order["id"], "13.00", token)

    partial = await store.ok(
        "refundOrder", {"order": order["id"], "amount": "3.00", "note": "scratched"}, token=token
    )
    assert partial["payment"]["kind"] == "REFUND"
    assert partial["payment"]["amount"] == {"amount": "3.00"}
    assert (partial["payment"]["gateway"], partial["payment"]["reference"]) == (None, None)
    refunded = partial["order"]
    assert refunded["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert amounts(refunded) == {"total": "13.00", "paid": "13.00", "refunded": "3.00",
                                 "balance": "3.00"}  # fmt: skip
    entry = refunded["timeline"][-1]
    assert (entry["kind"], entry["actor"]) == ("refund", f"user:{manager.id}")
    assert "scratched" in entry["detail"]

    # 10.00 is left to refund: a cent more is refused whole.
    before = await store.snapshot()
    error = await store.fails(
        "refundOrder", {"order": order["id"], "amount": "10.01"}, "REFUND_EXCEEDS_PAID",
        token=token,
    )  # fmt: skip
    assert error["field"] == ["amount"]
    assert await store.snapshot() == before

    rest = await store.ok("refundOrder", {"order": order["id"], "amount": "10.00"}, token=token)
    assert rest["order"]["paymentStatus"] == "REFUNDED"
    assert rest["order"]["refunded"]["amount"] == "13.00"
    before = await store.snapshot()
    await store.fails(
        "refundOrder", {"order": order["id"], "amount": "0.01"}, "REFUND_EXCEEDS_PAID", token=token
    )
    assert await store.snapshot() == before


async def test_nothing_can_be_refunded_on_an_unpaid_order(store: Store) -> None:
    _, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 1))
    before = await store.snapshot()
    await store.fails(
        "refundOrder", {"order": order["id"], "amount": "1.00"}, "REFUND_EXCEEDS_PAID", token=token
    )
    assert await store.snapshot() == before


# ---------------------------------------------------------------------------
# Through a payment plugin (fake_gateway)
# ---------------------------------------------------------------------------


async def test_a_gateway_payment_reported_twice_is_recorded_once(
    concierge: ConciergeTestKit, store: Store
) -> None:
    await concierge.enable(store.prop, "fake_gateway")
    order = await store.place("k1", ("SOAP", 2))

    first = await report_gateway_payment(concierge, store, order["id"], 1300, "ch_1")
    before = await store.snapshot()
    again = await report_gateway_payment(concierge, store, order["id"], 1300, "ch_1")
    assert again == first
    assert await store.snapshot() == before

    seen = await store.order(order["id"])
    assert (seen["status"], seen["paymentStatus"]) == ("CONFIRMED", "PAID")
    assert [
        (p["kind"], p["amount"]["amount"], p["method"], p["gateway"], p["reference"])
        for p in seen["payments"]
    ] == [("PAYMENT", "13.00", "card", "fake", "ch_1")]
    assert [(e["kind"], e["actor"]) for e in seen["timeline"][1:]] == [
        ("payment", "plugin:fake_gateway"), ("status_changed", "plugin:fake_gateway"),
    ]  # fmt: skip
    assert "fake" in seen["timeline"][1]["detail"]
    assert [e["gateway"] for e in await store.events("oms_orders.payment_recorded")] == ["fake"]

    # The same reference for another order is not a retry: refused, nothing recorded.
    other = await store.place("k2", ("TOTE", 1))
    before = await store.snapshot()
    with pytest.raises(DomainError) as refused:
        await report_gateway_payment(concierge, store, other["id"], 1300, "ch_1")
    assert refused.value.code is OrderErrorCode.IDEMPOTENCY_KEY_REUSED
    assert refused.value.field == ["reference"]
    # Nor under a fresh idempotency key: the reference is checked on its own.
    with pytest.raises(DomainError) as refused:
        await report_gateway_payment(
            concierge, store, other["id"], 1300, "ch_1", idempotency_key="fresh"
        )
    assert refused.value.field == ["reference"]
    assert await store.snapshot() == before


async def test_a_refund_of_a_gateway_payment_goes_through_the_gateway(
    concierge: ConciergeTestKit, store: Store
) -> None:
    await concierge.enable(store.prop, "fake_gateway")
    _, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2))
    payment_pk = await report_gateway_payment(concierge, store, order["id"], 1300, "ch_1")
    [payment] = (await store.order(order["id"]))["payments"]
    assert pk_of(payment["id"], "OrderPayment") == payment_pk

    input = {"order": order["id"], "amount": "4.00", "payment": payment["id"],
             "idempotencyKey": "rf-1"}  # fmt: skip
    refund = await store.ok("refundOrder", input, token=token)
    assert refund["payment"]["kind"] == "REFUND"
    assert refund["payment"]["amount"] == {"amount": "4.00"}
    assert (refund["payment"]["gateway"], refund["payment"]["reference"]) == ("fake", "re_1")
    assert refund["order"]["paymentStatus"] == "PARTIALLY_REFUNDED"
    assert refund["order"]["refunded"]["amount"] == "4.00"
    assert fake_gateway.CALLS == [
        fake_gateway.RefundCall(
            order_number=order["number"], payment_id=payment_pk, payment_reference="ch_1",
            amount_minor=400, idempotency_key="rf-1", refund_reference="re_1",
        )
    ]  # fmt: skip
    # A retry of that refund gives the same refund back, without asking the provider again.
    before = await store.snapshot()
    assert (await store.ok("refundOrder", input, token=token))["payment"] == refund["payment"]
    assert await store.snapshot() == before
    assert len(fake_gateway.CALLS) == 1
    listed = (await store.order(order["id"]))["payments"]
    assert [(p["kind"], p["gateway"], p["reference"]) for p in listed] == [
        ("PAYMENT", "fake", "ch_1"), ("REFUND", "fake", "re_1"),
    ]  # fmt: skip

    # The provider declines: its error comes back and nothing is recorded.
    declined = await store.fails(
        "refundOrder", {"order": order["id"], "amount": "0.13", "payment": payment["id"]},
        "INVALID_INPUT", token=token,
    )  # fmt: skip
    assert declined["message"] == "declined"
    assert await store.snapshot() == before
    assert [c.amount_minor for c in fake_gateway.CALLS] == [400, 13]
    assert fake_gateway.CALLS[-1].refund_reference is None

    # More than is left on that payment: refused before the gateway is asked.
    await store.fails(
        "refundOrder", {"order": order["id"], "amount": "9.01", "payment": payment["id"]},
        "REFUND_EXCEEDS_PAID", token=token,
    )  # fmt: skip
    assert await store.snapshot() == before
    assert len(fake_gateway.CALLS) == 2

    rest = await store.ok(
        "refundOrder", {"order": order["id"], "amount": "9.00", "payment": payment["id"]},
        token=token,
    )  # fmt: skip
    assert rest["payment"]["reference"] == "re_2"
    assert rest["order"]["paymentStatus"] == "REFUNDED"


async def test_a_returns_refund_goes_back_through_the_gateway_that_took_the_money(
    concierge: ConciergeTestKit, store: Store
) -> None:
    await concierge.enable(store.prop, "fake_gateway")
    _, token = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2), confirm=True)
    payment_pk = await report_gateway_payment(concierge, store, order["id"], 1300, "ch_9")
    await store.ok("fulfillOrder", {"order": order["id"]}, token=token)
    requested = await store.ok(
        "requestReturn", {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}]},
        token=token,
    )  # fmt: skip
    received = await store.ok(
        "receiveReturn",
        {"orderReturn": requested["orderReturn"]["id"], "location": "MAIN", "refund": "6.50"},
        token=token,
    )  # fmt: skip
    refund = received["order"]["payments"][-1]
    assert (refund["kind"], refund["gateway"], refund["reference"]) == ("REFUND", "fake", "re_1")
    [call] = fake_gateway.CALLS
    assert (call.payment_id, call.amount_minor) == (payment_pk, 650)
    # No key was given: one is derived from the payment and what it had refunded before.
    assert call.idempotency_key == f"refund:{payment_pk}:0:650"


async def test_refunding_a_gateway_payment_without_its_plugin_is_refused(
    concierge: ConciergeTestKit, make_store: Any
) -> None:
    # This shop does not enable fake_gateway: nobody can refund through "fake" there.
    outlet = await make_store("globex-shop")
    _, token = await staff(outlet, "mia@globex.example", "manager")
    order = await outlet.place("k1", ("SOAP", 2))
    await report_gateway_payment(
        concierge, outlet, order["id"], 1300, "ch_9", plugins={INVENTORY, ORDERS}
    )
    [payment] = (await outlet.order(order["id"]))["payments"]
    assert payment["gateway"] == "fake"

    before = await outlet.snapshot()
    error = await outlet.fails(
        "refundOrder", {"order": order["id"], "amount": "4.00", "payment": payment["id"]},
        "GATEWAY_UNAVAILABLE", token=token,
    )  # fmt: skip
    assert error["field"] == ["payment"]
    assert await outlet.snapshot() == before
    assert fake_gateway.CALLS == []

    # Given back by hand, without naming the payment, it goes through.
    by_hand = await outlet.ok("refundOrder", {"order": order["id"], "amount": "4.00"}, token=token)
    assert (by_hand["payment"]["gateway"], by_hand["payment"]["reference"]) == (None, None)
    assert fake_gateway.CALLS == []


# ---------------------------------------------------------------------------
# Who may
# ---------------------------------------------------------------------------


RECEIVE_RETURN = (
    "mutation($input: ReceiveReturnInput!) { receiveReturn(input: $input) {"
    " order { status paymentStatus } orderReturn { status refund { amount { amount } } }"
    " errors { code field } } }"
)


async def test_the_warehouse_may_not_take_or_give_back_money(store: Store) -> None:
    _, manager = await staff(store, "mia@acme.example", "manager")
    _, warehouse = await staff(store, "wes@acme.example", "warehouse")
    order = await store.place("k1", ("SOAP", 2), confirm=True)
    await pay(store, order["id"], "13.00", manager)
    await store.ok("fulfillOrder", {"order": order["id"], "location": "MAIN"}, token=manager)
    requested = await store.ok(
        "requestReturn",
        {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}], "reason": "broken"},
        token=manager,
    )
    return_id = requested["orderReturn"]["id"]
    before = await store.snapshot()

    for name, input in (
        ("recordOrderPayment", {"order": order["id"], "amount": "1.00", "method": "cash"}),
        ("refundOrder", {"order": order["id"], "amount": "1.00"}),
    ):
        result = await store.request(mutation_document(name), {"input": input}, token=warehouse)
        assert result.status == 200, result.body
        assert top_level_codes(result) == ["FORBIDDEN"], result.body
        assert result.errors[0]["path"] == [name]
        assert result.data is None or result.data.get(name) is None
        assert await store.snapshot() == before

    # Receiving the return is theirs; refunding with it is not, and nothing is received then.
    error = await store.fails(
        "receiveReturn",
        {"orderReturn": return_id, "location": "MAIN", "refund": "6.50"},
        "PERMISSION_DENIED",
        token=warehouse,
    )
    assert error["field"] == ["refund"]
    assert await store.snapshot() == before

    received = await store.query(
        RECEIVE_RETURN, {"input": {"orderReturn": return_id, "location": "MAIN"}}, token=warehouse
    )
    assert received["receiveReturn"] == {
        "order": {"status": "PARTIALLY_RETURNED", "paymentStatus": "PAID"},
        "orderReturn": {"status": "RECEIVED", "refund": None},
        "errors": [],
    }

    # A manager may refund as the goods come back, in the same step.
    again = await store.ok(
        "requestReturn", {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}]},
        token=manager,
    )  # fmt: skip
    refunded = await store.query(
        RECEIVE_RETURN,
        {"input": {"orderReturn": again["orderReturn"]["id"], "location": "MAIN",
                   "refund": "6.50"}},
        token=manager,
    )  # fmt: skip
    assert refunded["receiveReturn"] == {
        "order": {"status": "RETURNED", "paymentStatus": "PARTIALLY_REFUNDED"},
        "orderReturn": {"status": "RECEIVED", "refund": {"amount": {"amount": "6.50"}}},
        "errors": [],
    }


async def test_a_negative_refund_on_receiving_a_return_is_refused(store: Store) -> None:
    _, manager = await staff(store, "mia@acme.example", "manager")
    order = await store.place("k1", ("SOAP", 2), confirm=True)
    await pay(store, order["id"], "13.00", manager)
    await store.ok("fulfillOrder", {"order": order["id"], "location": "MAIN"}, token=manager)
    requested = await store.ok(
        "requestReturn", {"order": order["id"], "lines": [{"sku": "SOAP", "quantity": 1}]},
        token=manager,
    )  # fmt: skip
    before = await store.snapshot()
    error = await store.fails(
        "receiveReturn",
        {"orderReturn": requested["orderReturn"]["id"], "location": "MAIN", "refund": "-6.50"},
        "INVALID_INPUT",
        token=manager,
    )
    assert error["field"] == ["refund"]
    assert await store.snapshot() == before
