"""bank reference on payments

A bank transfer reaches the platform's account, and a platform administrator confirms it once per checkout,
entering the bank's own reference of the transfer (as on the platform's bank statement). It is kept on each
per-order payment the confirmation writes, indexed so a transfer already booked can be found at once.

Revision ID: c41d7e9a2b6f
Revises: b28f3a62b774
Create Date: 2026-12-08 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c41d7e9a2b6f'
down_revision: str | Sequence[str] | None = 'b28f3a62b774'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table('shop_payment', schema=None) as batch_op:
        batch_op.add_column(sa.Column('bank_reference', sa.String(length=64), nullable=True))
        batch_op.create_index(batch_op.f('ix_shop_payment_bank_reference'), ['bank_reference'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('shop_payment', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shop_payment_bank_reference'))
        batch_op.drop_column('bank_reference')
