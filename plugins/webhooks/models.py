"""Tables of the webhooks plugin: the endpoints a property sends its events to, and one
delivery per event and endpoint (its attempts, its outcome)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from core.db import Base, BigIntPK, IdPK, PropertyScoped


class WebhookEndpoint(PropertyScoped, Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[IdPK]
    url: Mapped[str] = mapped_column(String(2000))
    # Event names or patterns ("oms_orders.*"); empty: every event.
    event_types: Mapped[list[str]] = mapped_column(JSON, default=list)
    # The HMAC key the receiver verifies with; kept as is, since signing needs it.
    secret: Mapped[str] = mapped_column(String(80))
    status: Mapped[str] = mapped_column(String(10))  # active, disabled
    disabled_reason: Mapped[str] = mapped_column(Text, default="")
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    # The last outbox event looked at: events after it are this endpoint's to send.
    cursor_event_id: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[dt.datetime]


class WebhookDelivery(PropertyScoped, Base):
    __tablename__ = "webhook_deliveries"
    __table_args__ = (
        # One delivery per event and endpoint: an event is never queued twice.
        UniqueConstraint("endpoint_id", "event_id"),
        Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),
        Index("ix_webhook_deliveries_endpoint", "endpoint_id", "id"),
    )

    id: Mapped[IdPK]
    endpoint_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("webhook_endpoints.id", ondelete="CASCADE")
    )
    event_id: Mapped[int] = mapped_column(
        BigIntPK, ForeignKey("outbox_events.id", ondelete="CASCADE")
    )
    event_name: Mapped[str] = mapped_column(String(120))
    status: Mapped[str] = mapped_column(String(10))  # pending, delivered
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime]
    last_attempt_at: Mapped[dt.datetime | None]
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    delivered_at: Mapped[dt.datetime | None]
    created_at: Mapped[dt.datetime]
