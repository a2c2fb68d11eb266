"""settlement: benefit to households

A producer's monthly report of what it paid to the households it brings along (settlement_benefit_report),
with one line per linkage mode and household category: households and fen, never a name
(settlement_benefit_line). The county's reviewer verifies or rejects a report; only verified ones are public.

Revision ID: e3a9b1c47d25
Revises: d52e8f1a7c30
Create Date: 2026-12-10 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'e3a9b1c47d25'
down_revision: str | Sequence[str] | None = 'd52e8f1a7c30'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('settlement_benefit_report',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('month', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('submitted', 'verified', 'rejected', name='benefitstatus', native_enum=False, length=16), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('evidence_key', sa.String(length=32), nullable=False),
    sa.Column('evidence_mimetype', sa.String(length=32), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('submitted_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('verifier_role', sa.Enum('administrator', 'county_reviewer', name='verifierrole', native_enum=False, length=16), nullable=True),
    sa.Column('decision_reason', sa.String(length=500), nullable=True),
    sa.CheckConstraint('month BETWEEN 1 AND 12', name=op.f('ck_settlement_benefit_report_month_range')),
    sa.CheckConstraint('revision > 0', name=op.f('ck_settlement_benefit_report_revision_positive')),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_settlement_benefit_report_year_range')),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_settlement_benefit_report_county_id_core_region')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['core_user.id'], name=op.f('fk_settlement_benefit_report_decided_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_settlement_benefit_report_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['core_user.id'], name=op.f('fk_settlement_benefit_report_submitted_by_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_benefit_report')),
    sa.UniqueConstraint('producer_id', 'year', 'month', name=op.f('uq_settlement_benefit_report_producer_id_year_month'))
    )
    with op.batch_alter_table('settlement_benefit_report', schema=None) as batch_op:
        batch_op.create_index('ix_settlement_benefit_report_county_status_year', ['county_id', 'status', 'year'], unique=False)

    op.create_table('settlement_benefit_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('report_id', sa.Integer(), nullable=False),
    sa.Column('mode', sa.Enum('guaranteed_dividend', 'priority_employment', 'order_purchase', 'land_rent', name='benefitmode', native_enum=False, length=24), nullable=False),
    sa.Column('category', sa.Enum('lifted', 'monitored', name='householdcategory', native_enum=False, length=16), nullable=False),
    sa.Column('households', sa.Integer(), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.CheckConstraint('amount_fen >= 0', name=op.f('ck_settlement_benefit_line_amount_not_negative')),
    sa.CheckConstraint('households >= 0', name=op.f('ck_settlement_benefit_line_households_not_negative')),
    sa.ForeignKeyConstraint(['report_id'], ['settlement_benefit_report.id'], name=op.f('fk_settlement_benefit_line_report_id_settlement_benefit_report'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_settlement_benefit_line')),
    sa.UniqueConstraint('report_id', 'mode', 'category', name=op.f('uq_settlement_benefit_line_report_id_mode_category'))
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table('settlement_benefit_line')
    with op.batch_alter_table('settlement_benefit_report', schema=None) as batch_op:
        batch_op.drop_index('ix_settlement_benefit_report_county_status_year')

    op.drop_table('settlement_benefit_report')
