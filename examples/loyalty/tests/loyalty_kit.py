"""A property running loyalty, driven over GraphQL like its staff and its other plugins
would: enrol, pay and refund orders (oms_orders), check guests out (pms_rooms), redeem.
The database is read directly only to prove that balances equal their ledgers and that a
refused request changed nothing."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from core.events import OutboxEvent
from core.testing import ConciergeTestKit, PropertyClient, PropertyRef, TenantRef
from sqlalchemy import func, select

from loyalty.models import Entry, LoyaltySettings, Member

MEMBER = "id email name balance lifetimePoints lastActivityAt"
ERRORS = "errors { code field message ... on LoyaltyError { balance } }"
MUTATIONS: dict[str, tuple[str, str]] = {
    "enrollLoyaltyMember": ("EnrollLoyaltyMemberInput", f"member {{ {MEMBER} }}"),
    "redeemLoyaltyPoints": (
        "RedeemLoyaltyPointsInput",
        f"entry {{ id kind points origin note }} member {{ {MEMBER} }}",
    ),
    "updateLoyaltySettings": (
        "UpdateLoyaltySettingsInput",
        "settings { pointsPerOrderUnit pointsPerStayUnit expiryDays }",
    ),
    # Other plugins' mutations that make loyalty's events happen.
    "placeOrder": ("PlaceOrderInput", "order { id number total { amount } }"),
    "recordOrderPayment": ("RecordOrderPaymentInput", "payment { id }"),
    "refundOrder": ("RefundOrderInput", "payment { id }"),
    "createRoomType": ("CreateRoomTypeInput", "roomType { id }"),
    "createRoom": ("CreateRoomInput", "room { id }"),
    "createRatePlan": ("CreateRatePlanInput", "ratePlan { id }"),
    "bookReservation": ("BookReservationInput", "reservations { id number }"),
    "checkInReservation": ("ReservationInput", "reservation { id }"),
    "postFolioEntry": ("PostFolioEntryInput", "reservation { folio { balance { amount } } }"),
    "checkOutReservation": ("CheckOutInput", "reservation { status }"),
}


@dataclass
class Desk(PropertyClient):
    kit: ConciergeTestKit
    tenant: TenantRef
    prop: PropertyRef

    def mutation_document(self, name: str) -> str:
        input_type, selection = MUTATIONS[name]
        errors = (
            ERRORS
            if name in ("enrollLoyaltyMember", "redeemLoyaltyPoints", "updateLoyaltySettings")
            else "errors { code message }"
        )
        return (
            f"mutation($input: {input_type}!) {{ {name}(input: $input) {{"
            f" {selection} {errors} }} }}"
        )

    async def enroll(self, email: str, name: str = "") -> dict[str, Any]:
        return (await self.ok("enrollLoyaltyMember", {"email": email, "name": name}))["member"]

    async def member(self, email: str) -> dict[str, Any] | None:
        data = await self.query(
            "query($e: String!) { loyaltyMembers(email: $e) {"
            f" edges {{ node {{ {MEMBER} }} }} }} }}",
            {"e": email},
        )
        edges = data["loyaltyMembers"]["edges"]
        return edges[0]["node"] if edges else None

    async def balance(self, email: str) -> int:
        member = await self.member(email)
        assert member is not None, email
        return member["balance"]

    async def entries(self, email: str) -> list[tuple[str, int, str]]:
        """(kind, points, origin) of a member's entries, oldest first."""
        member = await self.member(email)
        assert member is not None, email
        data = await self.query(
            "query($m: ID!) { loyaltyEntries(member: $m, first: 100) {"
            " edges { node { kind points origin member { email } } } } }",
            {"m": member["id"]},
        )
        nodes = [edge["node"] for edge in data["loyaltyEntries"]["edges"]]
        assert {node["member"]["email"] for node in nodes} <= {email}
        return [(n["kind"], n["points"], n["origin"]) for n in reversed(nodes)]

    # -- the shop's side -----------------------------------------------------------------

    async def paid_order(self, key: str, email: str, amount: str) -> dict[str, Any]:
        """An order of one line for ``amount``, paid in full; the order and its payment."""
        order = (
            await self.ok(
                "placeOrder",
                {
                    "idempotencyKey": key,
                    "email": email,
                    "confirm": True,
                    "lines": [{"sku": "MUG", "quantity": 1, "unitPrice": amount, "name": "Mug"}],
                },
            )  # fmt: skip
        )["order"]
        payment = await self.ok(
            "recordOrderPayment", {"order": order["id"], "amount": amount, "method": "card"}
        )
        return {**order, "payment": payment["payment"]}

    async def refund(self, order: dict[str, Any], amount: str) -> None:
        await self.ok("refundOrder", {"order": order["id"], "amount": amount, "method": "card"})

    # -- checks ----------------------------------------------------------------------------

    async def snapshot(self) -> dict[str, Any]:
        """Every row a refused request must leave as it was."""
        return await self.rows(Member, Entry, LoyaltySettings, OutboxEvent)

    async def assert_balances_match_entries(self) -> None:
        """Each member's balance is the sum of their entries, and lifetime points the sum
        of what they earned."""
        async with self.kit.transaction(self.prop) as session:
            sums = dict(
                (
                    await session.execute(
                        select(Entry.member_id, func.sum(Entry.points)).group_by(Entry.member_id)
                    )
                ).all()
            )
            earned = dict(
                (
                    await session.execute(
                        select(Entry.member_id, func.sum(Entry.points))
                        .where(Entry.kind == "earn")
                        .group_by(Entry.member_id)
                    )
                ).all()
            )
            for member in await session.scalars(select(Member)):
                assert member.balance == int(sums.get(member.id, 0)), member.email
                assert member.lifetime_points == int(earned.get(member.id, 0)), member.email


async def shop(kit: ConciergeTestKit, slug: str = "acme-shop") -> Desk:
    """A shop running oms_orders (no catalog: lines carry prices) and loyalty."""
    tenant = await kit.tenant(slug.split("-")[0])
    prop = await kit.property(tenant, slug, plugins=["oms_orders", "loyalty"])
    return Desk(kit, tenant, prop)


async def hotel(kit: ConciergeTestKit, slug: str = "sea-hotel") -> Desk:
    """A hotel running pms_rooms and loyalty: one double room, 120.00 a night."""
    tenant = await kit.tenant(slug.split("-")[0])
    prop = await kit.property(tenant, slug, plugins=["pms_rooms", "loyalty"])
    desk = Desk(kit, tenant, prop)
    await desk.ok("createRoomType", {"code": "DBL", "name": "Double", "capacity": 2})
    await desk.ok("createRoom", {"number": "101", "roomType": "DBL", "floor": "1"})
    await desk.ok(
        "createRatePlan",
        {"code": "BAR", "name": "Best available", "roomType": "DBL", "price": "120.00"},
    )
    return desk
