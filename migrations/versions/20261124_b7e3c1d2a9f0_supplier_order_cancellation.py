"""supplier order cancellation

Every open supplier order has a way out (procurement/ordering/lifecycle.py): a cancelled one records when,
why and by whom (empty: the platform, e.g. when it expired unanswered).

Revision ID: b7e3c1d2a9f0
Revises: bdf0618376b7
Create Date: 2026-11-24 10:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'b7e3c1d2a9f0'
down_revision: str | Sequence[str] | None = 'bdf0618376b7'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('shop_supplier_order', schema=None) as batch_op:
        batch_op.add_column(sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('cancel_reason', sa.String(length=500), nullable=True))
        batch_op.add_column(sa.Column('cancelled_by_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f('fk_shop_supplier_order_cancelled_by_id_core_user'),
            'core_user',
            ['cancelled_by_id'],
            ['id'],
            ondelete='SET NULL',
        )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('shop_supplier_order', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_shop_supplier_order_cancelled_by_id_core_user'), type_='foreignkey')
        batch_op.drop_column('cancelled_by_id')
        batch_op.drop_column('cancel_reason')
        batch_op.drop_column('cancelled_at')
