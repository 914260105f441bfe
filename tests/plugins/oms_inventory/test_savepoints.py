"""Allocation and holds are all or nothing even for a caller that catches the error and
commits its own work (a back-order, say)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.testing import ConciergeTestKit
from plugins.oms_inventory.models import Allocation, StockHold, StockLevel
from plugins.oms_inventory.service import allocation
from plugins.oms_inventory.service.errors import InsufficientStock

SETUP = [
    'mutation { createProduct(input: {name: "Soap", variants: [{sku: "SOAP", price: "2"}]})'
    " { errors { code } } }",
    'mutation { createLocation(input: {code: "BACK", name: "Back"}) { errors { code } } }',
    'mutation { receiveStock(input: {sku: "SOAP", location: "MAIN", quantity: 2})'
    " { errors { code } } }",
    'mutation { receiveStock(input: {sku: "SOAP", location: "BACK", quantity: 1})'
    " { errors { code } } }",
]


@pytest.mark.parametrize("what", ["allocate", "hold"])
async def test_a_short_split_takes_nothing_even_when_the_caller_commits(
    concierge: ConciergeTestKit, what: str
) -> None:
    tenant = await concierge.tenant("acme")
    shop = await concierge.property(tenant, "acme-shop", plugins=["oms_inventory"])
    for mutation in SETUP:
        assert (await concierge.graphql(mutation, property=shop)).ok()

    async with concierge.transaction(shop) as session:
        with pytest.raises(InsufficientStock):
            line = allocation.LineRequest("SOAP", 5)  # 2 + 1 on hand: the split falls short
            if what == "allocate":
                await allocation.allocate(
                    session, reference="ORDER-1", lines=[line], actor="test",
                    clock=concierge.clock,
                )  # fmt: skip
            else:
                await allocation.place_hold(
                    session, hold_key="cart-1", line=line, minutes=None, actor="test",
                    clock=concierge.clock,
                )  # fmt: skip
        # ...and the caller goes on and commits its own work.

    async with concierge.transaction(shop) as session:
        taken = await session.scalar(select(func.sum(StockLevel.allocated + StockLevel.held)))
        rows = await session.scalar(select(func.count()).select_from(Allocation))
        holds = await session.scalar(select(func.count()).select_from(StockHold))
    assert (taken, rows, holds) == (0, 0, 0)
