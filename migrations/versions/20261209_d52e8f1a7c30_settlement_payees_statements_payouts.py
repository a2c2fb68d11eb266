"""settlement: payee accounts

Producers register the bank account they are paid into, in versions the county reviewer verifies
(settlement_payee_account).

Revision ID: d52e8f1a7c30
Revises: c41d7e9a2b6f
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'd52e8f1a7c30'
down_revision: str | Sequence[str] | None = 'c41d7e9a2b6f'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('settlement_payee_account',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('pending', 'verified', 'rejected', 'withdrawn', 'superseded', name='payeestatus', native_enum=False, length=16), nullable=False),
    sa.Column('account_name', sa.String(length=120), nullable=False),
    sa.Column('name_note', sa.String(length=300), nullable=True),
    sa.Column('bank_name', sa.String(length=60), nullable=False),
    sa.Column('branch_name', sa.String(length=100), nullable=False),
    sa.Column('account_number', sa.String(length=32), nullable=False),
    sa.Column('cnaps_code', sa.String(length=12), nullable=True),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint('version > 0', name=op.f('ck_settlement_payee_account_version_positive')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['core_user.id'], name=op.f('fk_settlement_payee_account_decided_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_settlement_payee_account_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['core_user.id'], name=op.f('fk_settlement_payee_account_submitted_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_payee_account')),
    sa.UniqueConstraint('producer_id', 'version', name=op.f('uq_settlement_payee_account_producer_id_version'))
    )
    with op.batch_alter_table('settlement_payee_account', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_settlement_payee_account_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_payee_account_status'), ['status'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('settlement_payee_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_payee_account_status'))
        batch_op.drop_index(batch_op.f('ix_settlement_payee_account_producer_id'))

    op.drop_table('settlement_payee_account')
