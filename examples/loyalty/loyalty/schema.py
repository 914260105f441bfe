"""GraphQL of loyalty: thin, it calls service.py."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any, ClassVar

import strawberry
from core.graphql import Connection, Error, load_nodes, paginate, pk_of
from core.graphql.loaders import one_by, request_loader
from core.graphql.mutations import in_transaction
from core.graphql.permissions import requires
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from strawberry import relay
from strawberry.types import Info

from loyalty import service
from loyalty.models import Entry, LoyaltySettings, Member

LoyaltyErrorCodeEnum = strawberry.enum(service.LoyaltyErrorCode, name="LoyaltyErrorCode")


@strawberry.type
class LoyaltyError(Error):
    code: LoyaltyErrorCodeEnum  # type: ignore[valid-type]
    balance: int | None = strawberry.field(
        default=None, description="The member's points, when there were too few."
    )


@strawberry.type(description="A customer or guest who collects points at this property.")
class LoyaltyMember(relay.Node):
    read_permission: ClassVar[str | None] = "loyalty:read"

    id: relay.NodeID[int]
    email: str
    name: str
    balance: int = strawberry.field(description="Points to spend (below 0 after a refund).")
    lifetime_points: int = strawberry.field(description="Every point ever earned.")
    enrolled_at: dt.datetime
    last_activity_at: dt.datetime = strawberry.field(
        description="Last earning or redemption; the balance expires after the property's "
        "expiryDays without one."
    )

    @classmethod
    def from_row(cls, row: Member) -> LoyaltyMember:
        return cls(
            id=row.id, email=row.email, name=row.name, balance=row.balance,
            lifetime_points=row.lifetime_points, enrolled_at=row.enrolled_at,
            last_activity_at=row.last_activity_at,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info, Member, node_ids, cls.from_row)


@strawberry.type(description="One change of a member's points.")
class LoyaltyEntry(relay.Node):
    read_permission: ClassVar[str | None] = "loyalty:read"

    id: relay.NodeID[int]
    kind: str = strawberry.field(description="earn, reverse (a refund), redeem or expire.")
    points: int
    origin: str = strawberry.field(description="What it came from: order:<n>, stay:<n>, ...")
    note: str
    created_at: dt.datetime
    member_id: strawberry.Private[int]

    @strawberry.field
    async def member(self, info: Info) -> LoyaltyMember:
        # One query for a whole page of entries (a DataLoader), not one per entry.
        loader = request_loader(info, "loyalty.member", one_by(Member))
        return LoyaltyMember.from_row(await loader.load(self.member_id))

    @classmethod
    def from_row(cls, row: Entry) -> LoyaltyEntry:
        return cls(
            id=row.id, kind=row.kind, points=row.points, origin=row.origin, note=row.note,
            created_at=row.created_at, member_id=row.member_id,
        )  # fmt: skip

    @classmethod
    async def resolve_nodes(
        cls, *, info: Info, node_ids: Iterable[str], required: bool = False
    ) -> list[Any]:
        return await load_nodes(info, Entry, node_ids, cls.from_row)


@strawberry.type
class LoyaltySettingsType:
    points_per_order_unit: int
    points_per_stay_unit: int
    expiry_days: int = strawberry.field(description="0: points never expire.")

    @classmethod
    def from_row(cls, row: LoyaltySettings) -> LoyaltySettingsType:
        return cls(
            points_per_order_unit=row.points_per_order_unit,
            points_per_stay_unit=row.points_per_stay_unit, expiry_days=row.expiry_days,
        )  # fmt: skip


@strawberry.input
class EnrollLoyaltyMemberInput:
    email: str
    name: str = ""


@strawberry.type
class EnrollLoyaltyMemberPayload:
    member: LoyaltyMember | None = None
    errors: list[LoyaltyError] = strawberry.field(default_factory=list)


@strawberry.input
class RedeemLoyaltyPointsInput:
    email: str
    points: int
    reference: str = strawberry.field(
        description="The bill or voucher: a retry with it returns the first redemption."
    )
    note: str = ""


@strawberry.type
class RedeemLoyaltyPointsPayload:
    entry: LoyaltyEntry | None = None
    member: LoyaltyMember | None = None
    errors: list[LoyaltyError] = strawberry.field(default_factory=list)


@strawberry.input
class UpdateLoyaltySettingsInput:
    points_per_order_unit: int | None = None
    points_per_stay_unit: int | None = None
    expiry_days: int | None = None


@strawberry.type
class UpdateLoyaltySettingsPayload:
    settings: LoyaltySettingsType | None = None
    errors: list[LoyaltyError] = strawberry.field(default_factory=list)


@strawberry.type
class LoyaltyQuery:
    @strawberry.field(permission_classes=requires("loyalty:read"))
    async def loyalty_members(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        email: str | None = None,
    ) -> Connection[LoyaltyMember]:
        statement = select(Member)
        if email is not None:
            statement = statement.where(Member.email == email.strip().lower())
        page = await paginate(
            info, statement, sort_key=Member.enrolled_at, pk=Member.id, first=first, after=after
        )
        return page.to_connection(LoyaltyMember.from_row)

    @strawberry.field(permission_classes=requires("loyalty:read"), description="Newest first.")
    async def loyalty_entries(
        self,
        info: Info,
        first: int | None = None,
        after: str | None = None,
        member: strawberry.ID | None = None,
    ) -> Connection[LoyaltyEntry]:
        statement = select(Entry)
        if member is not None:
            statement = statement.where(Entry.member_id == pk_of(member, "LoyaltyMember"))
        page = await paginate(
            info, statement, sort_key=Entry.id, pk=Entry.id, first=first, after=after,
            descending=True,
        )  # fmt: skip
        return page.to_connection(LoyaltyEntry.from_row)

    @strawberry.field(permission_classes=requires("loyalty:read"))
    async def loyalty_settings(self, info: Info) -> LoyaltySettingsType:
        async with info.context.db() as session:
            row = await session.scalar(select(LoyaltySettings))
        return LoyaltySettingsType.from_row(row or LoyaltySettings(**service.DEFAULTS))


@strawberry.type
class LoyaltyMutation:
    @strawberry.mutation(permission_classes=requires("loyalty:redeem"))
    async def redeem_loyalty_points(
        self, info: Info, input: RedeemLoyaltyPointsInput
    ) -> RedeemLoyaltyPointsPayload:
        async def work(session: AsyncSession) -> RedeemLoyaltyPointsPayload:
            entry = await service.redeem(
                session, input.email, input.points, reference=input.reference,
                note=input.note, clock=info.context.clock,
            )  # fmt: skip
            member = await session.get(Member, entry.member_id)
            assert member is not None
            return RedeemLoyaltyPointsPayload(
                entry=LoyaltyEntry.from_row(entry), member=LoyaltyMember.from_row(member)
            )

        return await in_transaction(
            info, work, RedeemLoyaltyPointsPayload, LoyaltyError, service.LoyaltyErrorCode
        )

    @strawberry.mutation(permission_classes=requires("loyalty:write"))
    async def enroll_loyalty_member(
        self, info: Info, input: EnrollLoyaltyMemberInput
    ) -> EnrollLoyaltyMemberPayload:
        async def work(session: AsyncSession) -> EnrollLoyaltyMemberPayload:
            member = await service.enroll(
                session, input.email, input.name, clock=info.context.clock
            )
            return EnrollLoyaltyMemberPayload(member=LoyaltyMember.from_row(member))

        return await in_transaction(
            info, work, EnrollLoyaltyMemberPayload, LoyaltyError, service.LoyaltyErrorCode
        )

    @strawberry.mutation(permission_classes=requires("loyalty:write"))
    async def update_loyalty_settings(
        self, info: Info, input: UpdateLoyaltySettingsInput
    ) -> UpdateLoyaltySettingsPayload:
        async def work(session: AsyncSession) -> UpdateLoyaltySettingsPayload:
            settings = await service.update_settings(
                session, points_per_order_unit=input.points_per_order_unit,
                points_per_stay_unit=input.points_per_stay_unit, expiry_days=input.expiry_days,
            )  # fmt: skip
            return UpdateLoyaltySettingsPayload(settings=LoyaltySettingsType.from_row(settings))

        return await in_transaction(
            info, work, UpdateLoyaltySettingsPayload, LoyaltyError, service.LoyaltyErrorCode
        )
