"""Guest profiles: contact details and preferences; their stays are their reservations."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from plugins.pms_rooms.models import Guest
from plugins.pms_rooms.service.errors import invalid, not_found


@dataclass(frozen=True)
class GuestSpec:
    last_name: str
    first_name: str = ""
    email: str = ""
    phone: str = ""
    preferences: tuple[str, ...] = ()
    note: str = ""

    def validated(self, field: list[str]) -> GuestSpec:
        last = self.last_name.strip()
        if not last or len(last) > 100 or len(self.first_name) > 100:
            raise invalid("a guest needs a last name (up to 100 characters)", [*field, "lastName"])
        email = self.email.strip().lower()
        if email and ("@" not in email or len(email) > 320):
            raise invalid(f"{email!r} is not an e-mail address", [*field, "email"])
        if len(self.phone) > 40:
            raise invalid("a phone number has at most 40 characters", [*field, "phone"])
        if len(self.note) > 2000:
            raise invalid("a note has at most 2000 characters", [*field, "note"])
        if len(self.preferences) > 30 or any(len(p) > 100 for p in self.preferences):
            raise invalid("at most 30 preferences of up to 100 characters", [*field, "preferences"])
        return GuestSpec(
            last, self.first_name.strip(), email, self.phone.strip(),
            tuple(p.strip() for p in self.preferences if p.strip()), self.note.strip(),
        )  # fmt: skip


async def guest_for_booking(session: AsyncSession, spec: GuestSpec, clock: Clock) -> Guest:
    """The profile with this e-mail and last name if there is one (a returning guest),
    else a new profile. Details are filled in, never overwritten by a booking."""
    spec = spec.validated(["guest"])
    guest = None
    if spec.email:
        # Compared in Python: SQLite's lower() folds ASCII only ("Öztürk").
        same_email = await session.scalars(
            select(Guest).where(Guest.email == spec.email).order_by(Guest.id)
        )
        wanted = spec.last_name.casefold()
        guest = next((g for g in same_email if g.last_name.casefold() == wanted), None)
    if guest is None:
        guest = Guest(
            first_name=spec.first_name, last_name=spec.last_name, email=spec.email,
            phone=spec.phone, preferences=list(spec.preferences), note=spec.note,
            created_at=clock.now(),
        )  # fmt: skip
        session.add(guest)
        await session.flush()
        return guest
    guest.first_name = guest.first_name or spec.first_name
    guest.phone = guest.phone or spec.phone
    guest.preferences = list(dict.fromkeys([*guest.preferences, *spec.preferences]))
    return guest


async def update_guest(session: AsyncSession, guest_id: int, spec: GuestSpec) -> Guest:
    guest = await session.scalar(select(Guest).where(Guest.id == guest_id).with_for_update())
    if guest is None:
        raise not_found("guest", ["guest"])
    spec = spec.validated([])
    guest.last_name, guest.first_name, guest.email = spec.last_name, spec.first_name, spec.email
    guest.phone, guest.preferences, guest.note = spec.phone, list(spec.preferences), spec.note
    await session.flush()
    return guest
