"""oversight: complaints and reports

A complaint (oversight_complaint) about a product, an order or a lot, resolved to its producer and the
producer's county; working-day deadlines to acknowledge and decide, the next one kept for the desk and the
escalation job; outcome and reason; only the SHA-256 of the reporter's follow token.

Revision ID: f4b7c2d9e1a3
Revises: b8e4d2a6c913
Create Date: 2026-12-11 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = 'f4b7c2d9e1a3'
down_revision: str | Sequence[str] | None = 'b8e4d2a6c913'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('oversight_complaint',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('quality', 'price', 'counterfeit', 'service', 'false_claim', name='complaintkind', native_enum=False, length=16), nullable=False),
    sa.Column('subject', sa.Enum('product', 'order', 'lot', name='complaintsubject', native_enum=False, length=16), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=True),
    sa.Column('order_id', sa.Integer(), nullable=True),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('photo_keys', sa.JSON(), nullable=False),
    sa.Column('contact', sa.String(length=254), nullable=True),
    sa.Column('reporter_id', sa.Integer(), nullable=True),
    sa.Column('follow_token_hash', sa.String(length=64), nullable=False),
    sa.Column('status', sa.Enum('received', 'acknowledged', 'decided', name='complaintstatus', native_enum=False, length=16), nullable=False),
    sa.Column('received_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('received_month', sa.Integer(), nullable=False),
    sa.Column('acknowledge_due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('decide_due_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_due_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('decided_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('decided_by_id', sa.Integer(), nullable=True),
    sa.Column('outcome', sa.Enum('unfounded', 'remedy', 'warning', 'suspension', 'recall', name='complaintoutcome', native_enum=False, length=16), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('handled_on_time', sa.Boolean(), nullable=True),
    sa.Column('escalated_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.CheckConstraint("(status = 'decided') = (outcome IS NOT NULL)", name=op.f('ck_oversight_complaint_outcome_when_decided')),
    sa.CheckConstraint('received_month BETWEEN 200001 AND 210012', name=op.f('ck_oversight_complaint_received_month_range')),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['core_user.id'], name=op.f('fk_oversight_complaint_acknowledged_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['batch_id'], ['traceability_batch.id'], name=op.f('fk_oversight_complaint_batch_id_traceability_batch')),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_oversight_complaint_county_id_core_region')),
    sa.ForeignKeyConstraint(['decided_by_id'], ['core_user.id'], name=op.f('fk_oversight_complaint_decided_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_oversight_complaint_order_id_shop_order')),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_oversight_complaint_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['product_id'], ['catalog_product.id'], name=op.f('fk_oversight_complaint_product_id_catalog_product')),
    sa.ForeignKeyConstraint(['reporter_id'], ['core_user.id'], name=op.f('fk_oversight_complaint_reporter_id_core_user'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_complaint')),
    sa.UniqueConstraint('follow_token_hash', name=op.f('uq_oversight_complaint_follow_token_hash'))
    )
    with op.batch_alter_table('oversight_complaint', schema=None) as batch_op:
        batch_op.create_index('ix_oversight_complaint_county_due', ['county_id', 'next_due_at'], unique=False)
        batch_op.create_index('ix_oversight_complaint_due_escalated', ['next_due_at', 'escalated_at'], unique=False)
        batch_op.create_index('ix_oversight_complaint_month_county', ['received_month', 'county_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_complaint_producer_id'), ['producer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_complaint_reporter_id'), ['reporter_id'], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('oversight_complaint', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_complaint_reporter_id'))
        batch_op.drop_index(batch_op.f('ix_oversight_complaint_producer_id'))
        batch_op.drop_index('ix_oversight_complaint_month_county')
        batch_op.drop_index('ix_oversight_complaint_due_escalated')
        batch_op.drop_index('ix_oversight_complaint_county_due')

    op.drop_table('oversight_complaint')
