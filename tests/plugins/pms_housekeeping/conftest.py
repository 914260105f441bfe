"""Fixtures of the pms_housekeeping tests; the helpers live in tests/support/housekeeping_kit.py."""

from __future__ import annotations

import pytest
from housekeeping_kit import Housekeeping, set_up_housekeeping

from core.testing import ConciergeTestKit


@pytest.fixture
async def hk(concierge: ConciergeTestKit) -> Housekeeping:
    return await set_up_housekeeping(concierge)
