"""Folios: charges, payments, refunds and corrections by staff, each posted once per
idempotency key, never on a closed folio; the invoice's sums; and the hooks outlets
(pos_bridge) call in-process to find an in-house guest and charge their room. Every
balance equals the sum of its lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from hotel_kit import Hotel
from sqlalchemy import select

from core import hookimpl
from core.errors import DomainError
from core.events import OutboxEvent
from core.graphql import pk_of
from core.plugins import call_first_optional
from plugins.pms_rooms.service.errors import RoomsErrorCode

INVOICE = """
query($id: ID!) {
  node(id: $id) {
    ... on Reservation {
      folio {
        status
        invoice {
          number issuedAt guestName charges { amount } payments { amount } balance { amount }
          lines { kind amount { amount } }
        }
      }
    }
  }
}
"""


async def post(hotel: Hotel, reservation: dict[str, Any], kind: str, amount: str, **more: Any):
    return await hotel.send(
        "postFolioEntry",
        {"reservation": reservation["id"], "kind": kind, "amount": amount,
         "description": more.pop("description", kind.title()), **more},
    )  # fmt: skip


async def posted(hotel: Hotel, reservation: dict[str, Any], kind: str, amount: str, **more: Any):
    payload = await post(hotel, reservation, kind, amount, **more)
    assert payload["errors"] == [], payload
    return payload


async def refused(
    hotel: Hotel, reservation: dict[str, Any], kind: str, amount: str, code: str, **more: Any
) -> dict[str, Any]:
    """The posting is refused with ``code`` and changes nothing."""
    before = await hotel.snapshot()
    payload = await post(hotel, reservation, kind, amount, **more)
    assert [e["code"] for e in payload["errors"]] == [code], payload
    assert await hotel.snapshot() == before
    return payload["errors"][0]


async def folio(hotel: Hotel, reservation: dict[str, Any]) -> dict[str, Any]:
    return (await hotel.reservation(reservation["id"]))["folio"]


async def balance(hotel: Hotel, reservation: dict[str, Any]) -> str:
    return (await folio(hotel, reservation))["balance"]["amount"]


@pytest.fixture
async def stay(hotel: Hotel) -> dict[str, Any]:
    """Ada Lovelace, checked in to room 101 for two nights."""
    reservation = await hotel.book("stay", arrive=0, nights=2)
    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    return reservation


# -- staff postings ---------------------------------------------------------------------


async def test_charges_raise_the_balance_and_payments_lower_it(
    hotel: Hotel, stay: dict[str, Any]
) -> None:
    charge = await posted(hotel, stay, "charge", "45.50", description="Minibar")
    assert charge["line"]["kind"] == "charge" and charge["line"]["amount"]["amount"] == "45.50"
    assert charge["reservation"]["folio"]["balance"]["amount"] == "45.50"
    payment = await posted(hotel, stay, "payment", "20.00", description="Cash")
    assert payment["line"]["amount"]["amount"] == "-20.00"
    assert payment["reservation"]["folio"]["balance"]["amount"] == "25.50"
    await posted(hotel, stay, "payment", "30.00")  # paying ahead: the hotel owes 4.50
    lines = (await folio(hotel, stay))["lines"]
    assert [(x["kind"], x["source"], x["description"], x["amount"]["amount"]) for x in lines] == [
        ("charge", "manual", "Minibar", "45.50"),
        ("payment", "manual", "Cash", "-20.00"),
        ("payment", "manual", "Payment", "-30.00"),
    ]
    assert [x["businessDate"] for x in lines] == [hotel.day(0)] * 3
    assert await balance(hotel, stay) == "-4.50"
    # A reservation not yet arrived takes a deposit.
    later = await hotel.book("later", arrive=5, nights=1)
    await posted(hotel, later, "payment", "50.00", description="Deposit")
    assert await balance(hotel, later) == "-50.00"
    await hotel.assert_folios_balance()


@pytest.mark.parametrize(
    ("kind", "amount", "code"),
    [("charge", "0", "INVALID_INPUT"), ("payment", "-5.00", "INVALID_INPUT"),
     ("charge", "1.005", "INVALID_INPUT"), ("gift", "5.00", "INVALID_INPUT")],
)  # fmt: skip
async def test_a_posting_must_be_of_a_known_kind_and_a_positive_amount(
    hotel: Hotel, stay: dict[str, Any], kind: str, amount: str, code: str
) -> None:
    await refused(hotel, stay, kind, amount, code)


async def test_refunds_never_exceed_what_was_paid_and_not_yet_refunded(
    hotel: Hotel, stay: dict[str, Any]
) -> None:
    error = await refused(hotel, stay, "refund", "1.00", "INVALID_INPUT")
    assert error["field"] == ["amount"]
    await posted(hotel, stay, "charge", "30.00")
    await posted(hotel, stay, "payment", "100.00")
    assert await balance(hotel, stay) == "-70.00"
    refund = await posted(hotel, stay, "refund", "60.00")
    assert refund["line"]["amount"]["amount"] == "60.00"  # raises the balance
    assert refund["reservation"]["folio"]["balance"]["amount"] == "-10.00"
    await refused(hotel, stay, "refund", "40.01", "INVALID_INPUT")
    await posted(hotel, stay, "refund", "40.00")  # everything paid is back: balance 30.00
    await refused(hotel, stay, "refund", "0.01", "INVALID_INPUT")
    assert await balance(hotel, stay) == "30.00"
    await hotel.assert_folios_balance()


async def test_a_correction_takes_back_at_most_what_is_left_of_its_charge(
    hotel: Hotel, stay: dict[str, Any]
) -> None:
    minibar = (await posted(hotel, stay, "charge", "80.00"))["line"]
    payment = (await posted(hotel, stay, "payment", "10.00"))["line"]
    # A correction names the charge it corrects: nothing else will do.
    await refused(hotel, stay, "correction", "5.00", "NOT_FOUND")
    await refused(hotel, stay, "correction", "5.00", "NOT_FOUND", corrects=payment["id"])
    other = await hotel.book("other", arrive=0, nights=1, last_name="Hopper")
    elsewhere = (await posted(hotel, other, "charge", "80.00"))["line"]
    await refused(hotel, stay, "correction", "5.00", "NOT_FOUND", corrects=elsewhere["id"])

    first = await posted(hotel, stay, "correction", "30.00", corrects=minibar["id"])
    assert first["line"]["amount"]["amount"] == "-30.00"
    assert first["reservation"]["folio"]["balance"]["amount"] == "40.00"
    error = await refused(
        hotel, stay, "correction", "50.01", "INVALID_INPUT", corrects=minibar["id"]
    )
    assert error["field"] == ["amount"]
    await posted(hotel, stay, "correction", "50.00", corrects=minibar["id"])
    await refused(hotel, stay, "correction", "0.01", "INVALID_INPUT", corrects=minibar["id"])
    assert await balance(hotel, stay) == "-10.00"

    # A night the audit charged is corrected like any charge.
    await hotel.audit()
    night = next(x for x in (await folio(hotel, stay))["lines"] if x["source"] == "room")
    await posted(hotel, stay, "correction", "20.00", corrects=night["id"])
    assert await balance(hotel, stay) == "90.00"
    await hotel.assert_folios_balance()


async def test_corrects_on_a_charge_or_payment_does_not_open_room_for_a_larger_correction(
    hotel: Hotel, stay: dict[str, Any]
) -> None:
    minibar = (await posted(hotel, stay, "charge", "50.00"))["line"]
    await post(hotel, stay, "charge", "20.00", corrects=minibar["id"])
    await refused(hotel, stay, "correction", "50.01", "INVALID_INPUT", corrects=minibar["id"])


async def test_an_idempotency_key_posts_once(hotel: Hotel, stay: dict[str, Any]) -> None:
    first = await posted(hotel, stay, "charge", "12.00", idempotencyKey="bar-7")
    again = await posted(hotel, stay, "charge", "12.00", idempotencyKey="bar-7")
    assert again["line"]["id"] == first["line"]["id"]
    assert again["reservation"]["folio"]["balance"]["amount"] == "12.00"
    assert len((await folio(hotel, stay))["lines"]) == 1
    # The same key with another amount or kind is a mistake, not a retry.
    await refused(hotel, stay, "charge", "13.00", "CONFLICT", idempotencyKey="bar-7")
    await refused(hotel, stay, "payment", "12.00", "CONFLICT", idempotencyKey="bar-7")
    # Keys belong to a folio: another guest's bar-7 is their own.
    other = await hotel.book("other", arrive=0, nights=1, last_name="Hopper")
    await posted(hotel, other, "charge", "12.00", idempotencyKey="bar-7")
    assert await balance(hotel, other) == "12.00"
    # Without a key, the same posting twice is two postings.
    await posted(hotel, stay, "payment", "5.00")
    await posted(hotel, stay, "payment", "5.00")
    assert await balance(hotel, stay) == "2.00"
    await hotel.assert_folios_balance()


@pytest.mark.parametrize("kind", ["refund", "correction"])
async def test_retrying_a_refund_or_correction_returns_the_posted_line(
    hotel: Hotel, stay: dict[str, Any], kind: str
) -> None:
    charge = (await posted(hotel, stay, "charge", "40.00"))["line"]
    await posted(hotel, stay, "payment", "40.00")
    more = {"corrects": charge["id"]} if kind == "correction" else {}
    first = await posted(hotel, stay, kind, "40.00", idempotencyKey="once", **more)
    before = await hotel.snapshot()
    again = await post(hotel, stay, kind, "40.00", idempotencyKey="once", **more)
    assert again["errors"] == [], again
    assert again["line"]["id"] == first["line"]["id"]
    assert await hotel.snapshot() == before  # posted once
    await refused(hotel, stay, kind, "30.00", "CONFLICT", idempotencyKey="once", **more)


async def test_a_refused_posting_points_at_the_input_field_at_fault(
    hotel: Hotel, stay: dict[str, Any]
) -> None:
    error = await refused(hotel, stay, "correction", "5.00", "NOT_FOUND")
    assert error["field"] == ["corrects"]
    await posted(hotel, stay, "charge", "12.00", idempotencyKey="k")
    error = await refused(hotel, stay, "charge", "13.00", "CONFLICT", idempotencyKey="k")
    assert error["field"] == ["idempotencyKey"]


async def test_a_closed_folio_takes_no_new_postings(hotel: Hotel, stay: dict[str, Any]) -> None:
    early = await posted(hotel, stay, "payment", "15.00", idempotencyKey="tip")
    await posted(hotel, stay, "charge", "15.00")
    done = await hotel.ok("checkOutReservation", {"reservation": stay["id"]})
    assert done["reservation"]["folio"]["status"] == "closed"
    for kind in ("charge", "payment"):
        error = await refused(hotel, stay, kind, "1.00", "FOLIO_CLOSED")
        assert error["field"] == ["reservation"]
    # A retry of what was posted before it closed still answers with that line.
    retry = await posted(hotel, stay, "payment", "15.00", idempotencyKey="tip")
    assert retry["line"]["id"] == early["line"]["id"]
    await hotel.assert_folios_balance()


async def test_the_invoice_sums_charges_and_payments_net_of_corrections_and_refunds(
    hotel: Hotel, stay: dict[str, Any]
) -> None:
    minibar = (await posted(hotel, stay, "charge", "100.00"))["line"]
    await hotel.audit()  # night 0 charged: 120.00
    await posted(hotel, stay, "correction", "20.00", corrects=minibar["id"])
    await posted(hotel, stay, "payment", "150.00")
    await posted(hotel, stay, "refund", "30.00")
    data = await hotel.query(INVOICE, {"id": stay["id"]})
    invoice = data["node"]["folio"]["invoice"]
    assert {k: invoice[k] for k in ("number", "issuedAt", "guestName")} == {
        "number": stay["number"], "issuedAt": None, "guestName": "Ada Lovelace",
    }  # fmt: skip
    assert (invoice["charges"], invoice["payments"], invoice["balance"]) == (
        {"amount": "200.00"}, {"amount": "120.00"}, {"amount": "80.00"},
    )  # fmt: skip
    assert [(x["kind"], x["amount"]["amount"]) for x in invoice["lines"]] == [
        ("charge", "100.00"), ("charge", "120.00"), ("correction", "-20.00"),
        ("payment", "-150.00"), ("refund", "30.00"),
    ]  # fmt: skip
    assert await balance(hotel, stay) == invoice["balance"]["amount"]

    await posted(hotel, stay, "payment", "80.00")
    await hotel.ok("checkOutReservation", {"reservation": stay["id"]})
    closed = (await hotel.query(INVOICE, {"id": stay["id"]}))["node"]["folio"]
    assert closed["status"] == "closed"
    assert closed["invoice"]["issuedAt"] is not None
    assert (closed["invoice"]["payments"], closed["invoice"]["balance"]) == (
        {"amount": "200.00"}, {"amount": "0.00"},
    )  # fmt: skip
    await hotel.assert_folios_balance()
    # The check-out event tells who stayed and what the stay was worth (for a loyalty
    # programme or a CRM): charges net of corrections, whatever was paid.
    async with hotel.kit.transaction(hotel.prop) as session:
        event = await session.scalar(
            select(OutboxEvent).where(OutboxEvent.name == "pms_rooms.reservation_checked_out")
        )
    assert event is not None
    assert (event.payload["guest_email"], event.payload["charges_minor"]) == (
        "lovelace@ex.com", 20_000,
    )  # fmt: skip


# -- what outlets call (pos_bridge) -----------------------------------------------------


class ChargeListener:
    """Records the charges pms_rooms announces."""

    def __init__(self) -> None:
        self.charges: list[tuple[str, str, int, str]] = []

    @hookimpl
    def pms_rooms_charge_posted(self, reservation, line) -> None:
        self.charges.append((reservation.number, line.source, line.amount_minor, line.reference))


@pytest.fixture
def charges(hotel: Hotel) -> Iterator[ChargeListener]:
    listener = ChargeListener()
    manager = hotel.kit.runtime.host.manager
    manager.register(listener, name="charge-listener")
    try:
        yield listener
    finally:
        manager.unregister(listener)


class Outlet:
    """Calls pms_rooms' offered hooks the way pos_bridge will, in its own transaction."""

    def __init__(self, hotel: Hotel) -> None:
        self.hotel = hotel
        self.relay = hotel.kit.runtime.host.relay({"pms_rooms"})

    async def find(self, room: str, last_name: str) -> dict[str, Any] | None:
        async with self.hotel.kit.transaction(self.hotel.prop) as session:
            return await call_first_optional(
                self.relay, "pms_rooms_find_in_house_guest", session=session, room_number=room,
                last_name=last_name,
            )  # fmt: skip

    async def charge(
        self, reservation_id: int, amount_minor: int, reference: str, description: str = "Dinner"
    ) -> dict[str, Any]:
        async with self.hotel.kit.transaction(self.hotel.prop) as session:
            return await call_first_optional(
                self.relay, "pms_rooms_post_charge", session=session,
                reservation_id=reservation_id, amount_minor=amount_minor,
                description=description, reference=reference, source="pos",
                actor="pos:restaurant", clock=self.hotel.kit.clock, hooks=self.relay,
            )  # fmt: skip

    async def refused(
        self, reservation_id: int, amount_minor: int, reference: str, code: RoomsErrorCode
    ) -> DomainError:
        before = await self.hotel.snapshot()
        with pytest.raises(DomainError) as raised:
            await self.charge(reservation_id, amount_minor, reference)
        assert raised.value.code is code, raised.value
        assert await self.hotel.snapshot() == before
        return raised.value


@pytest.fixture
def outlet(hotel: Hotel) -> Outlet:
    return Outlet(hotel)


def pk(reservation: dict[str, Any]) -> int:
    return pk_of(reservation["id"], "Reservation")


async def test_an_outlet_finds_only_a_guest_in_house_under_their_name(
    hotel: Hotel, outlet: Outlet
) -> None:
    reservation = await hotel.book("pos", arrive=0, nights=2)
    assert await outlet.find("101", "lovelace") is None  # booked, not arrived
    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    await posted(hotel, reservation, "charge", "7.00")
    found = await outlet.find("101", "lovelace")
    assert found == {
        "reservation_id": pk(reservation), "reservation_number": reservation["number"],
        "guest_name": "Ada Lovelace", "departure": dt.date.fromisoformat(hotel.day(2)),
        "balance_minor": 700, "credit_limit_minor": 0, "no_post": False,
    }  # fmt: skip
    assert await outlet.find(" 101 ", "  LOVELACE ") == found
    assert await outlet.find("101", "Hopper") is None  # someone else's name
    assert await outlet.find("102", "Lovelace") is None  # nobody in 102
    assert await outlet.find("999", "Lovelace") is None  # no such room
    # Moved rooms: found in the new one only.
    await hotel.ok("moveReservationRoom", {"reservation": reservation["id"], "room": "103"})
    assert await outlet.find("101", "Lovelace") is None
    assert (await outlet.find("103", "Lovelace"))["reservation_number"] == reservation["number"]
    await posted(hotel, reservation, "payment", "7.00")
    await hotel.ok("checkOutReservation", {"reservation": reservation["id"]})
    assert await outlet.find("103", "Lovelace") is None  # gone


async def test_an_outlet_charges_an_in_house_guest_once_per_reference(
    hotel: Hotel, stay: dict[str, Any], outlet: Outlet, charges: ChargeListener
) -> None:
    first = await outlet.charge(pk(stay), 1850, "sale-1")
    again = await outlet.charge(pk(stay), 1850, "sale-1")
    assert again == first
    assert first["balance_minor"] == 1850
    lines = (await folio(hotel, stay))["lines"]
    shown = [(x["source"], x["description"], x["amount"]["amount"], x["reference"]) for x in lines]
    assert shown == [("pos", "Dinner", "18.50", "sale-1")]
    assert charges.charges == [(stay["number"], "pos", 1850, "sale-1")]  # announced once
    # The same reference for another amount is refused.
    await outlet.refused(pk(stay), 900, "sale-1", RoomsErrorCode.CONFLICT)
    second = await outlet.charge(pk(stay), 900, "sale-2")
    assert second["balance_minor"] == 2750
    # On the departure day the guest is still in house until checked out.
    await hotel.audit()
    await hotel.audit()
    assert (await hotel.query("{ hotelSettings { businessDate } }"))["hotelSettings"] == {
        "businessDate": hotel.day(2)
    }
    third = await outlet.charge(pk(stay), 450, "sale-3", description="Breakfast")
    assert third["balance_minor"] == 2750 + 2 * 12000 + 450
    await hotel.assert_folios_balance()


async def test_an_outlet_cannot_charge_a_stay_not_in_house(
    hotel: Hotel, stay: dict[str, Any], outlet: Outlet
) -> None:
    confirmed = await hotel.book("not-yet", arrive=1, nights=1, last_name="Hopper")
    error = await outlet.refused(pk(confirmed), 500, "sale-1", RoomsErrorCode.NOT_IN_HOUSE)
    assert error.field == ["reservation"]
    dinner = await outlet.charge(pk(stay), 2500, "sale-0")
    await posted(hotel, stay, "payment", "25.00")
    await hotel.ok("checkOutReservation", {"reservation": stay["id"]})  # left early, paid up
    await outlet.refused(pk(stay), 500, "sale-2", RoomsErrorCode.NOT_IN_HOUSE)
    # The till's retry of a sale posted before the guest left gets that posting back.
    retry = await outlet.charge(pk(stay), 2500, "sale-0")
    assert (retry["line_id"], retry["folio_id"]) == (dinner["line_id"], dinner["folio_id"])
    assert retry["balance_minor"] == 0  # the balance as it is now
    await outlet.refused(pk(stay), 2600, "sale-0", RoomsErrorCode.CONFLICT)
    canceled = await hotel.book("gone", arrive=3, nights=1, last_name="Gone")
    await hotel.ok("cancelReservation", {"reservation": canceled["id"]})
    await outlet.refused(pk(canceled), 500, "sale-3", RoomsErrorCode.NOT_IN_HOUSE)
    await outlet.refused(10_000_000, 500, "sale-4", RoomsErrorCode.NOT_FOUND)


async def test_no_post_and_the_credit_limit_stop_outlet_charges(
    hotel: Hotel, stay: dict[str, Any], outlet: Outlet
) -> None:
    billing = await hotel.ok("setReservationBilling", {"reservation": stay["id"], "noPost": True})
    assert billing["reservation"]["noPost"] is True
    await outlet.refused(pk(stay), 500, "sale-1", RoomsErrorCode.NO_POST)
    assert (await outlet.find("101", "Lovelace"))["no_post"] is True
    # Staff may still post to the folio themselves.
    await posted(hotel, stay, "charge", "10.00")

    billing = await hotel.ok(
        "setReservationBilling",
        {"reservation": stay["id"], "noPost": False, "creditLimit": "100.00"},
    )
    assert (billing["reservation"]["noPost"], billing["reservation"]["creditLimit"]) == (
        False, {"amount": "100.00", "currency": "EUR"},
    )  # fmt: skip
    assert (await outlet.find("101", "Lovelace"))["credit_limit_minor"] == 10000
    await outlet.refused(pk(stay), 9001, "sale-2", RoomsErrorCode.CREDIT_LIMIT_EXCEEDED)
    at_limit = await outlet.charge(pk(stay), 9000, "sale-3")  # exactly the limit
    assert at_limit["balance_minor"] == 10000
    await outlet.refused(pk(stay), 1, "sale-4", RoomsErrorCode.CREDIT_LIMIT_EXCEEDED)
    assert await outlet.charge(pk(stay), 9000, "sale-3") == at_limit  # a retry still answers
    # A payment makes room under the limit again.
    await posted(hotel, stay, "payment", "50.00")
    assert (await outlet.charge(pk(stay), 5000, "sale-5"))["balance_minor"] == 10000
    # Limit 0: none.
    await hotel.ok("setReservationBilling", {"reservation": stay["id"], "creditLimit": "0"})
    assert (await outlet.charge(pk(stay), 100000, "sale-6"))["balance_minor"] == 110000
    await hotel.fails(
        "setReservationBilling", {"reservation": stay["id"], "creditLimit": "-1.00"},
        "INVALID_INPUT",
    )  # fmt: skip
    await hotel.assert_folios_balance()


async def test_the_default_credit_limit_applies_to_new_bookings(
    hotel: Hotel, outlet: Outlet
) -> None:
    await hotel.ok("updateHotelSettings", {"defaultCreditLimit": "50.00"})
    reservation = await hotel.book("limited", arrive=0, nights=1)
    assert reservation["creditLimit"]["amount"] == "50.00"
    await hotel.ok("checkInReservation", {"reservation": reservation["id"]})
    await outlet.refused(pk(reservation), 5001, "sale-1", RoomsErrorCode.CREDIT_LIMIT_EXCEEDED)


@pytest.mark.parametrize("amount_minor", [0, -5000])
async def test_an_outlet_charge_must_be_positive(
    hotel: Hotel, stay: dict[str, Any], outlet: Outlet, amount_minor: int
) -> None:
    await outlet.refused(pk(stay), amount_minor, "void-1", RoomsErrorCode.INVALID_INPUT)
