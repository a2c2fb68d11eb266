"""units not received that after-sales decided the institution pays for, and the balance transfer

``shop_supplier_line`` gains ``conceded_quantity`` and ``conceded_fen`` (0 for every existing line);
``shop_supplier_order`` gains ``balance_fen`` (0), ``balance_reference``, ``balance_recorded_at`` and
``balance_confirmed_at``. The ledger's entry kind gains ``concession`` (a non-native enum without a CHECK:
no schema change).

Revision ID: e906921d62c9
Revises: ccb504e0b51e
Create Date: 2026-12-30 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from core.db import UTCDateTime

revision: str = "e906921d62c9"
down_revision: str | Sequence[str] | None = "ccb504e0b51e"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    for name in ("conceded_quantity", "conceded_fen"):
        op.add_column("shop_supplier_line", sa.Column(name, sa.Integer(), server_default="0", nullable=False))
    op.add_column(
        "shop_supplier_order", sa.Column("balance_fen", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("shop_supplier_order", sa.Column("balance_reference", sa.String(length=64), nullable=True))
    op.add_column(
        "shop_supplier_order", sa.Column("balance_recorded_at", UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column(
        "shop_supplier_order", sa.Column("balance_confirmed_at", UTCDateTime(timezone=True), nullable=True)
    )


def downgrade() -> None:
    """Revert this revision (ledger entries of conceded units are deleted: run `stats rebuild` after)."""
    op.execute("DELETE FROM stats_sales_entry WHERE kind = 'concession'")
    for name in ("balance_confirmed_at", "balance_recorded_at", "balance_reference", "balance_fen"):
        op.drop_column("shop_supplier_order", name)
    for name in ("conceded_fen", "conceded_quantity"):
        op.drop_column("shop_supplier_line", name)
