"""refund lines: the goods amount agreed below the units' price

An after-sales refund may give back less than the units' price (a proposal or an arbitration). The refund line
keeps that amount (``goods_fen``; NULL: the units at their price, as every refund before), so the sales ledger
takes out what was given back. Existing rows stay NULL: they were all at the units' price.

Revision ID: 9c1e4b7a2d50
Revises: 86dd8462ce00
Create Date: 2026-12-15 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '9c1e4b7a2d50'
down_revision: str | Sequence[str] | None = '86dd8462ce00'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('shop_refund_line', schema=None) as batch_op:
        batch_op.add_column(sa.Column('goods_fen', sa.Integer(), nullable=True))
        batch_op.create_check_constraint(
            op.f('ck_shop_refund_line_goods_fen_not_negative'), 'goods_fen IS NULL OR goods_fen >= 0'
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('shop_refund_line', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_shop_refund_line_goods_fen_not_negative'), type_='check')
        batch_op.drop_column('goods_fen')
