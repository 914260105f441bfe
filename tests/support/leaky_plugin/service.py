"""The only place that writes test_leaky_gossip; nothing here knows a tenant."""

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.errors import NotFound
from leaky_plugin.models import GossipRow


async def spread_gossip(session: AsyncSession, text: str, *, clock: Clock) -> GossipRow:
    row = GossipRow(text=text, created_at=clock.now())
    session.add(row)
    await session.flush()
    return row


async def all_gossip(session: AsyncSession) -> list[GossipRow]:
    return list(await session.scalars(select(GossipRow).order_by(GossipRow.id)))


async def retract_gossip(session: AsyncSession, gossip_id: int) -> GossipRow:
    row = await session.get(GossipRow, gossip_id)
    if row is None:
        raise NotFound("gossip", field=["id"])
    row.text = "(retracted)"
    await session.flush()
    return row
