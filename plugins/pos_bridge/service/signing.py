"""Signed webhooks from a POS vendor: HMAC-SHA256 over the timestamp and the raw body.

The vendor sends ``X-Concierge-Timestamp: <unix seconds>`` and
``X-Concierge-Signature: sha256=<hex>``, the HMAC-SHA256 with the outlet's
webhook secret of ``<timestamp>.<raw body>``. A request is accepted within
five minutes of its timestamp, either way, and only once: its signature is
kept (``pos_webhook_receipts``), so the same signed request again is a replay.
A retry the vendor signs afresh is a new request; the sale id keeps it from
posting twice.
"""

from __future__ import annotations

import datetime as dt
import hmac

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import session_scope, upsert_insert
from core.signatures import PREFIX, sign
from plugins.pos_bridge.models import Outlet, WebhookReceipt

TOLERANCE = dt.timedelta(minutes=5)


class SignatureError(Exception):
    """The request is not signed by the outlet's secret, or not now."""


def verify(
    secret: str, timestamp: str | None, signature: str | None, body: bytes, clock: Clock
) -> str:
    """The signature's hex digest, once it checks out; SignatureError otherwise."""
    if not timestamp or not signature:
        raise SignatureError("missing X-Concierge-Timestamp or X-Concierge-Signature")
    try:
        sent = dt.datetime.fromtimestamp(int(timestamp), dt.UTC)
    except (ValueError, OverflowError, OSError):
        raise SignatureError("X-Concierge-Timestamp is not a unix time in seconds") from None
    if abs(clock.now() - sent) > TOLERANCE:
        raise SignatureError("the request is older (or newer) than five minutes")
    expected = sign(secret, timestamp, body)
    if not hmac.compare_digest(expected, signature.strip()):
        raise SignatureError("the signature does not match")
    return expected.removeprefix(PREFIX)


async def first_sight(session: AsyncSession, outlet: Outlet, digest: str, clock: Clock) -> bool:
    """Record the signature; False when it was seen before (a replay). Receipts older than
    the tolerance are dropped: their timestamps would be refused anyway."""
    now = clock.now()
    await session.execute(
        delete(WebhookReceipt).where(WebhookReceipt.received_at < now - 2 * TOLERANCE)
    )
    scope = session_scope(session)
    result = await session.execute(
        upsert_insert(session, WebhookReceipt)
        .values(
            tenant_id=scope.tenant_id, property_id=scope.property_id, outlet_id=outlet.id,
            signature=digest, received_at=now,
        )
        .on_conflict_do_nothing(index_elements=["outlet_id", "signature"])
    )  # fmt: skip
    return result.rowcount == 1
