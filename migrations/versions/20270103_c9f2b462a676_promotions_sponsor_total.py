"""the sales each sponsor's promotions brought, as a running total per sponsor

Creates ``promotions_sponsor_total`` (one row per sponsor: kind and id, 0 for the platform) and fills it
from the existing paid orders' discounted lines and their refunds, by the rule of
:mod:`promotions.sponsors.services` (each line once per sponsor; ``flask --app shop promotions
rebuild-sponsor-totals --check`` compares the two).

Revision ID: c9f2b462a676
Revises: 7c4e2a1b9d05
Create Date: 2027-01-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "c9f2b462a676"
down_revision: str | Sequence[str] | None = "7c4e2a1b9d05"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

BACKFILL = """
INSERT INTO promotions_sponsor_total (sponsor_kind, sponsor_id, sales_fen, orders, refunded_fen)
SELECT s.sponsor_kind, s.sponsor_id,
       SUM(l.paid_fen + l.sponsored_fen - COALESCE(r.back_fen, 0)),
       COUNT(DISTINCT l.order_id),
       SUM(COALESCE(r.back_fen, 0))
FROM (
    SELECT DISTINCT d.sponsor_kind, COALESCE(d.sponsor_id, 0) AS sponsor_id, d.line_id
    FROM shop_line_discount d
    JOIN shop_order_line dl ON dl.id = d.line_id
    JOIN shop_order o ON o.id = dl.order_id
    WHERE o.paid_at IS NOT NULL
) s
JOIN shop_order_line l ON l.id = s.line_id
LEFT JOIN (
    SELECT rl.line_id,
           SUM(COALESCE(rl.goods_fen, rl.quantity * ol.unit_price_fen) + rl.sponsored_fen) AS back_fen
    FROM shop_refund_line rl
    JOIN shop_order_line ol ON ol.id = rl.line_id
    GROUP BY rl.line_id
) r ON r.line_id = s.line_id
GROUP BY s.sponsor_kind, s.sponsor_id
"""


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "promotions_sponsor_total",
        sa.Column("sponsor_kind", sa.String(length=16), nullable=False),
        sa.Column("sponsor_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("sales_fen", sa.BigInteger(), nullable=False),
        sa.Column("orders", sa.Integer(), nullable=False),
        sa.Column("refunded_fen", sa.BigInteger(), nullable=False),
        sa.CheckConstraint(
            "orders >= 0 AND refunded_fen >= 0", name=op.f("ck_promotions_sponsor_total_counts_not_negative")
        ),
        sa.PrimaryKeyConstraint("sponsor_kind", "sponsor_id", name=op.f("pk_promotions_sponsor_total")),
    )
    op.execute(BACKFILL)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("promotions_sponsor_total")
