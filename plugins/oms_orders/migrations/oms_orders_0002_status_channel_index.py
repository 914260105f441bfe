"""orders: an index for the status and channel filter together (and its count)

Revision ID: oms_orders_0002
Revises: oms_orders_0001
"""

from collections.abc import Sequence

from alembic import op

revision: str = "oms_orders_0002"
down_revision: str | Sequence[str] | None = "oms_orders_0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ord_orders") as batch_op:
        batch_op.create_index(
            "ix_ord_orders_status_channel",
            ["property_id", "status", "channel", "placed_at", "id"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("ord_orders") as batch_op:
        batch_op.drop_index("ix_ord_orders_status_channel")
