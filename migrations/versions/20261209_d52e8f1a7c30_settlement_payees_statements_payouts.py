"""settlement: payee accounts, statements, payouts

Producers register the bank account they are paid into, in versions the county reviewer verifies
(settlement_payee_account); a month's money per producer is closed into a statement (settlement_statement);
payouts against statements are proposed and approved by two different administrators (settlement_payout,
with a check that keeps the two people apart and a unique bank reference).

Revision ID: d52e8f1a7c30
Revises: d5b0ca635d87
Create Date: 2026-12-09 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'd52e8f1a7c30'
down_revision: str | Sequence[str] | None = 'd5b0ca635d87'
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

    op.create_table('settlement_statement',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('period_start', sa.Date(), nullable=False),
    sa.Column('period_end', sa.Date(), nullable=False),
    sa.Column('sales_fen', sa.BigInteger(), nullable=False),
    sa.Column('shipping_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunds_fen', sa.BigInteger(), nullable=False),
    sa.Column('refunded_goods_fen', sa.BigInteger(), nullable=False),
    sa.Column('fee_basis_points', sa.Integer(), nullable=False),
    sa.Column('fees_fen', sa.BigInteger(), nullable=False),
    sa.Column('net_fen', sa.BigInteger(), nullable=False),
    sa.Column('cumulative_net_fen', sa.BigInteger(), nullable=False),
    sa.Column('held_at_close_fen', sa.BigInteger(), nullable=False),
    sa.Column('cash_collected_fen', sa.BigInteger(), nullable=False),
    sa.Column('procurement_received_fen', sa.BigInteger(), nullable=False),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_settlement_statement_producer_id_catalog_producer')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_statement')),
    sa.UniqueConstraint('producer_id', 'month', name=op.f('uq_settlement_statement_producer_id_month'))
    )
    with op.batch_alter_table('settlement_statement', schema=None) as batch_op:
        batch_op.create_index('ix_settlement_statement_month_net', ['month', 'net_fen'], unique=False)

    op.create_table('settlement_payout',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('payee_account_id', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.Enum('proposed', 'paid', 'cancelled', name='payoutstatus', native_enum=False, length=16), nullable=False),
    sa.Column('rail', sa.Enum('bank_transfer', name='payoutrail', native_enum=False, length=24), nullable=False),
    sa.Column('note', sa.String(length=300), nullable=True),
    sa.Column('proposed_by_id', sa.Integer(), nullable=True),
    sa.Column('proposed_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('bank_reference', sa.String(length=64), nullable=True),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('cancelled_by_id', sa.Integer(), nullable=True),
    sa.Column('cancelled_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('cancel_reason', sa.String(length=300), nullable=True),
    sa.CheckConstraint('amount_fen > 0', name=op.f('ck_settlement_payout_amount_positive')),
    sa.CheckConstraint('approved_by_id IS NULL OR approved_by_id <> proposed_by_id', name=op.f('ck_settlement_payout_two_people')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['core_user.id'], name=op.f('fk_settlement_payout_approved_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['cancelled_by_id'], ['core_user.id'], name=op.f('fk_settlement_payout_cancelled_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['payee_account_id'], ['settlement_payee_account.id'], name=op.f('fk_settlement_payout_payee_account_id_settlement_payee_account')),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_settlement_payout_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['proposed_by_id'], ['core_user.id'], name=op.f('fk_settlement_payout_proposed_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['statement_id'], ['settlement_statement.id'], name=op.f('fk_settlement_payout_statement_id_settlement_statement')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_payout')),
    sa.UniqueConstraint('bank_reference', name=op.f('uq_settlement_payout_bank_reference'))
    )
    with op.batch_alter_table('settlement_payout', schema=None) as batch_op:
        batch_op.create_index('ix_settlement_payout_producer_status', ['producer_id', 'status'], unique=False)
        batch_op.create_index(batch_op.f('ix_settlement_payout_statement_id'), ['statement_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('settlement_payout', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_payout_statement_id'))
        batch_op.drop_index('ix_settlement_payout_producer_status')

    op.drop_table('settlement_payout')
    with op.batch_alter_table('settlement_statement', schema=None) as batch_op:
        batch_op.drop_index('ix_settlement_statement_month_net')

    op.drop_table('settlement_statement')
    with op.batch_alter_table('settlement_payee_account', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_settlement_payee_account_status'))
        batch_op.drop_index(batch_op.f('ix_settlement_payee_account_producer_id'))

    op.drop_table('settlement_payee_account')
