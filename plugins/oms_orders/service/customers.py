"""Customers: contact details and addresses, found again by e-mail."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import session_scope, upsert_insert
from core.errors import DomainError
from plugins.oms_orders.models import Customer
from plugins.oms_orders.service.errors import OrderErrorCode, invalid, not_found

MAX_ADDRESSES = 20


@dataclass(frozen=True)
class AddressSpec:
    line1: str
    city: str
    country: str
    name: str = ""
    line2: str = ""
    postal_code: str = ""
    region: str = ""
    phone: str = ""

    def validated(self, field: list[str]) -> dict[str, str]:
        if not self.line1.strip() or not self.city.strip():
            raise invalid("an address needs a street line and a city", field)
        country = self.country.strip().upper()
        if len(country) != 2 or not country.isalpha():
            raise invalid("country is a two-letter ISO 3166 code, such as DE", [*field, "country"])
        values = {
            "name": self.name, "line1": self.line1, "line2": self.line2, "city": self.city,
            "postal_code": self.postal_code, "region": self.region, "country": country,
            "phone": self.phone,
        }  # fmt: skip
        for key, value in values.items():
            if len(value) > 200:
                raise invalid(f"{key} has at most 200 characters", [*field, key])
        return {k: v.strip() for k, v in values.items()}


def normalized_email(email: str, field: list[str]) -> str:
    email = email.strip().lower()
    local, at, domain = email.partition("@")
    if not (local and at and "." in domain) or len(email) > 320 or " " in email:
        raise invalid(f"{email!r} is not an e-mail address", field)
    return email


def _text(value: str, limit: int, field: list[str]) -> str:
    value = value.strip()
    if len(value) > limit:
        raise invalid(f"at most {limit} characters", field)
    return value


async def _insert(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    phone: str,
    clock: Clock,
    addresses: list[dict[str, Any]] | None = None,
    note: str = "",
) -> bool:
    """Insert a customer unless one with ``email`` exists, even one a concurrent request
    is inserting right now; returns whether this call inserted it."""
    scope = session_scope(session)
    result = await session.execute(
        upsert_insert(session, Customer)
        .values(
            tenant_id=scope.tenant_id, property_id=scope.property_id, email=email, name=name,
            phone=phone, addresses=addresses or [], note=note, created_at=clock.now(),
        )
        .on_conflict_do_nothing(index_elements=["property_id", "email"])
    )  # fmt: skip
    return bool(result.rowcount)


async def customer_by_email(session: AsyncSession, email: str) -> Customer | None:
    return await session.scalar(select(Customer).where(Customer.email == email))


async def customer_for_order(
    session: AsyncSession, *, email: str, name: str, phone: str, clock: Clock
) -> Customer:
    """The customer with this e-mail, created on their first order (race-safe: two first
    orders at once make one customer). Empty contact details are filled in, never
    overwritten: a checkout form does not rename a known customer."""
    customer = await customer_by_email(session, email)
    if customer is None:
        await _insert(session, email=email, name=name, phone=phone, clock=clock)
        customer = await customer_by_email(session, email)
        assert customer is not None
    if name and not customer.name:
        customer.name = name
    if phone and not customer.phone:
        customer.phone = phone
    return customer


async def create_customer(
    session: AsyncSession,
    *,
    email: str,
    name: str,
    phone: str,
    addresses: list[AddressSpec],
    note: str,
    clock: Clock,
) -> Customer:
    email = normalized_email(email, ["email"])
    inserted = await _insert(
        session, email=email, name=_text(name, 200, ["name"]), phone=_text(phone, 40, ["phone"]),
        addresses=_addresses(addresses), note=_text(note, 2000, ["note"]), clock=clock,
    )  # fmt: skip
    if not inserted:
        raise DomainError(
            OrderErrorCode.CONFLICT, f"a customer with e-mail {email} exists", field=["email"]
        )
    customer = await customer_by_email(session, email)
    assert customer is not None
    return customer


def _addresses(addresses: list[AddressSpec]) -> list[dict[str, Any]]:
    if len(addresses) > MAX_ADDRESSES:
        raise invalid(f"at most {MAX_ADDRESSES} addresses", ["addresses"])
    return [a.validated(["addresses", str(i)]) for i, a in enumerate(addresses)]


async def update_customer(
    session: AsyncSession,
    customer_id: int,
    *,
    name: str | None,
    phone: str | None,
    email: str | None,
    addresses: list[AddressSpec] | None,
    note: str | None,
) -> Customer:
    customer = await session.scalar(
        select(Customer).where(Customer.id == customer_id).with_for_update()
    )
    if customer is None:
        raise not_found("customer", ["customer"])
    if email is not None:
        email = normalized_email(email, ["email"])
        other = await customer_by_email(session, email)
        if other is not None and other.id != customer.id:
            raise DomainError(
                OrderErrorCode.CONFLICT, f"a customer with e-mail {email} exists", field=["email"]
            )
        customer.email = email
    if name is not None:
        customer.name = _text(name, 200, ["name"])
    if phone is not None:
        customer.phone = _text(phone, 40, ["phone"])
    if addresses is not None:
        customer.addresses = _addresses(addresses)
    if note is not None:
        customer.note = _text(note, 2000, ["note"])
    await session.flush()
    return customer
