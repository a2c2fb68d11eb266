"""oversight: after-sales requests

An after-sales request (oversight_aftersales) per consumer order: kind, reason, photos, the disputed, proposed
and agreed amounts, state and the deadline of the answer it waits for; ``open_order_id`` is unique, so at most
one request per order is open. Its lines (oversight_aftersales_line) name units of the order's lines.

Revision ID: 86dd8462ce00
Revises: f4b7c2d9e1a3
Create Date: 2026-12-14 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import core.db

revision: str = '86dd8462ce00'
down_revision: str | Sequence[str] | None = 'f4b7c2d9e1a3'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table('oversight_aftersales',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('order_id', sa.Integer(), nullable=False),
    sa.Column('open_order_id', sa.Integer(), nullable=True),
    sa.Column('buyer_id', sa.Integer(), nullable=False),
    sa.Column('producer_id', sa.Integer(), nullable=False),
    sa.Column('county_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('refund', 'return', 'replacement', name='aftersaleskind', native_enum=False, length=16), nullable=False),
    sa.Column('status', sa.Enum('requested', 'proposed', 'refused', 'escalated', 'refund_due', 'done', name='aftersalesstatus', native_enum=False, length=16), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('photo_keys', sa.JSON(), nullable=False),
    sa.Column('claimed_fen', sa.Integer(), nullable=False),
    sa.Column('proposed_fen', sa.Integer(), nullable=True),
    sa.Column('agreed_fen', sa.Integer(), nullable=True),
    sa.Column('producer_reason', sa.Text(), nullable=True),
    sa.Column('arbitration_reason', sa.Text(), nullable=True),
    sa.Column('outcome', sa.String(length=24), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('created_at', core.db.UTCDateTime(timezone=True), nullable=False),
    sa.Column('next_due_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('closed_at', core.db.UTCDateTime(timezone=True), nullable=True),
    sa.Column('arbitrated_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint('agreed_fen IS NULL OR agreed_fen >= 0', name=op.f('ck_oversight_aftersales_agreed_not_negative')),
    sa.CheckConstraint('claimed_fen >= 0', name=op.f('ck_oversight_aftersales_claimed_not_negative')),
    sa.CheckConstraint('proposed_fen IS NULL OR proposed_fen >= 0', name=op.f('ck_oversight_aftersales_proposed_not_negative')),
    sa.ForeignKeyConstraint(['arbitrated_by_id'], ['core_user.id'], name=op.f('fk_oversight_aftersales_arbitrated_by_id_core_user'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['buyer_id'], ['core_user.id'], name=op.f('fk_oversight_aftersales_buyer_id_core_user')),
    sa.ForeignKeyConstraint(['county_id'], ['core_region.id'], name=op.f('fk_oversight_aftersales_county_id_core_region')),
    sa.ForeignKeyConstraint(['open_order_id'], ['shop_order.id'], name=op.f('fk_oversight_aftersales_open_order_id_shop_order')),
    sa.ForeignKeyConstraint(['order_id'], ['shop_order.id'], name=op.f('fk_oversight_aftersales_order_id_shop_order')),
    sa.ForeignKeyConstraint(['producer_id'], ['catalog_producer.id'], name=op.f('fk_oversight_aftersales_producer_id_catalog_producer')),
    sa.ForeignKeyConstraint(['refund_id'], ['shop_refund.id'], name=op.f('fk_oversight_aftersales_refund_id_shop_refund'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_aftersales')),
    sa.UniqueConstraint('open_order_id', name=op.f('uq_oversight_aftersales_open_order_id'))
    )
    with op.batch_alter_table('oversight_aftersales', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_aftersales_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index('ix_oversight_aftersales_county_status', ['county_id', 'status'], unique=False)
        batch_op.create_index('ix_oversight_aftersales_next_due_at', ['next_due_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_aftersales_order_id'), ['order_id'], unique=False)
        batch_op.create_index('ix_oversight_aftersales_producer_status', ['producer_id', 'status'], unique=False)

    op.create_table('oversight_aftersales_line',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('quantity', sa.Integer(), nullable=False),
    sa.CheckConstraint('quantity > 0', name=op.f('ck_oversight_aftersales_line_quantity_positive')),
    sa.ForeignKeyConstraint(['line_id'], ['shop_order_line.id'], name=op.f('fk_oversight_aftersales_line_line_id_shop_order_line')),
    sa.ForeignKeyConstraint(['request_id'], ['oversight_aftersales.id'], name=op.f('fk_oversight_aftersales_line_request_id_oversight_aftersales'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oversight_aftersales_line'))
    )
    with op.batch_alter_table('oversight_aftersales_line', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_oversight_aftersales_line_line_id'), ['line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_oversight_aftersales_line_request_id'), ['request_id'], unique=False)



def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table('oversight_aftersales_line', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_oversight_aftersales_line_request_id'))
        batch_op.drop_index(batch_op.f('ix_oversight_aftersales_line_line_id'))

    op.drop_table('oversight_aftersales_line')
    with op.batch_alter_table('oversight_aftersales', schema=None) as batch_op:
        batch_op.drop_index('ix_oversight_aftersales_producer_status')
        batch_op.drop_index(batch_op.f('ix_oversight_aftersales_order_id'))
        batch_op.drop_index('ix_oversight_aftersales_next_due_at')
        batch_op.drop_index('ix_oversight_aftersales_county_status')
        batch_op.drop_index(batch_op.f('ix_oversight_aftersales_buyer_id'))

    op.drop_table('oversight_aftersales')
