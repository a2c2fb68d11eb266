"""channels: index counter refunds by day (the leakage report takes refunds of a period off every counter)

Revision ID: 3d1f7c2a9e64
Revises: 6f5f0898cbcb
Create Date: 2026-12-30 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "3d1f7c2a9e64"
down_revision: str | Sequence[str] | None = "6f5f0898cbcb"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Add the index."""
    op.create_index("ix_channels_counter_refund_day", "channels_counter_refund", ["day"])


def downgrade() -> None:
    """Drop the index."""
    op.drop_index("ix_channels_counter_refund_day", table_name="channels_counter_refund")
