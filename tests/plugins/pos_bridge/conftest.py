"""Fixtures of the pos_bridge tests; the helpers live in tests/support/pos_kit.py."""

from __future__ import annotations

import pytest
from pos_kit import Resort, set_up_resort

from core.testing import ConciergeTestKit


@pytest.fixture
async def resort(concierge: ConciergeTestKit) -> Resort:
    return await set_up_resort(concierge)
