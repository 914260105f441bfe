"""Where a reservation comes from."""

from __future__ import annotations

from enum import Enum


class BookingChannel(Enum):
    DIRECT = "direct"  # the front desk, the phone, e-mail
    BOOKING_ENGINE = "booking_engine"  # the hotel's own web booking engine
    OTA = "ota"  # online travel agencies
    GDS = "gds"  # travel agents' global distribution systems
    WALK_IN = "walk_in"
