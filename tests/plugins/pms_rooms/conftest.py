"""Fixtures of the pms_rooms tests; the Hotel helper lives in tests/support/hotel_kit.py."""

from __future__ import annotations

import pytest
from hotel_kit import Hotel, set_up_hotel

from core.testing import ConciergeTestKit


@pytest.fixture
async def hotel(concierge: ConciergeTestKit) -> Hotel:
    return await set_up_hotel(concierge)
