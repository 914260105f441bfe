"""Demo members at a demo property (`concierge serve --demo`)."""

from __future__ import annotations

from core.clock import Clock
from sqlalchemy.ext.asyncio import AsyncSession

from loyalty import service


async def fill_demo_data(session: AsyncSession, clock: Clock) -> None:
    if await service.member_by_email(session, "ada@demo.example") is not None:
        return
    await service.enroll(session, "ada@demo.example", "Ada Lovelace", clock=clock)
    await service.enroll(session, "grace@demo.example", "Grace Hopper", clock=clock)
    await service.earn(
        session, "ada@demo.example", 250, origin="welcome", key="welcome:ada@demo.example",
        note="Welcome bonus", clock=clock,
    )  # fmt: skip
    await service.redeem(
        session, "ada@demo.example", 100, reference="DEMO-1", note="Coffee", clock=clock
    )
