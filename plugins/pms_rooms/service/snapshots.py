"""Frozen copies handed to other plugins' hooks: they cannot write our tables."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from plugins.pms_rooms.models import FolioLine, Reservation


@dataclass(frozen=True)
class ReservationSnapshot:
    id: int
    number: str
    status: str
    guest_id: int
    room_type_id: int
    room_id: int | None
    arrival: dt.date
    departure: dt.date
    adults: int
    children: int
    channel: str
    total_minor: int

    @classmethod
    def of(cls, row: Reservation) -> ReservationSnapshot:
        return cls(
            id=row.id, number=row.number, status=row.status, guest_id=row.guest_id,
            room_type_id=row.room_type_id, room_id=row.room_id, arrival=row.arrival,
            departure=row.departure, adults=row.adults, children=row.children,
            channel=row.channel, total_minor=row.total_minor,
        )  # fmt: skip

    def payload(self) -> dict[str, object]:
        """The JSON form recorded in ``pms_rooms.*`` events."""
        return {
            "reservation_id": self.id, "number": self.number, "status": self.status,
            "guest_id": self.guest_id, "room_type_id": self.room_type_id,
            "room_id": self.room_id, "arrival": self.arrival.isoformat(),
            "departure": self.departure.isoformat(), "adults": self.adults,
            "children": self.children, "channel": self.channel, "total_minor": self.total_minor,
        }  # fmt: skip


@dataclass(frozen=True)
class FolioLineSnapshot:
    id: int
    folio_id: int
    kind: str
    source: str
    description: str
    amount_minor: int
    business_date: dt.date
    reference: str

    @classmethod
    def of(cls, row: FolioLine) -> FolioLineSnapshot:
        return cls(
            id=row.id, folio_id=row.folio_id, kind=row.kind, source=row.source,
            description=row.description, amount_minor=row.amount_minor,
            business_date=row.business_date, reference=row.reference,
        )  # fmt: skip
