"""The channels an order comes from."""

from __future__ import annotations

from enum import Enum


class Channel(Enum):
    WEB = "web"  # the shop's own web store
    PHONE = "phone"  # taken by staff on the phone
    IN_STORE = "in_store"  # at the counter, by staff
    MARKETPLACE = "marketplace"  # Amazon, eBay, ...: channel_reference holds their id
    POS = "pos"  # a till through pos_bridge
