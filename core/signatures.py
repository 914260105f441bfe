"""Signed HTTP bodies, one scheme both ways: webhooks Concierge sends (the webhooks plugin)
and webhooks it receives (pos_bridge from POS vendors).

The signature is ``sha256=`` and the hex HMAC-SHA256, keyed with a shared
secret, of ``<timestamp>.<raw body>``; the timestamp travels beside it so a
receiver can refuse stale requests.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

PREFIX = "sha256="


def new_secret() -> str:
    """A fresh signing secret (256 random bits), shown once to whoever shares it."""
    return f"whsec_{secrets.token_urlsafe(32)}"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """The signature header's value for ``body`` sent at ``timestamp``."""
    digest = hmac.new(secret.encode(), timestamp.encode() + b"." + body, hashlib.sha256)
    return PREFIX + digest.hexdigest()
