"""Helpers of the pms_rooms tests (fixtures in tests/plugins/pms_rooms/conftest.py).

A ``Hotel`` is a property with pms_rooms, set up over GraphQL like a hotel
manager would: room types DBL (capacity 2, rooms 101-104) and STE (capacity 4,
room 301), rate plans BAR-DBL (120.00 a night, free cancellation until 2 days
before arrival, then the first night) and BAR-STE (300.00, minimum 2 nights,
free until 7 days before, then 50 %). Everything goes through the real app;
the database is read directly only to prove a refused request changed nothing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select

from core.events import OutboxEvent
from core.testing import ConciergeTestKit, PropertyClient, PropertyRef, TenantRef
from plugins.pms_rooms import models

ROOMS = "pms_rooms"
ERROR_FIELDS = "code field message room"
MONEY = "{ amount currency }"
RESERVATION_FIELDS = (
    "id number bookingNumber status arrival departure adults children channel noPost"
    f" total {MONEY} creditLimit {MONEY} checkedInAt checkedOutAt canceledAt"
    " room { number } roomType { code } ratePlan { code } guest { id lastName firstName }"
    " nights { date price { amount } roomNumber }"
    " history { kind detail actor }"
    f" folio {{ id number status balance {MONEY} closeNote"
    " lines { id kind source description amount { amount } businessDate reference } }"
)

MUTATIONS: dict[str, tuple[str, str]] = {
    "createRoomType": ("CreateRoomTypeInput", "roomType { id code capacity }"),
    "createRoom": ("CreateRoomInput", "room { id number roomType { code } }"),
    "createRatePlan": ("CreateRatePlanInput", "ratePlan { id code basePrice { amount } }"),
    "setRateOverride": ("SetRateOverrideInput", "ratePlan { id code }"),
    "updateHotelSettings": (
        "UpdateHotelSettingsInput",
        "settings { checkInTime checkOutTime businessDate defaultCreditLimit { amount } }",
    ),
    "bookReservation": (
        "BookReservationInput",
        f"bookingNumber created reservations {{ {RESERVATION_FIELDS} }}",
    ),
    "changeReservation": ("ChangeReservationInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "cancelReservation": ("CancelReservationInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "markNoShow": ("ReservationInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "checkInReservation": ("ReservationInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "revertCheckIn": ("ReservationInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "checkOutReservation": ("CheckOutInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "moveReservationRoom": ("MoveRoomInput", f"reservation {{ {RESERVATION_FIELDS} }}"),
    "postFolioEntry": (
        "PostFolioEntryInput",
        f"reservation {{ {RESERVATION_FIELDS} }} line {{ id kind amount {{ amount }} }}",
    ),
    "setReservationBilling": (
        "SetReservationBillingInput",
        f"reservation {{ {RESERVATION_FIELDS} }}",
    ),
    "updateGuest": ("UpdateGuestInput", "guest { id lastName email preferences }"),
}


def mutation_document(name: str) -> str:
    input_type, selection = MUTATIONS[name]
    return (
        f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
        f" {selection} errors {{ {ERROR_FIELDS} }} }} }}"
    )


AUDIT = (
    "mutation { runNightAudit { closedBusinessDate businessDate roomCharges noShows overstays"
    f" errors {{ {ERROR_FIELDS} }} }} }}"
)


@dataclass
class Hotel(PropertyClient):
    kit: ConciergeTestKit
    tenant: TenantRef
    prop: PropertyRef
    today: dt.date  # the business date when set up

    def mutation_document(self, name: str) -> str:
        return mutation_document(name)

    def day(self, offset: int) -> str:
        return (self.today + dt.timedelta(days=offset)).isoformat()

    async def book(
        self,
        key: str,
        *,
        arrive: int = 0,
        nights: int = 2,
        room_type: str = "DBL",
        last_name: str = "Lovelace",
        **stay: Any,
    ) -> dict[str, Any]:
        """Book one stay ``arrive`` days after setup for ``nights``; the reservation."""
        input = {
            "idempotencyKey": key,
            "guest": {"lastName": last_name, "firstName": "Ada", "email": f"{last_name}@ex.com"},
            "stays": [{
                "roomType": room_type, "ratePlan": f"BAR-{room_type}",
                "arrival": self.day(arrive), "departure": self.day(arrive + nights), **stay,
            }],
        }  # fmt: skip
        payload = await self.ok("bookReservation", input)
        (reservation,) = payload["reservations"]
        return reservation

    async def reservation(self, reservation_id: str) -> dict[str, Any]:
        data = await self.query(
            "query($id: ID!) { node(id: $id) { ... on Reservation {"
            f" {RESERVATION_FIELDS} }} }} }}",
            {"id": reservation_id},
        )
        return data["node"]

    async def audit(self) -> dict[str, Any]:
        """Move the clock to the next local day and run the night audit by hand."""
        self.kit.clock.advance(dt.timedelta(days=1))
        payload = (await self.request(AUDIT)).ok()["runNightAudit"]
        assert payload["errors"] == [], payload
        return payload

    async def snapshot(self) -> dict[str, Any]:
        """Every row a refused request must leave as it was."""
        m = models
        return await self.rows(
            m.HotelSettings, m.RoomType, m.Room, m.RatePlan, m.RateOverride, m.Guest,
            m.Booking, m.Reservation, m.RoomNight, m.ReservationEvent, m.Folio, m.FolioLine,
            OutboxEvent,
        )  # fmt: skip

    async def assert_folios_balance(self) -> None:
        """Every folio's balance equals the sum of its lines."""
        async with self.kit.transaction(self.prop) as session:
            sums = dict(
                (
                    await session.execute(
                        select(
                            models.FolioLine.folio_id, func.sum(models.FolioLine.amount_minor)
                        ).group_by(models.FolioLine.folio_id)
                    )
                ).all()
            )
            for folio in await session.scalars(select(models.Folio)):
                assert folio.balance_minor == int(sums.get(folio.id, 0)), folio.number

    async def check_out_settled(self, reservation_id: str) -> dict[str, Any]:
        """Pay whatever the folio owes, then check out; the reservation."""
        balance = (await self.reservation(reservation_id))["folio"]["balance"]["amount"]
        if balance != "0.00":
            await self.ok(
                "postFolioEntry",
                {"reservation": reservation_id, "kind": "payment", "amount": balance,
                 "description": "Card"},
            )  # fmt: skip
        return (await self.ok("checkOutReservation", {"reservation": reservation_id}))[
            "reservation"
        ]

    async def room_nights(self) -> list[tuple[str, str, str]]:
        """(room number, night, reservation number) of every sold room night."""
        async with self.kit.transaction(self.prop) as session:
            rows = await session.execute(
                select(models.Room.number, models.RoomNight.night, models.Reservation.number)
                .join(models.Room, models.Room.id == models.RoomNight.room_id)
                .join(models.Reservation, models.Reservation.id == models.RoomNight.reservation_id)
                .order_by(models.RoomNight.night, models.Room.number)
            )
            return [(room, night.isoformat(), number) for room, night, number in rows]


async def set_up_hotel(
    kit: ConciergeTestKit,
    slug: str = "sea-hotel",
    *,
    plugins: tuple[str, ...] = (ROOMS,),
    tenant: TenantRef | None = None,
    **fields: Any,
) -> Hotel:
    tenant = tenant or await kit.tenant(slug.split("-")[0])
    prop = await kit.property(tenant, slug, plugins=plugins, **fields)
    hotel = Hotel(kit=kit, tenant=tenant, prop=prop, today=dt.date.min)
    settings = await hotel.query("{ hotelSettings { businessDate } }")
    hotel.today = dt.date.fromisoformat(settings["hotelSettings"]["businessDate"])
    await hotel.ok("createRoomType", {"code": "DBL", "name": "Double", "capacity": 2})
    await hotel.ok("createRoomType", {"code": "STE", "name": "Suite", "capacity": 4})
    for number in ("101", "102", "103", "104"):
        await hotel.ok("createRoom", {"number": number, "roomType": "DBL", "floor": "1"})
    await hotel.ok("createRoom", {"number": "301", "roomType": "STE", "floor": "3"})
    await hotel.ok(
        "createRatePlan",
        {"code": "BAR-DBL", "name": "Best available", "roomType": "DBL", "price": "120.00",
         "freeCancellationDays": 2},
    )  # fmt: skip
    await hotel.ok(
        "createRatePlan",
        {"code": "BAR-STE", "name": "Best available", "roomType": "STE", "price": "300.00",
         "minStay": 2, "freeCancellationDays": 7, "cancellationFeeKind": "percent",
         "cancellationFeeValue": "50"},
    )  # fmt: skip
    return hotel
