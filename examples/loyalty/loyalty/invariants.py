"""What must always hold in loyalty's data (``concierge check``): a member's balance is
the sum of their ledger, their lifetime points the sum of what they earned."""

from __future__ import annotations

from core.invariants import CheckContext, Invariant
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty.models import Entry, Member


async def balances_match_entries(session: AsyncSession, context: CheckContext) -> list[str]:
    sums = dict(
        (
            await session.execute(
                select(Entry.member_id, func.sum(Entry.points)).group_by(Entry.member_id)
            )
        ).all()
    )
    return [
        f"member {member.email}: balance {member.balance}, entries sum to "
        f"{int(sums.get(member.id, 0))}"
        for member in await session.scalars(select(Member))
        if member.balance != int(sums.get(member.id, 0))
    ]


INVARIANTS = [
    Invariant(
        "loyalty.balances_match_entries",
        "each member's balance is the sum of their entries",
        balances_match_entries,
    )
]
